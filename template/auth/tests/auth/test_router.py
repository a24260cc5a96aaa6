"""Each route of the auth domain: status codes, bodies and the error contract."""

import datetime as dt
import uuid
from typing import Any

import pytest
from httpx import AsyncClient

from src.auth import utils
from src.auth.config import settings
from tests.auth.fixtures import PASSWORD, MakeUser, bearer
from tests.auth.helpers import (
    NEW_PASSWORD,
    URL,
    assert_error,
    assert_unauthorized,
    bearer_token,
    claims,
    login,
    signed,
    tokens,
    unsigned,
)

USER_KEYS = {"id", "email", "is_active", "is_superuser", "created_at", "updated_at"}


# ---------------------------------------------------------------- register


async def test_register_returns_the_user_without_the_hash(anonymous_client: AsyncClient) -> None:
    response = await anonymous_client.post(f"{URL}/register", json={"email": "Ada@Example.com", "password": PASSWORD})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == USER_KEYS
    assert body["email"] == "ada@example.com"
    assert body["is_active"] is True
    assert body["is_superuser"] is False
    assert "argon2" not in response.text


async def test_register_with_a_taken_email_is_409_whatever_its_case(
    anonymous_client: AsyncClient, user: dict[str, Any]
) -> None:
    body = {"email": user["email"].upper(), "password": PASSWORD}
    error = assert_error(await anonymous_client.post(f"{URL}/register", json=body), 409, "conflict")
    assert [detail["field"] for detail in error["details"]] == ["email"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "ada@example.com", "password": "short"}, "password"),
        ({"email": "ada@example.com", "password": "x" * 129}, "password"),
        ({"email": "ada@example.com", "password": "nul \x00 in a password"}, "password"),
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "ada@example.com"}, "password"),
        ({"email": "ada@example.com", "password": PASSWORD, "is_superuser": True}, "body"),
    ],
)
async def test_register_refuses_bad_input(anonymous_client: AsyncClient, body: dict[str, Any], field: str) -> None:
    error = assert_error(await anonymous_client.post(f"{URL}/register", json=body), 422, "validation_error")
    assert field in [detail["field"] for detail in error["details"]]


# ---------------------------------------------------------------- login


async def test_login_returns_exactly_a_token_pair(anonymous_client: AsyncClient, user: dict[str, Any]) -> None:
    pair = await tokens(anonymous_client, user["email"].upper())
    assert set(pair) == {"access_token", "refresh_token", "token_type"}
    assert pair["token_type"] == "bearer"  # noqa: S105 (the OAuth2 token type)
    me = await anonymous_client.get(f"{URL}/me", headers=bearer_token(pair["access_token"]))
    assert me.json()["email"] == user["email"]


async def test_wrong_password_and_unknown_email_are_the_same_401(
    anonymous_client: AsyncClient, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []
    real_verify = utils.verify_password

    def spy(password: str, password_hash: str) -> bool:
        verified.append(password_hash)
        return real_verify(password, password_hash)

    monkeypatch.setattr(utils, "verify_password", spy)
    wrong = assert_unauthorized(await login(anonymous_client, user["email"], "not the password"))
    unknown = assert_unauthorized(await login(anonymous_client, "nobody@example.com"))
    assert (wrong["code"], wrong["message"]) == (unknown["code"], unknown["message"])
    # The unknown email cost a password verification too: against the dummy hash.
    assert verified == [verified[0], utils.dummy_password_hash()]


async def test_an_inactive_user_cannot_sign_in(anonymous_client: AsyncClient, make_user: MakeUser) -> None:
    inactive = await make_user(active=False)
    assert_unauthorized(await login(anonymous_client, inactive["email"]))


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"password": PASSWORD}, "username"),
        ({"username": "user@example.com"}, "password"),
        ({"username": "user@example.com", "password": PASSWORD, "grant_type": "client_credentials"}, "grant_type"),
        ({"username": "user@example.com", "password": "nul\x00"}, "password"),
    ],
)
async def test_login_refuses_a_malformed_form(anonymous_client: AsyncClient, form: dict[str, str], field: str) -> None:
    error = assert_error(await anonymous_client.post(f"{URL}/login", data=form), 422, "validation_error")
    assert field in [detail["field"] for detail in error["details"]]


