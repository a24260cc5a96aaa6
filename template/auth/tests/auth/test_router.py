"""Each route of the auth domain: status codes, bodies and the error contracts (the service's, and
RFC 6749's on the token endpoint)."""

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from src.auth import dependencies, service, utils
from src.auth.config import settings
from tests.auth.fixtures import PASSWORD, MakeUser, bearer
from tests.auth.helpers import (
    NEW_PASSWORD,
    URL,
    assert_error,
    assert_invalid_grant,
    assert_token_error,
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


async def test_register_creates_an_account_to_sign_in_with(anonymous_client: AsyncClient) -> None:
    response = await anonymous_client.post(f"{URL}/register", json={"email": "Ada@Example.com", "password": PASSWORD})
    assert response.status_code == 202, response.text
    assert response.json()["email"] == "ada@example.com"
    assert "argon2" not in response.text
    pair = await tokens(anonymous_client, "ada@example.com")
    me = await anonymous_client.get(f"{URL}/me", headers=bearer_token(pair["access_token"]))
    assert me.json()["email"] == "ada@example.com"
    assert (me.json()["is_active"], me.json()["is_superuser"]) == (True, False)


async def test_register_answers_the_same_for_a_taken_email_and_changes_nothing(
    anonymous_client: AsyncClient, user: dict[str, Any]
) -> None:
    new = await anonymous_client.post(f"{URL}/register", json={"email": "new@example.com", "password": NEW_PASSWORD})
    taken = await anonymous_client.post(
        f"{URL}/register", json={"email": user["email"].upper(), "password": NEW_PASSWORD}
    )
    assert (taken.status_code, taken.json()["message"]) == (new.status_code, new.json()["message"])
    # The account keeps its password: registering someone's email does not take it over.
    assert (await login(anonymous_client, user["email"])).status_code == 200
    assert_invalid_grant(await login(anonymous_client, user["email"], NEW_PASSWORD))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "ada@example.com", "password": "short"}, "password"),
        ({"email": "ada@example.com", "password": "x" * 129}, "password"),
        ({"email": "ada@example.com", "password": "nul \x00 in a password"}, "password"),
        ({"email": "ada@example.com", "password": "12345678"}, "password"),
        ({"email": "ada@example.com", "password": "PASSWORD1"}, "password"),
        ({"email": "ada@example.com", "password": "iloveyou"}, "password"),
        ({"email": "lovelace@example.com", "password": "Lovelace"}, "password"),
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
    response = await login(anonymous_client, user["email"].upper())
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    pair = response.json()
    assert set(pair) == {"access_token", "refresh_token", "token_type"}
    assert pair["token_type"] == "bearer"  # noqa: S105 (the OAuth2 token type)
    me = await anonymous_client.get(f"{URL}/me", headers=bearer_token(pair["access_token"]))
    assert me.json()["email"] == user["email"]


async def test_wrong_password_unknown_email_and_deactivated_account_are_the_same_invalid_grant(
    anonymous_client: AsyncClient, user: dict[str, Any], make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []
    real_verify = utils.verify_password

    def spy(password: str, password_hash: str) -> bool:
        verified.append(password_hash)
        return real_verify(password, password_hash)

    monkeypatch.setattr(utils, "verify_password", spy)
    inactive = await make_user(active=False)
    wrong = assert_invalid_grant(await login(anonymous_client, user["email"], "not the password"))
    unknown = assert_invalid_grant(await login(anonymous_client, "nobody@example.com"))
    # The right password of a deactivated account tells nothing more than a wrong one.
    deactivated = assert_invalid_grant(await login(anonymous_client, inactive["email"]))
    assert wrong == unknown == deactivated == "Incorrect email or password"
    # The unknown email cost a password verification too: against the dummy hash.
    assert verified[1] == utils.dummy_password_hash()
    assert len(verified) == 3


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"password": PASSWORD}, "invalid_request"),
        ({"username": "user@example.com"}, "invalid_request"),
        ({"username": "not-an-email", "password": PASSWORD}, "invalid_request"),
        ({"username": "user@example.com", "password": "nul\x00"}, "invalid_request"),
        ({"username": "user@example.com", "password": PASSWORD, "extra": "field"}, "invalid_request"),
        (
            {"username": "user@example.com", "password": PASSWORD, "grant_type": "client_credentials"},
            "unsupported_grant_type",
        ),
    ],
)
async def test_login_refuses_a_malformed_form_as_rfc_6749_says(
    anonymous_client: AsyncClient, form: dict[str, str], error: str
) -> None:
    assert_token_error(await anonymous_client.post(f"{URL}/login", data=form), 400, error)


async def test_login_refuses_a_json_body(anonymous_client: AsyncClient, user: dict[str, Any]) -> None:
    response = await anonymous_client.post(f"{URL}/login", json={"username": user["email"], "password": PASSWORD})
    assert_token_error(response, 400, "invalid_request")


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
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The throttle's clock stands still (a test moves it): a slow machine never outwaits a delay."""
    moment = dt.datetime.now(dt.UTC)
    monkeypatch.setattr(service, "_now", lambda: moment)


