"""Errors of the auth domain.

Most are domain errors, which the global handlers give the service's error shape. The token
endpoint's (`/auth/login`, `/auth/refresh`) are `TokenError`s instead, answered in the shape
OAuth2 clients read (RFC 6749, 5.2) by the routes of `router.TokenRoute`.
"""

import math
from typing import Any

from fastapi import status
from pydantic import ValidationError

from src.auth.schemas import TokenErrorResponse
from src.core.schemas import ErrorResponse
from src.exceptions import (
    ConflictError,
    DomainError,
    ForbiddenError,
    NotFoundError,
    ServiceUnavailableError,
    UnauthorizedError,
)


class TokenError(Exception):
    """An error of the token endpoint: `{"error": <code>, "error_description": <message>}`."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    error: str = "invalid_request"
    description: str = "The request is malformed"
    headers: dict[str, str] | None = None

    def __init__(self, description: str | None = None) -> None:
        self.description = description or self.description
        super().__init__(self.description)

    @staticmethod
    def malformed(error: ValidationError) -> "TokenError":
        """A form or body that does not validate: `unsupported_grant_type` for a grant_type other
        than password, else `invalid_request` naming each problem."""
        problems = error.errors()
        if any(problem["loc"][:1] == ("grant_type",) for problem in problems):
            return UnsupportedGrantTypeError()
        return TokenError("; ".join(f"{'.'.join(map(str, p['loc'])) or 'body'}: {p['msg']}" for p in problems))


class InvalidCredentialsError(TokenError):
    # One answer for an unknown email, a wrong password and a deactivated account: which one it
    # was is not told.
    error = "invalid_grant"
    description = "Incorrect email or password"


class InvalidRefreshTokenError(TokenError):
    # Unknown, spent, expired, revoked, or of a deactivated user: the client signs in again.
    error = "invalid_grant"
    description = "Invalid, expired or revoked refresh token"


class UnsupportedGrantTypeError(TokenError):
    error = "unsupported_grant_type"
    description = "grant_type must be password"


class InvalidTokenError(UnauthorizedError):
    message = "Invalid or expired token"


class InactiveUserError(UnauthorizedError):
    message = "This account is deactivated"


class NotSuperuserError(ForbiddenError):
    message = "Only a superuser may do this"


class WrongPasswordError(ForbiddenError):
    message = "The current password is wrong"


class UserNotFoundError(NotFoundError):
    message = "User not found"


class EmailTakenError(ConflictError):
    """Raised only where telling is harmless (the management command, the fixtures): the
    registration route answers the same whether or not the email is taken."""

    message = "A user with this email already exists"


class DeactivateSelfError(ConflictError):
    message = "A superuser cannot deactivate their own account"


class TooManyAttemptsError(DomainError):
    """Too many failed password checks lately: the next one waits `retry_after` seconds. The
    token endpoint answers it as `slow_down` in its own shape."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "too_many_requests"
    message = "Too many failed attempts; try again in a moment"

    def __init__(self, retry_after: float) -> None:
        # Whole seconds, rounded up, and at least one: a client waiting that long is let in.
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"Too many failed attempts; try again in {self.retry_after} s")
        self.headers = {"Retry-After": str(self.retry_after)}


class PasswordWorkBusyError(ServiceUnavailableError):
    """Every slot for password hashing stayed taken past AUTH_PASSWORD_HASH_WAIT_SECONDS."""

    message = "Too many sign-ins at once; try again in a moment"

    def __init__(self) -> None:
        super().__init__()
        self.headers = {"Retry-After": "1"}


_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}}}
TOO_MANY_ATTEMPTS_RESPONSE: dict[int | str, dict[str, Any]] = {
    status.HTTP_429_TOO_MANY_REQUESTS: {
        "model": ErrorResponse,
        "description": "Too many failed attempts lately; `Retry-After` says how many seconds to wait",
        "headers": _RETRY_AFTER,
    },
}
DEACTIVATE_SELF_RESPONSE: dict[int | str, dict[str, Any]] = {
    status.HTTP_409_CONFLICT: {"model": ErrorResponse, "description": "A superuser cannot deactivate themself"},
}
# The token endpoint's errors (RFC 6749, 5.2). 413, 500 and 503 keep the service's shape: the
# server's problems, not the grant's.
TOKEN_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status.HTTP_400_BAD_REQUEST: {
        "model": TokenErrorResponse,
        "description": (
            "RFC 6749 (5.2): `invalid_request` for a malformed form or body, `invalid_grant` for wrong "
            "credentials or an unusable refresh token, `unsupported_grant_type` for a grant_type other than password"
        ),
    },
}
SLOW_DOWN_RESPONSE: dict[int | str, dict[str, Any]] = {
    status.HTTP_429_TOO_MANY_REQUESTS: {
        "model": TokenErrorResponse,
        "description": "`slow_down`: too many failed sign-ins lately; `Retry-After` says how many seconds to wait",
        "headers": _RETRY_AFTER,
    },
}
