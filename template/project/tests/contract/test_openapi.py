"""Pydantic models and endpoint metadata: every route declares its response model (or a status
without a body), status code, summary, description and tags, reads its body into a Pydantic
model, and documents its errors with the one error shape."""

import re
import typing
from typing import Any

from fastapi import FastAPI, status
from fastapi.routing import APIRoute
from pydantic import BaseModel

from src.web import contract
from tests.contract import scan

PRINCIPLE = "Pydantic Models & Endpoint Metadata"
NO_BODY = {status.HTTP_204_NO_CONTENT, status.HTTP_304_NOT_MODIFIED}


def test_every_route_declares_its_metadata(app: FastAPI) -> None:
    violations = [
        f"{scan.describe(route)}: no {', '.join(missing)}"
        for route in scan.routes(app)
        if (missing := _missing_metadata(route))
    ]
    scan.fail_on(PRINCIPLE, "routes declare response_model, status_code, summary, description and tags", violations)


def _missing_metadata(route: APIRoute) -> list[str]:
    declared = {
        # FastAPI makes up a summary from the function's name: only one written down counts.
        "summary": route.summary,
        "description": route.description,
        "tags": route.tags,
        "status_code": route.status_code,
        "response_model": route.response_model or route.status_code in NO_BODY,
    }
    return [name for name, value in declared.items() if not value]


def test_bodies_and_responses_are_pydantic_models(app: FastAPI) -> None:
    violations = [
        f"{scan.describe(route)}: the body `{parameter.name}` is a {parameter.field_info.annotation!r}"
        for route in scan.routes(app)
        for parameter in route.dependant.body_params
        if not _holds_a_model(parameter.field_info.annotation)
    ]
    violations += [
        f"{scan.describe(route)}: response_model {route.response_model!r} holds no Pydantic model"
        for route in scan.routes(app)
        if route.response_model is not None and not _holds_a_model(route.response_model)
    ]
    scan.fail_on(PRINCIPLE, "request bodies and responses are Pydantic models", violations)


def _holds_a_model(annotation: Any) -> bool:
    """A model, or a container, union or Annotated of one (`list[ItemRead]`, `ItemRead | None`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_a_model(argument) for argument in typing.get_args(annotation))


def _operations(app: FastAPI) -> list[tuple[str, str, dict]]:
    return [
        (path, method, operation)
        for path, methods in app.openapi()["paths"].items()
        for method, operation in methods.items()
    ]


# The error shape, and the one place it yields to a standard: an OAuth2 token endpoint's errors
# (RFC 6749, 5.2), which OAuth2 clients (/docs' "Authorize" among them) read.
ERROR_SCHEMAS = [{"$ref": "#/components/schemas/ErrorResponse"}, {"$ref": "#/components/schemas/TokenErrorResponse"}]


def test_error_responses_use_the_contract(app: FastAPI) -> None:
    violations = [
        f"{method.upper()} {path}: the {code} response is not an ErrorResponse"
        for path, method, operation in _operations(app)
        for code, response in operation["responses"].items()
        if code.startswith(("4", "5"))
        and response.get("content", {}).get("application/json", {}).get("schema") not in ERROR_SCHEMAS
    ]
    scan.fail_on(PRINCIPLE, "every documented error has the error shape", violations)


def test_operation_ids_name_the_domain_and_the_action(app: FastAPI) -> None:
    """`<domain>_<action>` (src/web/operation_ids.py), once each: what generated clients call."""
    seen: dict[str, str] = {}
    violations = []
    for path, method, operation in _operations(app):
        place, operation_id = f"{method.upper()} {path}", operation.get("operationId", "")
        tag = (operation.get("tags") or ["api"])[0]
        if not re.fullmatch(rf"{re.escape(tag)}_[a-z0-9]+(_[a-z0-9]+)*", operation_id):
            violations.append(f"{place}: the operation id {operation_id!r} is not `{tag}_<action>`")
        if operation_id in seen:
            violations.append(f"{place}: the operation id {operation_id!r} is also {seen[operation_id]}'s")
        seen.setdefault(operation_id, place)
    scan.fail_on(PRINCIPLE, "operation ids are `<domain>_<action>`, each used once", violations)


def test_the_committed_contract_is_the_apps() -> None:
    """openapi.json, committed at the root, is the document the code makes: a change to the API
    shows in review, and a change nobody wrote down fails here."""
    problem = contract.drift()
    scan.fail_on(PRINCIPLE, "openapi.json is the app's OpenAPI document", [problem] if problem else [])


def test_health_is_outside_the_api_prefix(app: FastAPI) -> None:
    assert "/health" in app.openapi()["paths"]