@pytest.fixture
def small_allowances(monkeypatch: pytest.MonkeyPatch, frozen_clock: None) -> None:
    """Two failures of an account from one address, and four shared, before each attempt waits."""
    monkeypatch.setattr(settings, "LOGIN_DELAY_AFTER", 2)
    monkeypatch.setattr(settings, "LOGIN_DELAY_AFTER_SHARED", 4)


@contextlib.asynccontextmanager
async def client_at(app: FastAPI, address: str) -> AsyncIterator[AsyncClient]:
    """A client calling from `address`."""
    transport = ASGITransport(app=app, client=(address, 50000))
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.mark.usefixtures("small_allowances")
async def test_failures_make_the_next_attempt_wait_a_little_longer_each_time(
    anonymous_client: AsyncClient, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    start = dt.datetime.now(dt.UTC)
    monkeypatch.setattr(service, "_now", lambda: start)
    for _ in range(2):
        assert_invalid_grant(await login(anonymous_client, user["email"], "not the password"))
    # Past the allowance: even the right password waits, unchecked, answered as OAuth2's slow_down.
    response = await login(anonymous_client, user["email"])
    assert_token_error(response, 429, "slow_down")
    assert response.headers["Retry-After"] == "1"
    monkeypatch.setattr(service, "_now", lambda: start + dt.timedelta(seconds=1))
    assert_invalid_grant(await login(anonymous_client, user["email"], "not the password"))
    # One more failure, twice the wait: growing, never a lockout.
    assert (await login(anonymous_client, user["email"])).headers["Retry-After"] == "2"
    monkeypatch.setattr(service, "_now", lambda: start + dt.timedelta(seconds=3))
    assert (await login(anonymous_client, user["email"])).status_code == 200


@pytest.mark.usefixtures("small_allowances")
async def test_the_wait_never_passes_the_maximum(
    anonymous_client: AsyncClient, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = dt.datetime.now(dt.UTC)
    for _ in range(12):
        monkeypatch.setattr(service, "_now", lambda moment=moment: moment)
        assert_invalid_grant(await login(anonymous_client, user["email"], "not the password"))
        moment += dt.timedelta(seconds=settings.LOGIN_DELAY_MAX_SECONDS)
    monkeypatch.setattr(service, "_now", lambda: moment - dt.timedelta(seconds=settings.LOGIN_DELAY_MAX_SECONDS))
    response = await login(anonymous_client, user["email"])
    assert int(response.headers["Retry-After"]) == settings.LOGIN_DELAY_MAX_SECONDS


@pytest.mark.usefixtures("small_allowances")
async def test_someone_elses_failures_do_not_stop_the_right_password_from_another_address(
    test_app: FastAPI, user: dict[str, Any]
) -> None:
    async with client_at(test_app, "203.0.113.7") as attacker, client_at(test_app, "198.51.100.20") as owner:
        for _ in range(3):
            await login(attacker, user["email"], "a guess")
        assert_token_error(await login(attacker, user["email"], "a guess"), 429, "slow_down")
        assert (await login(owner, user["email"])).status_code == 200


@pytest.mark.usefixtures("small_allowances")
async def test_many_addresses_failing_on_one_account_slow_it_down_for_everyone(
    test_app: FastAPI, user: dict[str, Any]
) -> None:
    for number in range(4):
        async with client_at(test_app, f"203.0.113.{number}") as attacker:
            assert_invalid_grant(await login(attacker, user["email"], "a guess"))
    async with client_at(test_app, "198.51.100.20") as owner:
        response = await login(owner, user["email"])
    assert_token_error(response, 429, "slow_down")
    assert int(response.headers["Retry-After"]) <= 1


@pytest.mark.usefixtures("small_allowances")
async def test_spraying_many_accounts_from_one_address_is_slowed_down(
    anonymous_client: AsyncClient, make_user: MakeUser, test_app: FastAPI
) -> None:
    accounts = [(await make_user())["email"] for _ in range(4)]
    for email in accounts:
        assert_invalid_grant(await login(anonymous_client, email, "a guess"))
    assert_token_error(await login(anonymous_client, accounts[0]), 429, "slow_down")
    # Another address is not slowed down.
    async with client_at(test_app, "198.51.100.20") as other:
        assert (await login(other, accounts[0])).status_code == 200


@pytest.mark.usefixtures("small_allowances")
async def test_unknown_emails_are_throttled_alike(anonymous_client: AsyncClient) -> None:
    for _ in range(2):
        assert_invalid_grant(await login(anonymous_client, "Nobody@example.com"))
    assert_token_error(await login(anonymous_client, "nobody@example.com"), 429, "slow_down")


@pytest.mark.usefixtures("small_allowances")
async def test_a_success_forgets_the_accounts_failures(anonymous_client: AsyncClient, user: dict[str, Any]) -> None:
    assert_invalid_grant(await login(anonymous_client, user["email"], "not the password"))
    await tokens(anonymous_client, user["email"])
    assert_invalid_grant(await login(anonymous_client, user["email"], "not the password"))
    assert (await login(anonymous_client, user["email"])).status_code == 200


async def test_sign_ins_wait_for_a_free_hash_turn_and_then_get_a_503(
    anonymous_client: AsyncClient, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Argon2 runs in a bounded number of turns; a request that waits too long for one is told
    to retry, with no database connection taken meanwhile."""
    monkeypatch.setattr(settings, "PASSWORD_HASH_WAIT_SECONDS", 0.05)
    turns = [await dependencies._hash_turns.acquire() for _ in range(settings.PASSWORD_HASH_CONCURRENCY)]
    try:
        response = await login(anonymous_client, user["email"])
    finally:
        for _ in turns:
            dependencies._hash_turns.release()
    assert_error(response, 503, "service_unavailable")
    assert response.headers["Retry-After"] == "1"
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
    assert_invalid_grant(await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": first["refresh_token"]}))
    assert_invalid_grant(await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": second["refresh_token"]}))


async def test_another_login_is_another_family(anonymous_client: AsyncClient, user: dict[str, Any]) -> None:
    laptop, phone = await tokens(anonymous_client, user["email"]), await tokens(anonymous_client, user["email"])
    await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": laptop["refresh_token"]})
    await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": laptop["refresh_token"]})
    response = await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": phone["refresh_token"]})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("token", ["unknown", "x" * 64])
async def test_refresh_with_an_unknown_token_is_invalid_grant(anonymous_client: AsyncClient, token: str) -> None:
    description = assert_invalid_grant(await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": token}))
    assert description == "Invalid, expired or revoked refresh token"


async def test_refresh_of_a_deactivated_user_is_the_same_invalid_grant(
    anonymous_client: AsyncClient, user: dict[str, Any], superuser: dict[str, Any]
) -> None:
    pair = await tokens(anonymous_client, user["email"])
    await anonymous_client.post(f"{URL}/users/{user['id']}/deactivate", headers=bearer(superuser))
    response = await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": pair["refresh_token"]})
    assert assert_invalid_grant(response) == "Invalid, expired or revoked refresh token"


@pytest.mark.parametrize(
    "content",
    [b"{}", b'{"refresh_token": ""}', b'{"refresh_token": "' + b"x" * 65 + b'"}', b'{"refresh_token": 5}', b"{", b""],
)
async def test_refresh_refuses_a_malformed_body(anonymous_client: AsyncClient, content: bytes) -> None:
    response = await anonymous_client.post(
        f"{URL}/refresh", content=content, headers={"Content-Type": "application/json"}
    )
    assert_token_error(response, 400, "invalid_request")


async def test_logout_revokes_the_refresh_token(anonymous_client: AsyncClient, user: dict[str, Any]) -> None:
    pair = await tokens(anonymous_client, user["email"])
    response = await anonymous_client.post(f"{URL}/logout", json={"refresh_token": pair["refresh_token"]})
    assert response.status_code == 204
    assert response.content == b""
    assert_invalid_grant(await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": pair["refresh_token"]}))


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
        assert_invalid_grant(await client.post(f"{URL}/refresh", json={"refresh_token": pair["refresh_token"]}))
    assert_invalid_grant(await login(client, user["email"]))
    assert (await login(client, user["email"], NEW_PASSWORD)).status_code == 200


async def test_password_change_with_a_wrong_current_password_is_403(client: AsyncClient) -> None:
    body = {"current_password": "not the password", "new_password": NEW_PASSWORD}
    assert_error(await client.post(f"{URL}/password", json=body), 403, "forbidden")


@pytest.mark.usefixtures("small_allowances")
@pytest.mark.usefixtures("frozen_clock")
async def test_wrong_current_passwords_are_throttled_without_delaying_sign_ins(
    client: AsyncClient, user: dict[str, Any]
) -> None:
    """A token's holder guessing the current password slows down only their own guesses: the
    user still signs in (the fuzzer, with a token, once locked its own account this way)."""
    body = {"current_password": "not the password", "new_password": NEW_PASSWORD}
    for _ in range(2):
        assert_error(await client.post(f"{URL}/password", json=body), 403, "forbidden")
    response = await client.post(f"{URL}/password", json={**body, "current_password": PASSWORD})
    assert_error(response, 429, "too_many_requests")
    assert response.headers["Retry-After"] == "1"
    assert (await login(client, user["email"])).status_code == 200


@pytest.mark.parametrize("new_password", ["short", "password123", "QWERTYUIOP"])
async def test_password_change_refuses_a_short_or_common_password(client: AsyncClient, new_password: str) -> None:
    body = {"current_password": PASSWORD, "new_password": new_password}
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
    assert_invalid_grant(await anonymous_client.post(f"{URL}/refresh", json={"refresh_token": pair["refresh_token"]}))
    assert_invalid_grant(await login(anonymous_client, user["email"]))

    response = await client.post(f"{URL}/users/{user['id']}/reactivate", headers=bearer(superuser))
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is True
    assert (await client.get(f"{URL}/me")).status_code == 200


async def test_a_superuser_cannot_deactivate_themself(client: AsyncClient, superuser: dict[str, Any]) -> None:
    response = await client.post(f"{URL}/users/{superuser['id']}/deactivate", headers=bearer(superuser))
    assert_error(response, 409, "conflict")
