"""Request bodies larger than `MAX_BODY_SIZE` get a 413 before they are read or parsed.

A declared `Content-Length` over the limit is refused at once; a chunked body is counted as it
arrives and refused as soon as it passes the limit.
"""

from fastapi import Request, status
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from src.exceptions import http_error


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = max_body_size
        self.message = f"The request body is larger than {max_body_size} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_size:
            response = await http_error(Request(scope), HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, self.message))
            await response(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_size:
                # Raised where the app reads the body, so its exception handlers answer.
                raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, self.message)
            return message

        await self.app(scope, receive_within_limit, send)