async def test_login_takes_the_full_oauth2_form(anonymous_client: AsyncClient, user: dict[str, Any]) -> None:
    form = {
        "grant_type": "password",
        "username": user["email"],
        "password": PASSWORD,
        "scope": "",
        "client_id": "docs",
        "client_secret": "",
    }
    response = await anonymous_client.post(f"{URL}/login", data=form)
    assert response.status_code == 200, response.text


# ---------------------------------------------------------------- throttling


@pytest.fixture
def two_failures_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "LOGIN_MAX_FAILURES", 2)


@pytest.mark.usefixtures("two_failures_lock")
async def test_too_many_failures_lock_the_account(anonymous_client: AsyncClient, user: dict[str, Any]) -> None:
    for _ in range(2):
        assert_unauthorized(await login(anonymous_client, user["email"], "not the password"))
    # Locked: even the right password is refused, without being checked.
    response = await login(anonymous_client, user["email"])
    assert_error(response, 429, "too_many_requests")
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= settings.LOGIN_LOCK_MINUTES * 60
    # Another account is not affected.
    other = await anonymous_client.post(f"{URL}/register", json={"email": "ada@example.com", "password": PASSWORD})
    assert other.status_code == 201
    assert (await login(anonymous_client, "ada@example.com")).status_code == 200


@pytest.mark.usefixtures("two_failures_lock")
async def test_unknown_emails_are_throttled_alike(anonymous_client: AsyncClient) -> None:
    for _ in range(2):
        assert_unauthorized(await login(anonymous_client, "Nobody@example.com"))
    assert_error(await login(anonymous_client, "nobody@example.com"), 429, "too_many_requests")


@pytest.mark.usefixtures("two_failures_lock")
async def test_a_success_clears_the_failures(anonymous_client: AsyncClient, user: dict[str, Any]) -> None:
    assert_unauthorized(await login(anonymous_client, user["email"], "not the password"))
    await tokens(anonymous_client, user["email"])
    assert_unauthorized(await login(anonymous_client, user["email"], "not the password"))
    assert (await login(anonymous_client, user["email"])).status_code == 200


# ---------------------------------------------------------------- me and the access token


async def test_me_is_the_signed_in_user(client: AsyncClient, user: dict[str, Any]) -> None:
    response = await client.get(f"{URL}/me")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == USER_KEYS
    assert body["email"] == user["email"]


async def test_me_without_a_token_is_401(anonymous_client: AsyncClient) -> None:
    assert_unauthorized(await anonymous_client.get(f"{URL}/me"))


def _tampered(user: dict[str, Any]) -> str:
    """A valid token whose claims are swapped for another user's, its signature kept."""
    header, _claims, signature = utils.create_access_token(user["id"]).split(".")
    other_claims = utils.create_access_token("1" if str(user["id"]) != "1" else "2").split(".")[1]
    return f"{header}.{other_claims}.{signature}"


BAD_TOKENS = {
    "tampered": _tampered,
    "expired": lambda user: signed(claims(user["id"], exp=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))),
    "wrong issuer": lambda user: signed(claims(user["id"], iss="someone-else")),
    "wrong audience": lambda user: signed(claims(user["id"], aud="another-api")),
    "alg none": lambda user: unsigned(claims(user["id"])),
    "another key": lambda user: signed(claims(user["id"]), key="another-key-of-at-least-32-characters!"),
    "no expiry": lambda user: signed(claims(user["id"], exp=None)),
    "no subject": lambda user: signed(claims(user["id"], sub=None)),
    "subject not an id": lambda user: signed(claims("not-an-id")),
    "unknown user": lambda user: signed(claims(uuid.uuid4() if isinstance(user["id"], uuid.UUID) else 2**53 - 1)),
    "not a jwt": lambda user: "not.a.jwt",
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
async def test_a_bad_token_is_401(anonymous_client: AsyncClient, user: dict[str, Any], kind: str) -> None:
    response = await anonymous_client.get(f"{URL}/me", headers=bearer_token(BAD_TOKENS[kind](user)))
    assert_unauthorized(response)


async def test_an_inactive_users_token_is_401(anonymous_client: AsyncClient, make_user: MakeUser) -> None:
    inactive = await make_user(active=False)
    assert_unauthorized(await anonymous_client.get(f"{URL}/me", headers=bearer(inactive)))


