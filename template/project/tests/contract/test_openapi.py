"""Every operation documents itself: summary, description, tags and the error contract."""

from fastapi import FastAPI


def _operations(app: FastAPI) -> list[tuple[str, str, dict]]:
    return [
        (path, method, operation)
        for path, methods in app.openapi()["paths"].items()
        for method, operation in methods.items()
    ]


def test_every_operation_has_metadata(app: FastAPI) -> None:
    operations = _operations(app)
    assert operations
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), f"{where} has no summary"
        assert operation.get("description"), f"{where} has no description"
        assert operation.get("tags"), f"{where} has no tags"


def test_error_responses_use_the_contract(app: FastAPI) -> None:
    for path, method, operation in _operations(app):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, f"{method} {path} {status}"


def test_health_is_outside_the_api_prefix(app: FastAPI) -> None:
    assert "/health" in app.openapi()["paths"]
