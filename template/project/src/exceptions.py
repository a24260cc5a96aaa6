"""The error hierarchy and the handlers that give every error response one shape.

Every error body is `{"error": {"code", "message", "details", "request_id"}}`. Domains
subclass `NotFoundError`, `ConflictError`, ... to add their own messages or codes.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from src.request_id import HEADER as REQUEST_ID_HEADER
from src.schemas import ErrorBody, ErrorDetail, ErrorResponse

logger = logging.getLogger(__name__)

_HTTP_CODES = {
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_409_CONFLICT: "conflict",
}
# Where an input error sits: drop the "body"/"query"/... part of the location.
_LOCATION_ROOTS = {"body", "query", "path", "header", "cookie"}


class DomainError(Exception):
    status_code: int = status.HTTP_500_INTERNAL_SERVER_ERROR
    code: str = "internal_error"
    message: str = "Internal server error"

    def __init__(self, message: str | None = None, details: list[ErrorDetail] | None = None) -> None:
        self.message = message or self.message
        self.details = details
        super().__init__(self.message)


class NotFoundError(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    message = "Not found"


class ConflictError(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    message = "Conflict with the current state of the resource"


class InvalidReferenceError(DomainError):
    status_code = status.HTTP_422_UNPROCESSABLE_CONTENT
    code = "validation_error"
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
    details: list[ErrorDetail] | None = None,
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


async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
    return error_response(request, exc.status_code, exc.code, exc.message, exc.details)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    details = [ErrorDetail(field=_field(tuple(error["loc"])), message=error["msg"]) for error in exc.errors()]
    return error_response(
        request, status.HTTP_422_UNPROCESSABLE_CONTENT, "validation_error", "Invalid request", details
    )


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(request, exc.status_code, code, str(exc.detail), headers=exc.headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # The client gets no trace or SQL; the log keeps the details, tied by request id. This handler
    # runs outside the middlewares (the request id context has ended, and they no longer add the
    # header), so the id is passed to the log and the response here.
    request_id = getattr(request.state, "request_id", None)
    logger.exception("Unhandled error", exc_info=exc, extra={"request_id": request_id})
    headers = {REQUEST_ID_HEADER: request_id} if request_id else None
    return error_response(
        request, status.HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "Internal server error", headers=headers
    )


def register_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status.HTTP_422_UNPROCESSABLE_CONTENT: {"model": ErrorResponse, "description": "Invalid input"},
    status.HTTP_500_INTERNAL_SERVER_ERROR: {"model": ErrorResponse, "description": "Unexpected error"},
}
NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: {"model": ErrorResponse, "description": "No such resource"},
}
CONFLICT_RESPONSE: dict[int | str, dict[str, Any]] = {
    status.HTTP_409_CONFLICT: {"model": ErrorResponse, "description": "Conflicts with existing data"},
}
