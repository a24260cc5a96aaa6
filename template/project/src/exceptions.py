"""The error hierarchy and the handlers that give every error response one shape.

Every error body is `{"error": {"code", "message", "details", "request_id"}}`. Domains
subclass `NotFoundError`, `ConflictError`, ... to add their own messages or codes.
"""

from typing import Any, ClassVar

import sqlalchemy as sa
from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from src.core.schemas import ErrorBody, ErrorDetail, ErrorResponse

# The code of each status the service answers; an HTTP error of another status gets `http_error`.
ERROR_CODES = {
    status.HTTP_400_BAD_REQUEST: "bad_request",
    status.HTTP_401_UNAUTHORIZED: "unauthorized",
    status.HTTP_403_FORBIDDEN: "forbidden",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_409_CONFLICT: "conflict",
    status.HTTP_413_CONTENT_TOO_LARGE: "payload_too_large",
    status.HTTP_422_UNPROCESSABLE_CONTENT: "validation_error",
    status.HTTP_429_TOO_MANY_REQUESTS: "too_many_requests",
    status.HTTP_500_INTERNAL_SERVER_ERROR: "internal_error",
    status.HTTP_502_BAD_GATEWAY: "bad_gateway",
    status.HTTP_503_SERVICE_UNAVAILABLE: "service_unavailable",
    status.HTTP_504_GATEWAY_TIMEOUT: "gateway_timeout",
}
# What an error says about its input: one entry per offending field, or facts such as a position.
ErrorDetails = list[ErrorDetail] | dict[str, Any] | None
# A body that is not JSON, or not UTF-8: a 400 with this code, where it breaks in `details`.
INVALID_JSON = "invalid_json"
# The methods a 405's `Allow` header may list, in the order it lists them.
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Where an input error sits: drop the "body"/"query"/... part of the location.
_LOCATION_ROOTS = {"body", "query", "path", "header", "cookie"}


class DomainError(Exception):
    status_code: int = status.HTTP_500_INTERNAL_SERVER_ERROR
    code: str = "internal_error"
    message: str = "Internal server error"
    # Headers the answer carries, e.g. a 401's `WWW-Authenticate`.
    headers: ClassVar[dict[str, str] | None] = None

    def __init__(self, message: str | None = None, details: ErrorDetails = None) -> None:
        self.message = message or self.message
        self.details = details
        super().__init__(self.message)


