"""What the auth tests share: the routes, signing in, forged tokens and the error contract."""

import base64
import datetime as dt
import json
from typing import Any

import jwt
from httpx import AsyncClient, Response

from src.auth import constants
from src.auth.config import settings
from src.config import settings as app_settings
from tests.auth.fixtures import PASSWORD

URL = f"{app_settings.API_PREFIX}/auth"
NEW_PASSWORD = "a brand new passphrase"  # noqa: S105 (a test user's)


def assert_error(response: Response, status_code: int, code: str) -> dict[str, Any]:
    """The response is the error contract's, with this status and code; its error."""
    assert response.status_code == status_code, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details", "request_id"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def assert_unauthorized(response: Response) -> dict[str, Any]:
    error = assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    return error


def assert_token_error(response: Response, status_code: int, error: str) -> str:
    """The token endpoint's error (RFC 6749, 5.2), never cached; its description."""
    assert response.status_code == status_code, response.text
    body = response.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == error
    assert response.headers["Cache-Control"] == "no-store"
    return body["error_description"]


def assert_invalid_grant(response: Response) -> str:
    return assert_token_error(response, 400, "invalid_grant")


async def login(client: AsyncClient, email: str, password: str = PASSWORD) -> Response:
    return await client.post(f"{URL}/login", data={"username": email, "password": password})


async def tokens(client: AsyncClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """A new token pair of the user, from the login route."""
    response = await login(client, email, password)
    assert response.status_code == 200, response.text
    return response.json()


def claims(user_id: Any, **changes: Any) -> dict[str, Any]:
    """The claims the service signs for `user_id`, with `changes` (None removes a claim)."""
    now = dt.datetime.now(dt.UTC)
    values = {
        "sub": str(user_id),
        "iss": settings.ISSUER,
        "aud": settings.AUDIENCE,
        "iat": now,
        "exp": now + dt.timedelta(minutes=5),
        **changes,
    }
    return {name: value for name, value in values.items() if value is not None}


def signed(payload: dict[str, Any], key: str | None = None) -> str:
    secret = key or settings.SECRET_KEY.get_secret_value()
    return jwt.encode(payload, secret, algorithm=constants.JWT_ALGORITHM)


def unsigned(payload: dict[str, Any]) -> str:
    """A token that says `alg: none` and has no signature."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    serializable = {
        name: int(value.timestamp()) if isinstance(value, dt.datetime) else value for name, value in payload.items()
    }
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(serializable)}."


def bearer_token(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
