"""The interactive docs page (`/docs`): FastAPI's Swagger UI, whose example bodies can be sent twice.

A unique field has one example, so the second "Execute" of a create would be a 409. The page
varies a unique field's value when it is still the documented example (a `+tag` for an email, a
query for a URL, a suffix for text) before sending it. Only this page does: the API is unchanged.
"""

import json
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
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


def install(app: FastAPI) -> None:
    """Serve `/docs` as FastAPI does, with the page's request interceptor."""
    app.router.routes = [route for route in app.router.routes if getattr(route, "path", None) != app.docs_url]

    # A plain route, as FastAPI adds its own: the page is not an operation of the API.
    async def swagger_ui(_request: Request) -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
        script = _INTERCEPTOR % json.dumps(unique_examples(app)).replace("</", "<\\/")
        interceptor = f"{script}\n    {_BUNDLE}\n    requestInterceptor: freshExamples,"
        return HTMLResponse(bytes(page.body).decode().replace(_BUNDLE, interceptor))

    app.add_route(app.docs_url or "/docs", swagger_ui, include_in_schema=False)
