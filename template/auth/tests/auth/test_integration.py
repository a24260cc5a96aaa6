"""The auth flow end to end over HTTP, and what the OpenAPI document tells clients about it."""

from fastapi import FastAPI
from httpx import AsyncClient

from src.config import settings as app_settings
from tests.auth.helpers import NEW_PASSWORD, URL, assert_invalid_grant, bearer_token, login, tokens

EMAIL = "grace@example.com"
PASSWORD = "a passphrase of some length"  # noqa: S105 (a test user's)


async def test_register_sign_in_refresh_sign_out_change_password(anonymous_client: AsyncClient) -> None:
    registered = await anonymous_client.post(f"{URL}/register", json={"email": EMAIL, "password": PASSWORD})
    assert registered.status_code == 202, registered.text

    first = await tokens(anonymous_client, EMAIL, PASSWORD)
    me = await anonymous_client.get(f"{URL}/me", headers=bearer_token(first["access_token"]))
    assert me.json()["email"] == EMAIL

    refreshed = await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": first["refresh_token"]})
    second = refreshed.json()
    # The old refresh token is spent; replaying it revokes the new one too.
    assert_invalid_grant(await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": first["refresh_token"]}))
    assert_invalid_grant(await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": second["refresh_token"]}))

    third = await tokens(anonymous_client, EMAIL, PASSWORD)
    logout = await anonymous_client.post(f"{URL}/logout", json={"refresh_token": third["refresh_token"]})
    assert logout.status_code == 204
    assert_invalid_grant(await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": third["refresh_token"]}))

    fourth = await tokens(anonymous_client, EMAIL, PASSWORD)
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    changed = await anonymous_client.post(f"{URL}/password", json=change, headers=bearer_token(fourth["access_token"]))
    assert changed.status_code == 204, changed.text
    assert_invalid_grant(await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": fourth["refresh_token"]}))
    assert_invalid_grant(await login(anonymous_client, EMAIL, PASSWORD))
    await tokens(anonymous_client, EMAIL, NEW_PASSWORD)


def test_openapi_shows_the_oauth2_flow_on_exactly_the_protected_operations(app: FastAPI) -> None:
    document = app.openapi()
    (scheme,) = document["components"]["securitySchemes"].values()
    assert scheme["flows"]["password"]["tokenUrl"] == f"{app_settings.API_PREFIX}/auth/login"
    secured = {
        (method.upper(), path.removeprefix(URL))
        for path, operations in document["paths"].items()
        if path.startswith(f"{URL}/")
        for method, operation in operations.items()
        if operation.get("security")
    }
    assert secured == {
        ("GET", "/me"),
        ("POST", "/password"),
        ("GET", "/users"),
        ("GET", "/users/{user_id}"),
        ("POST", "/users/{user_id}/deactivate"),
        ("POST", "/users/{user_id}/reactivate"),
    }
    assert "401" in document["paths"][f"{URL}/me"]["get"]["responses"]


def test_openapi_gives_the_token_endpoint_rfc_6749_errors(app: FastAPI) -> None:
    """The one place the service's error shape yields to the standard: `/auth/login` (the token
    URL /docs' "Authorize" signs in with) and `/auth/refresh` answer `{"error", "error_description"}`."""
    paths = app.openapi()["paths"]
    oauth = {"$ref": "#/components/schemas/TokenErrorResponse"}
    for path, errors in {"/login": {"400", "429"}, "/refresh": {"400"}}.items():
        responses = paths[f"{URL}{path}"]["post"]["responses"]
        assert {code for code, response in responses.items() if _schema(response) == oauth} == errors
        assert "422" not in responses
        assert "requestBody" in paths[f"{URL}{path}"]["post"]
    assert "retry-after" in {name.lower() for name in paths[f"{URL}/login"]["post"]["responses"]["429"]["headers"]}


def _schema(response: dict) -> object:
    return response.get("content", {}).get("application/json", {}).get("schema")