async def test_another_scheme_is_401(anonymous_client: AsyncClient, user: dict[str, Any]) -> None:
    token = utils.create_access_token(user["id"])
    assert_unauthorized(await anonymous_client.get(f"{URL}/me", headers={"Authorization": f"Basic {token}"}))


# ---------------------------------------------------------------- refresh and logout


async def test_refresh_rotates_the_pair(anonymous_client: AsyncClient, user: dict[str, Any]) -> None:
    first = await tokens(anonymous_client, user["email"])
    response = await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200, response.text
    second = response.json()
    assert set(second) == {"access_token", "refresh_token", "token_type"}
    assert second["refresh_token"] != first["refresh_token"]
    assert (await anonymous_client.get(f"{URL}/me", headers=bearer_token(second["access_token"]))).status_code == 200


async def test_a_reused_refresh_token_revokes_its_family(anonymous_client: AsyncClient, user: dict[str, Any]) -> None:
    first = await tokens(anonymous_client, user["email"])
    second = (await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": first["refresh_token"]})).json()
    # The spent token again: refused, and the token it was exchanged for is revoked too.
    assert_unauthorized(await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": first["refresh_token"]}))
    assert_unauthorized(await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": second["refresh_token"]}))


async def test_another_login_is_another_family(anonymous_client: AsyncClient, user: dict[str, Any]) -> None:
    laptop, phone = await tokens(anonymous_client, user["email"]), await tokens(anonymous_client, user["email"])
    await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": laptop["refresh_token"]})
    await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": laptop["refresh_token"]})
    response = await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": phone["refresh_token"]})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("token", ["unknown", "x" * 64])
async def test_refresh_with_an_unknown_token_is_401(anonymous_client: AsyncClient, token: str) -> None:
    assert_unauthorized(await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": token}))


@pytest.mark.parametrize("body", [{}, {"refresh_token": ""}, {"refresh_token": "x" * 65}, {"refresh_token": 5}])
async def test_refresh_refuses_a_malformed_body(anonymous_client: AsyncClient, body: dict[str, Any]) -> None:
    assert_error(await anonymous_client.post(f"{URL}/refresh", json=body), 422, "validation_error")


async def test_logout_revokes_the_refresh_token(anonymous_client: AsyncClient, user: dict[str, Any]) -> None:
    pair = await tokens(anonymous_client, user["email"])
    response = await anonymous_client.post(f"{URL}/logout", json={"refresh_token": pair["refresh_token"]})
    assert response.status_code == 204
    assert response.content == b""
    assert_unauthorized(await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": pair["refresh_token"]}))


async def test_logout_with_an_unknown_token_is_204(anonymous_client: AsyncClient) -> None:
    response = await anonymous_client.post(f"{URL}/logout", json={"refresh_token": "unknown"})
    assert response.status_code == 204


# ---------------------------------------------------------------- password change


async def test_password_change_revokes_every_refresh_token(client: AsyncClient, user: dict[str, Any]) -> None:
    pairs = [await tokens(client, user["email"]) for _ in range(2)]
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    response = await client.post(f"{URL}/password", json=body)
    assert response.status_code == 204, response.text
    for pair in pairs:
        assert_unauthorized(await client.post(f"{URL}/refresh", json={"refresh_token": pair["refresh_token"]}))
    assert_unauthorized(await login(client, user["email"]))
    assert (await login(client, user["email"], NEW_PASSWORD)).status_code == 200


async def test_password_change_with_a_wrong_current_password_is_403(client: AsyncClient) -> None:
    body = {"current_password": "not the password", "new_password": NEW_PASSWORD}
    assert_error(await client.post(f"{URL}/password", json=body), 403, "forbidden")


@pytest.mark.usefixtures("two_failures_lock")
async def test_password_change_is_throttled(client: AsyncClient) -> None:
    body = {"current_password": "not the password", "new_password": NEW_PASSWORD}
    for _ in range(2):
        assert_error(await client.post(f"{URL}/password", json=body), 403, "forbidden")
    response = await client.post(f"{URL}/password", json={**body, "current_password": PASSWORD})
    assert_error(response, 429, "too_many_requests")
    assert int(response.headers["Retry-After"]) > 0


async def test_password_change_refuses_a_short_password(client: AsyncClient) -> None:
    body = {"current_password": PASSWORD, "new_password": "short"}
    error = assert_error(await client.post(f"{URL}/password", json=body), 422, "validation_error")
    assert [detail["field"] for detail in error["details"]] == ["new_password"]


async def test_password_change_needs_a_token(anonymous_client: AsyncClient) -> None:
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert_unauthorized(await anonymous_client.post(f"{URL}/password", json=body))


# ---------------------------------------------------------------- user administration


async def test_superusers_list_users(
    client: AsyncClient, user: dict[str, Any], superuser: dict[str, Any], make_user: MakeUser
) -> None:
    await make_user(active=False)
    response = await client.get(f"{URL}/users", params={"total": "true", "limit": 2}, headers=bearer(superuser))
    assert response.status_code == 200, response.text
    page = response.json()
    assert set(page) == {"items", "total", "limit", "offset", "next"}
    assert page["total"] == 3
    assert len(page["items"]) == 2
    assert all(set(item) == USER_KEYS for item in page["items"])
    rest = await client.get(f"{URL}/users", params={"cursor": page["next"], "limit": 2}, headers=bearer(superuser))
    assert len(rest.json()["items"]) == 1
    assert rest.json()["next"] is None


async def test_the_user_list_filters(client: AsyncClient, superuser: dict[str, Any], make_user: MakeUser) -> None:
    inactive = await make_user(active=False)
    response = await client.get(f"{URL}/users", params={"is_active": "false"}, headers=bearer(superuser))
    assert [item["email"] for item in response.json()["items"]] == [inactive["email"]]
    response = await client.get(f"{URL}/users", params={"email": "ADMIN@example.com"}, headers=bearer(superuser))
    assert [item["email"] for item in response.json()["items"]] == [superuser["email"]]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/users"),
        ("GET", "/users/{id}"),
        ("POST", "/users/{id}/deactivate"),
        ("POST", "/users/{id}/reactivate"),
    ],
)
async def test_user_administration_is_for_superusers(
    client: AsyncClient, anonymous_client: AsyncClient, other_user: dict[str, Any], method: str, path: str
) -> None:
    url = URL + path.format(id=other_user["id"])
    assert_error(await client.request(method, url), 403, "forbidden")
    assert_unauthorized(await anonymous_client.request(method, url))


async def test_get_a_user(client: AsyncClient, user: dict[str, Any], superuser: dict[str, Any]) -> None:
    response = await client.get(f"{URL}/users/{user['id']}", headers=bearer(superuser))
    assert response.status_code == 200, response.text
    assert response.json()["email"] == user["email"]


async def test_an_unknown_user_is_404(client: AsyncClient, superuser: dict[str, Any]) -> None:
    missing = uuid.uuid4() if isinstance(superuser["id"], uuid.UUID) else 2**53 - 1
    for method, path in [("GET", ""), ("POST", "/deactivate"), ("POST", "/reactivate")]:
        response = await client.request(method, f"{URL}/users/{missing}{path}", headers=bearer(superuser))
        assert_error(response, 404, "not_found")


@pytest.mark.parametrize("user_id", ["abc", "0", "1.5", "-1"])
async def test_a_malformed_user_id_is_422(client: AsyncClient, superuser: dict[str, Any], user_id: str) -> None:
    assert_error(await client.get(f"{URL}/users/{user_id}", headers=bearer(superuser)), 422, "validation_error")


async def test_deactivate_and_reactivate(
    client: AsyncClient, anonymous_client: AsyncClient, user: dict[str, Any], superuser: dict[str, Any]
) -> None:
    pair = await tokens(anonymous_client, user["email"])
    response = await client.post(f"{URL}/users/{user['id']}/deactivate", headers=bearer(superuser))
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    # Their access token is refused from now on, their refresh token is revoked, and they cannot sign in.
    assert_unauthorized(await client.get(f"{URL}/me"))
    assert_unauthorized(await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": pair["refresh_token"]}))
    assert_unauthorized(await login(anonymous_client, user["email"]))

    response = await client.post(f"{URL}/users/{user['id']}/reactivate", headers=bearer(superuser))
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is True
    assert (await client.get(f"{URL}/me")).status_code == 200


async def test_a_superuser_cannot_deactivate_themself(client: AsyncClient, superuser: dict[str, Any]) -> None:
    response = await client.post(f"{URL}/users/{superuser['id']}/deactivate", headers=bearer(superuser))
    assert_error(response, 409, "conflict")
