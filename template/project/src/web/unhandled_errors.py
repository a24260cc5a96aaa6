"""The last stop of a bug's exception: one 500 in the error shape, logged once with its request id.

Starlette's own last stop sends its 500 and then raises again, so the server logs the error a
second time (without the request id) and drops the client's kept-alive connection. This
middleware runs inside the request id middleware and ends the exception here.
"""

import logging

from fastapi import Request, status
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from src.exceptions import error_response

logger = logging.getLogger(__name__)


class UnhandledErrorMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_and_track(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_and_track)
        except Exception:
            # The client gets no trace or SQL; the log keeps them, under the request id.
            logger.exception("Unhandled error")
            if started:
                # Too late for a 500: the server closes the connection on the half-sent response.
                return
            response = error_response(
                Request(scope), status.HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "Internal server error"
            )
            await response(scope, receive, send)