class NotFoundError(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    message = "Not found"


class UnauthorizedError(DomainError):
    """No credentials, or credentials that prove nothing: a missing, malformed, expired or revoked
    token, or one of a user who may no longer sign in."""

    status_code = status.HTTP_401_UNAUTHORIZED
    code = "unauthorized"
    message = "Not authenticated"
    headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": "Bearer"}


class ForbiddenError(DomainError):
    """Authenticated, but not allowed to do this."""

    status_code = status.HTTP_403_FORBIDDEN
    code = "forbidden"
    message = "Not allowed"


class ConflictError(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    message = "Conflict with the current state of the resource"


class InvalidReferenceError(DomainError):
    """A well-formed id of a row that does not exist: the request conflicts with the data, not
    with the schema, so it is a 409 (a 422 would say the input itself is malformed)."""

    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    message = "A referenced row does not exist"


class ServiceUnavailableError(DomainError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "service_unavailable"
    message = "Service unavailable"


def error_response(
    request: Request,
    status_code: int,
    code: str,
    message: str,
    details: ErrorDetails = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(
        error=ErrorBody(
            code=code,
            message=message,
            details=details,
            request_id=getattr(request.state, "request_id", None),
        )
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=status_code, headers=headers)


def _field(location: tuple[Any, ...]) -> str:
    parts = list(location[1:] if location and location[0] in _LOCATION_ROOTS else location)
    return ".".join(str(part) for part in parts) or str(location[0] if location else "")


def domain_error_response(request: Request, exc: DomainError) -> JSONResponse:
    """A domain error's answer. A route returns it, instead of raising the error, when the writes
    it made before the error must still be committed (raising rolls the transaction back)."""
    return error_response(request, exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
    return domain_error_response(request, exc)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if errors and errors[0]["type"] == "json_invalid":
        return _invalid_json(request, str(exc.body), errors[0]["loc"][-1], errors[0]["ctx"]["error"])
    details = [ErrorDetail(field=_field(tuple(error["loc"])), message=error["msg"]) for error in errors]
    return error_response(
        request, status.HTTP_422_UNPROCESSABLE_CONTENT, "validation_error", "Invalid request", details
    )


def _invalid_json(request: Request, document: str, position: int, reason: str) -> JSONResponse:
    """A 400 saying where the JSON breaks: line and column (from 1) and the character offset (from 0)."""
    line = document.count("\n", 0, position) + 1
    column = position - document.rfind("\n", 0, position)
    message = f"The request body is not valid JSON: {reason} at line {line}, column {column}"
    where = {"line": line, "column": column, "position": position}
    return error_response(request, status.HTTP_400_BAD_REQUEST, INVALID_JSON, message, where)


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """The error shape for an HTTP error (400, 404, 405, 413, ...); middlewares answer with it too."""
    # FastAPI answers a plain 400 for a JSON body it cannot decode (not UTF-8) or parse (too deep).
    cause = exc.__cause__
    if exc.status_code == status.HTTP_400_BAD_REQUEST and isinstance(cause, UnicodeDecodeError):
        message = f"The request body is not valid JSON: not UTF-8 at byte {cause.start}"
        return error_response(request, exc.status_code, INVALID_JSON, message, {"byte": cause.start})
    if exc.status_code == status.HTTP_400_BAD_REQUEST and isinstance(cause, RecursionError):
        message = "The request body is JSON nested too deeply to read"
        return error_response(request, exc.status_code, INVALID_JSON, message)
    code = ERROR_CODES.get(exc.status_code, "http_error")
    headers = exc.headers
    if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
    return error_response(request, exc.status_code, code, str(exc.detail), headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    # The router answers 405 with the methods of the first route whose path matches, but the
    # other routes on that path (POST next to GET) are allowed too: every route is asked.
    return [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in request.app.routes)
    ]


def register_exception_handlers(app: FastAPI) -> None:
    """Errors raised while handling a request. A bug's exception is `UnhandledErrorMiddleware`'s."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)


# What each route declares in OpenAPI: every status it can answer, with the error shape, and no other.
# Every domain route: bad input, a bug, or a database that cannot be reached in time.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status.HTTP_422_UNPROCESSABLE_CONTENT: {"model": ErrorResponse, "description": "Invalid input"},
    status.HTTP_500_INTERNAL_SERVER_ERROR: {"model": ErrorResponse, "description": "Unexpected error"},
    status.HTTP_503_SERVICE_UNAVAILABLE: {
        "model": ErrorResponse,
        "description": "The database is unavailable, or its schema is behind the code",
    },
}
# Routes that read a body: one that is not JSON (or not UTF-8), or too large.
BODY_RESPONSES: dict[int | str, dict[str, Any]] = {
    status.HTTP_400_BAD_REQUEST: {"model": ErrorResponse, "description": "The body is not valid JSON"},
    status.HTTP_413_CONTENT_TOO_LARGE: {"model": ErrorResponse, "description": "Body too large"},
}
NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: {"model": ErrorResponse, "description": "No such resource"},
}
# Writes to a table with a unique column or a reference.
CONFLICT_RESPONSE: dict[int | str, dict[str, Any]] = {
    status.HTTP_409_CONFLICT: {
        "model": ErrorResponse,
        "description": "A unique value is taken, or a referenced row does not exist",
    },
}

# Routes that need a signed-in user, and those only a superuser may call.
UNAUTHORIZED_RESPONSE: dict[int | str, dict[str, Any]] = {
    status.HTTP_401_UNAUTHORIZED: {"model": ErrorResponse, "description": "Missing, invalid or expired token"},
}
FORBIDDEN_RESPONSE: dict[int | str, dict[str, Any]] = {
    status.HTTP_403_FORBIDDEN: {"model": ErrorResponse, "description": "Not allowed for this user"},
}


def in_use_response(table: sa.Table) -> dict[int | str, dict[str, Any]]:
    """The 409 of a DELETE while other rows reference the row, declared only when some table has a
    foreign key to `table` (discovery imports every domain's models before any router)."""
    referenced = any(
        key.target_fullname.split(".")[0] == table.name
        for other in table.metadata.tables.values()
        for key in other.foreign_keys
    )
    if not referenced:
        return {}
    return {status.HTTP_409_CONFLICT: {"model": ErrorResponse, "description": "Other rows still reference it"}}


# Example details of the errors that carry them, for the OpenAPI document.
_EXAMPLE_DETAILS: dict[int, ErrorDetails] = {
    status.HTTP_400_BAD_REQUEST: {"line": 1, "column": 14, "position": 13},
    status.HTTP_422_UNPROCESSABLE_CONTENT: [{"field": "name", "message": "Field required"}],
}
# A route's 400 is a body it could not read: JSON that breaks (a form route's is `bad_request`).
_EXAMPLE_CODES = {**ERROR_CODES, status.HTTP_400_BAD_REQUEST: INVALID_JSON}


def add_error_examples(document: dict[str, Any]) -> dict[str, Any]:
    """Give each error response of an OpenAPI document an example of its own code (a 404 says
    `not_found`, a 409 `conflict`, ...), with its description as the message: whichever module
    declared the response, no route spells its example out."""
    for operation in (operation for path in document.get("paths", {}).values() for operation in path.values()):
        for key, response in operation.get("responses", {}).items():
            content = response.get("content", {}).get("application/json")
            code = int(key) if key.isdigit() else 0
            if code < status.HTTP_400_BAD_REQUEST or content is None or "example" in content:
                continue
            error = {
                "code": _EXAMPLE_CODES.get(code, "http_error"),
                "message": response.get("description", ""),
                "details": _EXAMPLE_DETAILS.get(code),
                "request_id": "5b1f0c8e2d7a4f6b9c3e1a0d8f2b4c6e",
            }
            content["example"] = {"error": error}
    return document
