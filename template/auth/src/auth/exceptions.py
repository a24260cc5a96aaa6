"""Errors of the auth domain; the global handlers give them the error contract."""

import math
from typing import Any

from fastapi import status

from src.exceptions import ConflictError, DomainError, ForbiddenError, NotFoundError, UnauthorizedError
from src.schemas import ErrorResponse


class InvalidCredentialsError(UnauthorizedError):
    # One message for an unknown email and a wrong password: which one it was is not told.
    message = "Incorrect email or password"


class InvalidTokenError(UnauthorizedError):
    message = "Invalid or expired token"


class InactiveUserError(UnauthorizedError):
    message = "This account is deactivated"


class InvalidRefreshTokenError(UnauthorizedError):
    message = "Invalid, expired or revoked refresh token"


class NotSuperuserError(ForbiddenError):
    message = "Only a superuser may do this"


class WrongPasswordError(ForbiddenError):
    message = "The current password is wrong"


class UserNotFoundError(NotFoundError):
    message = "User not found"


class EmailTakenError(ConflictError):
    message = "A user with this email already exists"


class DeactivateSelfError(ConflictError):
    message = "A superuser cannot deactivate their own account"


class TooManyAttemptsError(DomainError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "too_many_requests"
    message = "Too many failed attempts; try again later"

    def __init__(self, retry_after: float) -> None:
        super().__init__()
        # Whole seconds, rounded up, and at least one: a client waiting that long is let in.
        self.headers = {"Retry-After": str(max(1, math.ceil(retry_after)))}


TOO_MANY_ATTEMPTS_RESPONSE: dict[int | str, dict[str, Any]] = {
    status.HTTP_429_TOO_MANY_REQUESTS: {
        "model": ErrorResponse,
        "description": "Locked after too many failed attempts; `Retry-After` says for how many seconds",
        "headers": {"Retry-After": {"description": "Seconds until the account unlocks", "schema": {"type": "integer"}}},
    },
}
DEACTIVATE_SELF_RESPONSE: dict[int | str, dict[str, Any]] = {
    status.HTTP_409_CONFLICT: {"model": ErrorResponse, "description": "A superuser cannot deactivate themself"},
}
