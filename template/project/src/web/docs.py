"""The interactive docs page (`/docs`): FastAPI's Swagger UI, whose example bodies can be sent twice.

Offline (`DOCS_OFFLINE`), `/docs` and `/redoc` load their scripts and styles from the app
(`/docs/assets/`, the files the fastapi-offline package ships) rather than a CDN, for networks
that reach no CDN.

A unique field has one example, so the second "Execute" of a create would be a 409. The page
varies a unique field's value when it is still the documented example (a `+tag` for an email, a
query for a URL, a suffix for text) before sending it. Only this page does: the API is unchanged.
"""

import importlib.util
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request

from src import database

# Swagger UI calls it with each request it is about to send; it returns the request to send.
_INTERCEPTOR = """
    const UNIQUE_EXAMPLES = %s;
    function freshExamples(request) {
        if (typeof request.body !== "string" || !["POST", "PATCH", "PUT"].includes(request.method)) return request;
        let body;
        try { body = JSON.parse(request.body); } catch { return request; }
        if (body === null || typeof body !== "object" || Array.isArray(body)) return request;
        let changed = false;
        for (const [name, rule] of Object.entries(UNIQUE_EXAMPLES)) {
            if (typeof body[name] === "string" && rule.examples.includes(body[name])) {
                body[name] = freshValue(body[name], rule.maxLength);
                changed = true;
            }
        }
        if (changed) request.body = JSON.stringify(body);
        return request;
    }
    function freshValue(value, maxLength) {
        const tag = Math.random().toString(36).slice(2, 8).padEnd(6, "0");
        if (/^[^@\\s]+@[^@\\s]+$/.test(value)) return value.replace("@", `+${tag}@`);
        const joiner = value.includes("?") ? "&" : "?";
        if (/^https?:\\/\\//.test(value)) return value.replace(/(#.*)?$/, `${joiner}v=${tag}$1`);
        return `${value.slice(0, Math.max(1, (maxLength || Infinity) - tag.length - 1))}-${tag}`;
    }
"""
_BUNDLE = "const ui = SwaggerUIBundle({"
ASSETS = "/docs/assets"
OFFLINE_PACKAGE = "fastapi_offline"


def unique_examples(app: FastAPI, metadata: sa.MetaData = database.metadata) -> dict[str, dict[str, Any]]:
    """Each property a unique constraint of `metadata` holds (alone or beside the owner), with its
    examples in the app's OpenAPI document."""
    unique: set[str] = set()
    for table in metadata.tables.values():
        unique |= {column.name for column in table.columns if column.unique}
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint):
                unique |= {column.name for column in constraint.columns if column.name != "owner_id"}
    rules: dict[str, dict[str, Any]] = {}
    for schema in app.openapi().get("components", {}).get("schemas", {}).values():
        for name, prop in schema.get("properties", {}).items():
            for member in (prop, *prop.get("anyOf", ())):
                if name in unique and member.get("examples"):
                    rule = rules.setdefault(name, {"examples": [], "maxLength": member.get("maxLength")})
                    rule["examples"] += [value for value in member["examples"] if value not in rule["examples"]]
    return rules


def offline_assets() -> Path:
    """The folder of Swagger UI's and ReDoc's files in the installed fastapi-offline package."""
    spec = importlib.util.find_spec(OFFLINE_PACKAGE)
    if spec is None or spec.origin is None:
        raise RuntimeError("DOCS_OFFLINE needs the fastapi-offline package: `uv add fastapi-offline`")
    return Path(spec.origin).parent / "static"


def install(app: FastAPI, *, offline: bool = False) -> None:
    """Serve `/docs` as FastAPI does, with the page's request interceptor; offline, `/docs` and
    `/redoc` with their files served by the app."""
    replaced = {app.docs_url, app.redoc_url} if offline else {app.docs_url}
    app.router.routes = [
        route for route in app.router.routes if not (hasattr(route, "path") and route.path in replaced)
    ]
    assets = {}
    if offline:
        app.mount(ASSETS, StaticFiles(directory=offline_assets()), name="docs-assets")
        assets = {
            "swagger_js_url": f"{ASSETS}/swagger-ui-bundle.js",
            "swagger_css_url": f"{ASSETS}/swagger-ui.css",
            "swagger_favicon_url": f"{ASSETS}/favicon.png",
        }

        async def redoc(_request: Request) -> HTMLResponse:
            return get_redoc_html(
                openapi_url=app.openapi_url or "/openapi.json",
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{ASSETS}/redoc.standalone.js",
                redoc_favicon_url=f"{ASSETS}/favicon.png",
                with_google_fonts=False,
            )

        app.add_route(app.redoc_url or "/redoc", redoc, include_in_schema=False)

    # A plain route, as FastAPI adds its own: the page is not an operation of the API.
    async def swagger_ui(_request: Request) -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
            **assets,
        )
        script = _INTERCEPTOR % json.dumps(unique_examples(app)).replace("</", "<\\/")
        interceptor = f"{script}\n    {_BUNDLE}\n    requestInterceptor: freshExamples,"
        return HTMLResponse(bytes(page.body).decode().replace(_BUNDLE, interceptor))

    app.add_route(app.docs_url or "/docs", swagger_ui, include_in_schema=False)
