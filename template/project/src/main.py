"""Application factory. Domains are discovered, never listed here."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from src import database
from src.config import Environment, Settings, settings
from src.exceptions import add_error_examples, register_exception_handlers
from src.web import discovery, docs, health, observability, operation_ids
from src.web.body_size import BodySizeLimitMiddleware
from src.web.log import AccessLogMiddleware, configure_logging
from src.web.request_id import HEADER as REQUEST_ID_HEADER
from src.web.request_id import RequestIdMiddleware
from src.web.unhandled_errors import UnhandledErrorMiddleware


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    # The code's migrations, read once before serving: readiness compares the database with them.
    health.code_revisions()
    if settings.ENVIRONMENT == Environment.LOCAL:
        await health.warn_if_schema_behind(database.engine)
    yield
    await database.engine.dispose()


def create_app(app_settings: Settings = settings) -> FastAPI:
    documented = app_settings.show_docs
    app = FastAPI(
        title=app_settings.APP_NAME,
        description=app_settings.APP_DESCRIPTION,
        version=app_settings.APP_VERSION,
        openapi_tags=[health.TAG, *discovery.domain_tags()],
        lifespan=lifespan,
        generate_unique_id_function=operation_ids.operation_id,
        openapi_url="/openapi.json" if documented else None,
        docs_url="/docs" if documented else None,
        redoc_url="/redoc" if documented else None,
    )
    # The last added runs first: the request id is set before anything logs or answers, and
    # every answer, a bug's 500 and an early 413 included, passes the access log and CORS.
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_body_size=app_settings.MAX_BODY_SIZE)
    if app_settings.CORS_ORIGINS:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=app_settings.CORS_ORIGINS,
            allow_credentials=app_settings.CORS_ALLOW_CREDENTIALS,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=[REQUEST_ID_HEADER],
        )
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(RequestIdMiddleware)
    # Outermost: metrics count and time every answer.
    observability.install(app, app_settings)
    register_exception_handlers(app)
    app.include_router(health.router)
    for router in discovery.domain_routers():
        app.include_router(router, prefix=app_settings.API_PREFIX)
    _document_errors(app)
    if app.docs_url:
        docs.install(app, offline=app_settings.DOCS_OFFLINE)
    return app


def _document_errors(app: FastAPI) -> None:
    """The OpenAPI document, built once, with an example of each error response's own code."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_error_examples(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


configure_logging(settings)
observability.configure(settings)
app = create_app()
