"""Auth switched on in a living service: `copier update --trust --defaults --data auth=jwt` on a
service that already has two domains, then an `owner` and a `writes` domain added by the CLI.

The service passes its own suite, ruff and the migration cycle on PostgreSQL, and,
served by uvicorn, holds the issue's contract over HTTP: the whole token life cycle, forged and
stale tokens refused in the error shape, the token endpoint's errors in RFC 6749's, rows scoped
to their owner, and the security requirement in OpenAPI on exactly the protected operations. And
the red team's findings stay fixed: a pre-registered account is not promoted with its password,
failed sign-ins slow an attacker down without locking the owner out, registration tells nothing.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import support

SECRET = "a-test-signing-key-that-is-long-enough-for-hs256"  # noqa: S105 - the test service's own key
ISSUER, AUDIENCE = "acme-tests", "acme-api"
SERVED_ENV = {"AUTH_SECRET_KEY": SECRET, "AUTH_ISSUER": ISSUER, "AUTH_AUDIENCE": AUDIENCE}
PASSWORD = "correct horse battery"  # noqa: S105 - the test users' password
# Loopback addresses other than uvicorn's own: requests from them are other clients (Linux routes
# the whole 127.0.0.0/8 to the loopback interface).
ATTACKER, OWNER = "127.0.0.2", "127.0.0.3"


def cli(project: Path, *args: str) -> None:
    support.run(sys.executable, "-m", "fastapi_domains.cli", *args, cwd=project)


@pytest.fixture(scope="module")
def switched(tmp_path_factory: pytest.TempPathFactory, git_identity: None) -> Path:
    """A default service (SQLite, int keys, the example domain) with customers, switched to auth
    by an update at the same template version, then grown with an owner and a writes domain."""
    template = support.snapshot_template(tmp_path_factory.mktemp("tagged") / "template", tag="v0.1.0")
    project = support.shared_render(template, tmp_path_factory.mktemp("switched") / "shop")
    cli(project, "domain", "customers", "--field", "name:str", "--no-input")
    support.commit_all(project, "Customers")
    support.copier_cli("update", "--trust", "--defaults", "--data", "auth=jwt", cwd=project)
    support.commit_all(project, "Auth")
    cli(project, "domain", "notes", "--access", "owner", "--field", "customer_id:ref:customers", "--field", "body:text")
    cli(project, "domain", "posts", "--access", "writes", "--field", "title:str")
    support.commit_all(project, "Notes and posts")
    return project


def answers(project: Path, name: str) -> dict[str, Any]:
    return yaml.safe_load((project / ".copier" / f"domain-{name}.yml").read_text())


def test_the_update_adds_the_auth_domain_on_the_single_head(switched: Path) -> None:
    assert yaml.safe_load((switched / ".copier-answers.yml").read_text())["auth"] == "jwt"
    auth = answers(switched, "auth")
    assert auth["template_kind"] == "auth"
    assert auth["down_revision"] == answers(switched, "customers")["revision_id"]
    assert answers(switched, "notes")["down_revision"] == auth["revision_id"]
    assert (answers(switched, "notes")["access"], answers(switched, "posts")["access"]) == ("owner", "writes")
    modules = {path.name for path in (switched / "src" / "auth").glob("*.py")}
    assert {"router.py", "schemas.py", "models.py", "dependencies.py", "config.py"} <= modules
    assert {"constants.py", "exceptions.py", "service.py", "utils.py", "__main__.py"} <= modules
    assert (switched / "tests" / "auth" / "fixtures.py").is_file()
    (migration,) = (switched / "alembic" / "versions").glob(f"*_{auth['revision_id']}_*.py")
    assert auth["down_revision"] in migration.read_text()


def test_a_second_update_changes_nothing(switched: Path) -> None:
    """The project and every domain, the auth one included, are already at this version."""
    head = support.git(switched, "rev-parse", "HEAD").stdout
    cli(switched, "update", "--vcs-ref", "HEAD")
    assert support.git(switched, "status", "--porcelain").stdout == ""
    assert support.git(switched, "rev-parse", "HEAD").stdout == head


def test_switched_service_passes_its_checks_on_postgresql(
    switched: Path, service_env: support.ServiceEnv, pg_database: str
) -> None:
    """Its suite, lint and migrations, on PostgreSQL (tests/test_matrix.py runs auth services'
    suites on SQLite)."""
    base = support.unique_name("fd_auth")
    service_env.checks(switched, database_url=pg_database, test_database_url=support.pg_url(base))


def start(project: Path, service_env: support.ServiceEnv, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`uvicorn src.main:app` with exactly `env` added to a clean environment (no ENVIRONMENT
    unless given): the tests below expect it to refuse."""
    clean = {key: value for key, value in os.environ.items() if key not in {"ENVIRONMENT", "AUTH_SECRET_KEY"}}
    command = [service_env.tool("python"), "-m", "uvicorn", "src.main:app", "--port", str(support.free_port())]
    return subprocess.run(command, cwd=project, env={**clean, **env}, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("environment", "key", "problem"),
    [
        (None, None, "not set"),
        ("staging", None, "not set"),
        ("staging", "development-only-key-never-use-it-in-production", "the public development key"),
        ("production", "a" * 32, "too predictable"),
        ("production", "Change-Me", "shorter than 32"),
    ],
)
def test_outside_a_developers_machine_a_weak_signing_key_is_refused(
    switched: Path,
    service_env: support.ServiceEnv,
    tmp_path: Path,
    environment: str | None,
    key: str | None,
    problem: str,
) -> None:
    """Issue 19, findings 3 and 8: unset or staging, the service started with the public
    development key (a token forged with it was a superuser's); production took 32 x "a"."""
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/production.db"}
    env |= {"ENVIRONMENT": environment} if environment else {}
    env |= {"AUTH_SECRET_KEY": key} if key else {}
    result = start(switched, service_env, env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if "AUTH_SECRET_KEY" in line]
    assert problem in line


@pytest.fixture(scope="module")
def served_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The served service's settings, on a database of its own (the checks use the default one)."""
    database = tmp_path_factory.mktemp("served") / "shop.db"
    return {**SERVED_ENV, "DATABASE_URL": f"sqlite+aiosqlite:///{database}"}


@pytest.fixture(scope="module")
def served(switched: Path, service_env: support.ServiceEnv, served_env: dict[str, str]) -> Iterator[str]:
    with support.served(switched, service_env, served_env) as base:
        yield base


def login(base: str, email: str, password: str = PASSWORD) -> tuple[int, Any]:
    return support.request("POST", f"{base}/auth/login", form={"username": email, "password": password})


def login_from(address: str, base: str, email: str, password: str = PASSWORD) -> tuple[int, Any, dict[str, str]]:
    """A sign-in sent from the local `address`: status, body and headers (names lowercased)."""
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10, source_address=(address, 0))
    try:
        form = urllib.parse.urlencode({"username": email, "password": password})
        connection.request("POST", "/auth/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        reply = connection.getresponse()
        return reply.status, json.loads(reply.read()), {name.lower(): value for name, value in reply.getheaders()}
    finally:
        connection.close()


def register(base: str, email: str, password: str = PASSWORD) -> tuple[int, Any]:
    return support.request("POST", f"{base}/auth/register", {"email": email, "password": password})


def signed_up(base: str, email: str) -> dict[str, str]:
    assert register(base, email)[0] == 202
    status, tokens = login(base, email)
    assert status == 200, tokens
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_unauthorized(status: int, body: Any) -> None:
    assert status == 401, body
    assert body["error"]["code"] == "unauthorized"
    assert body["error"]["message"]


def assert_invalid_grant(status: int, body: Any) -> str:
    """RFC 6749's error (5.2) for credentials or a refresh token that do not hold; its description."""
    assert (status, set(body), body["error"]) == (400, {"error", "error_description"}, "invalid_grant"), body
    return body["error_description"]


def test_register_login_me_refresh_logout_and_password(served: str) -> None:
    status, accepted = register(served, "Ann@Example.com")
    assert status == 202, accepted
    assert accepted["email"] == "ann@example.com"

    status, tokens = login(served, "ann@example.com")
    assert status == 200, tokens
    assert set(tokens) == {"access_token", "refresh_token", "token_type"}
    assert tokens["token_type"] == "bearer"  # noqa: S105 - a token type, no secret
    status, user = support.request("GET", f"{served}/auth/me", headers=bearer(tokens["access_token"]))
    assert (status, user["email"]) == (200, "ann@example.com")
    assert not any("password" in key or "hash" in key for key in user)

    # Unknown email and wrong password: the same invalid_grant, in RFC 6749's shape.
    wrong, unknown = login(served, "ann@example.com", "not the password"), login(served, "nobody@example.com")
    assert assert_invalid_grant(*wrong) == assert_invalid_grant(*unknown)

    # Rotation: the old refresh token fails, and replaying it revokes the new one too.
    status, renewed = support.request("POST", f"{served}/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert status == 200, renewed
    assert set(renewed) == {"access_token", "refresh_token", "token_type"}
    assert renewed["refresh_token"] != tokens["refresh_token"]
    assert_invalid_grant(*support.request("POST", f"{served}/auth/refresh", {"refresh_token": tokens["refresh_token"]}))
    assert_invalid_grant(
        *support.request("POST", f"{served}/auth/refresh", {"refresh_token": renewed["refresh_token"]})
    )

    # Logout revokes the refresh token.
    status, session = login(served, "ann@example.com")
    assert support.request("POST", f"{served}/auth/logout", {"refresh_token": session["refresh_token"]})[0] == 204
    assert_invalid_grant(
        *support.request("POST", f"{served}/auth/refresh", {"refresh_token": session["refresh_token"]})
    )

    # A password change revokes every refresh token; only the new password signs in.
    status, session = login(served, "ann@example.com")
    change = {"current_password": PASSWORD, "new_password": "a brand new secret"}
    assert support.request("POST", f"{served}/auth/password", change, headers=bearer(session["access_token"]))[0] == 204
    assert_invalid_grant(
        *support.request("POST", f"{served}/auth/refresh", {"refresh_token": session["refresh_token"]})
    )
    assert_invalid_grant(*login(served, "ann@example.com"))
    assert login(served, "ann@example.com", "a brand new secret")[0] == 200


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def token(claims: dict[str, Any], *, alg: str = "HS256", key: str = SECRET) -> str:
    """A JWT signed by hand: the test holds the service to the standard, not to its library."""
    signing_input = f"{_segment({'alg': alg, 'typ': 'JWT'})}.{_segment(claims)}"
    if alg == "none":
        return f"{signing_input}."
    signature = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def test_forged_stale_and_foreign_tokens_are_401(served: str) -> None:
    tokens = signed_up(served, "tom@example.com")
    status, me = support.request("GET", f"{served}/auth/me", headers=bearer(tokens["access_token"]))
    assert status == 200
    now = int(time.time())
    claims = {"sub": str(me["id"]), "iat": now, "exp": now + 300, "iss": ISSUER, "aud": AUDIENCE}
    # The control: a token made the same way with the right claims is accepted.
    assert support.request("GET", f"{served}/auth/me", headers=bearer(token(claims)))[0] == 200

    access = tokens["access_token"]
    tampered = access[:-2] + ("AA" if not access.endswith("AA") else "BB")
    forged = {
        "tampered": tampered,
        "expired": token({**claims, "iat": now - 600, "exp": now - 300}),
        "wrong issuer": token({**claims, "iss": "someone-else"}),
        "wrong audience": token({**claims, "aud": "another-api"}),
        "alg none": token(claims, alg="none"),
        "other key": token(claims, key="another-key-that-is-also-long-enough-for-hs256"),
        "no expiry": token({key: value for key, value in claims.items() if key != "exp"}),
        "not a jwt": "not-a-token",
    }
    for name, value in forged.items():
        status, body = support.request("GET", f"{served}/auth/me", headers=bearer(value))
        assert status == 401, name
        assert_unauthorized(status, body)
    assert_unauthorized(*support.request("GET", f"{served}/auth/me"))


def create_superuser(
    project: Path, service_env: support.ServiceEnv, env: dict[str, str], *args: str, stdin: str = ""
) -> subprocess.CompletedProcess:
    """`python -m src.auth create-superuser ARGS` as the README documents it, without a terminal."""
    command = [service_env.tool("python"), "-m", "src.auth", "create-superuser", *args]
    return subprocess.run(
        command, input=stdin, text=True, capture_output=True, cwd=project, env={**os.environ, **env}, check=False
    )


@pytest.fixture(scope="module")
def admin(switched: Path, served: str, service_env: support.ServiceEnv, served_env: dict[str, str]) -> dict[str, str]:
    """The first superuser, made by the management command the README documents (the password
    comes on stdin, as a script would give it)."""
    args = ("admin@example.com", "--password-stdin")
    result = create_superuser(switched, service_env, served_env, *args, stdin=f"{PASSWORD}\n")
    assert result.returncode == 0, result.stderr
    status, tokens = login(served, "admin@example.com")
    assert status == 200, tokens
    return bearer(tokens["access_token"])


def test_create_superuser_never_keeps_the_password_of_an_account_someone_registered(
    switched: Path, served: str, service_env: support.ServiceEnv, served_env: dict[str, str]
) -> None:
    """Issue 19, finding 2: someone registers the operators' address first; the command must not
    make that account a superuser with the registrant's password."""
    assert register(served, "ops@example.com", "attacker-pass-1")[0] == 202
    status, stolen = login(served, "ops@example.com", "attacker-pass-1")
    assert status == 200, stolen

    refused = create_superuser(switched, service_env, served_env, "ops@example.com", "--password-stdin", stdin="x\n")
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    (line,) = refused.stderr.splitlines()
    assert "--promote" in line
    assert support.request("GET", f"{served}/auth/users", headers=bearer(stolen["access_token"]))[0] == 403

    environment = {**served_env, "AUTH_SUPERUSER_PASSWORD": "the operators' own passphrase"}
    promoted = create_superuser(switched, service_env, environment, "ops@example.com", "--promote")
    assert promoted.returncode == 0, promoted.stderr
    assert_invalid_grant(*login(served, "ops@example.com", "attacker-pass-1"))
    # The registrant's session is over too.
    assert_invalid_grant(*support.request("POST", f"{served}/auth/refresh", {"refresh_token": stolen["refresh_token"]}))
    status, tokens = login(served, "ops@example.com", "the operators' own passphrase")
    assert status == 200, tokens
    assert support.request("GET", f"{served}/auth/users", headers=bearer(tokens["access_token"]))[0] == 200


def test_registration_tells_nothing_about_who_has_an_account(served: str, admin: dict[str, str]) -> None:
    """Issue 19, finding 8: a taken email answered 409; now the same answer as a new one, and the
    account keeps its password."""
    taken, new = register(served, "admin@example.com", "someone else's pass"), register(served, "fresh@example.com")
    assert taken == (new[0], {**new[1], "email": "admin@example.com"})
    assert login(served, "admin@example.com")[0] == 200


def test_a_deactivated_account_with_the_right_password_is_told_what_a_wrong_one_is(
    served: str, admin: dict[str, str]
) -> None:
    headers = bearer(signed_up(served, "gone@example.com")["access_token"])
    user = support.request("GET", f"{served}/auth/me", headers=headers)[1]
    assert support.request("POST", f"{served}/auth/users/{user['id']}/deactivate", headers=admin)[0] == 200
    right, wrong = login(served, "gone@example.com"), login(served, "gone@example.com", "a wrong password")
    assert assert_invalid_grant(*right) == assert_invalid_grant(*wrong)


@pytest.mark.parametrize("password", ["12345678", "password1", "Qwertyuiop", "sunshine"])
def test_the_most_common_passwords_are_refused(served: str, password: str) -> None:
    status, body = register(served, "common@example.com", password)
    assert status == 422, body
    assert [detail["field"] for detail in body["error"]["details"]] == ["password"]


def test_failed_sign_ins_slow_the_attacker_down_but_do_not_lock_the_owner_out(served: str) -> None:
    """Issue 19, finding 5: five wrong passwords from anyone locked any account for 15 minutes.
    Now the attacker's attempts wait a little longer each time, and the owner, elsewhere, signs in."""
    signed_up(served, "owner@example.com")
    answers = [login_from(ATTACKER, served, "owner@example.com", f"guess {number}") for number in range(8)]
    statuses = [status for status, _, _ in answers]
    assert statuses[:5] == [400] * 5 and 429 in statuses[5:], statuses
    _, body, headers = next(answer for answer in answers if answer[0] == 429)
    assert (body["error"], 1 <= int(headers["retry-after"]) <= 60) == ("slow_down", True)
    assert login_from(OWNER, served, "owner@example.com")[0] == 200


def test_spraying_accounts_from_one_address_is_slowed_down(served: str) -> None:
    """Issue 19, finding 5: 100 attempts over 25 accounts were never throttled."""
    statuses = [
        login_from("127.0.0.4", served, f"sprayed{number}@example.com", f"guess {attempt}")[0]
        for attempt in range(4)
        for number in range(25)
    ]
    assert statuses[:20] == [400] * 20
    assert statuses.count(429) >= 75, statuses


def test_an_inactive_user_is_401_until_reactivated(served: str, admin: dict[str, str]) -> None:
    tokens = signed_up(served, "ivy@example.com")
    headers = bearer(tokens["access_token"])
    status, me = support.request("GET", f"{served}/auth/me", headers=headers)
    assert support.request("GET", f"{served}/auth/users", headers=headers)[0] == 403
    status, body = support.request("POST", f"{served}/auth/users/{me['id']}/deactivate", headers=admin)
    assert status == 200 and body["is_active"] is False, body
    assert_unauthorized(*support.request("GET", f"{served}/auth/me", headers=headers))
    assert_invalid_grant(*login(served, "ivy@example.com"))
    assert_invalid_grant(*support.request("POST", f"{served}/auth/refresh", {"refresh_token": tokens["refresh_token"]}))
    status, body = support.request("POST", f"{served}/auth/users/{me['id']}/reactivate", headers=admin)
    assert status == 200 and body["is_active"] is True, body
    assert support.request("GET", f"{served}/auth/me", headers=headers)[0] == 200


def test_owner_rows_are_each_users_own_and_a_superuser_sees_all(served: str, admin: dict[str, str]) -> None:
    status, customer = support.request("POST", f"{served}/customers", {"name": "Acme"})
    assert status == 201, customer
    ann, bob = (bearer(signed_up(served, f"{name}@owners.example.com")["access_token"]) for name in ("ann", "bob"))
    note = {"customer_id": customer["id"], "body": "Ann's note"}
    assert_unauthorized(*support.request("POST", f"{served}/notes", note))
    status, ann_note = support.request("POST", f"{served}/notes", note, headers=ann)
    assert status == 201, ann_note
    status, bob_note = support.request("POST", f"{served}/notes", {**note, "body": "Bob's"}, headers=bob)
    assert status == 201, bob_note
    assert ann_note["owner_id"] != bob_note["owner_id"]

    url = f"{served}/notes/{ann_note['id']}"
    assert support.request("GET", url, headers=bob)[0] == 404
    assert support.request("PATCH", url, {"body": "mine now"}, headers=bob)[0] == 404
    assert support.request("DELETE", url, headers=bob)[0] == 404
    assert [row["id"] for row in support.request("GET", f"{served}/notes", headers=bob)[1]["items"]] == [bob_note["id"]]
    nested = support.request("GET", f"{served}/customers/{customer['id']}/notes", headers=bob)[1]["items"]
    assert [row["id"] for row in nested] == [bob_note["id"]]
    status, body = support.request("POST", f"{served}/notes", {**note, "owner_id": ann_note["owner_id"]}, headers=bob)
    assert status == 422, body
    assert support.request("GET", url, headers=ann) == (200, ann_note)

    listed = support.request("GET", f"{served}/notes", headers=admin)[1]["items"]
    assert {ann_note["id"], bob_note["id"]} <= {row["id"] for row in listed}
    assert support.request("GET", url, headers=admin) == (200, ann_note)


def test_a_writes_domain_reads_openly_and_writes_with_a_token(served: str) -> None:
    headers = bearer(signed_up(served, "wes@example.com")["access_token"])
    assert_unauthorized(*support.request("POST", f"{served}/posts", {"title": "Hello"}))
    status, post = support.request("POST", f"{served}/posts", {"title": "Hello"}, headers=headers)
    assert status == 201, post
    assert support.request("GET", f"{served}/posts")[0] == 200
    assert support.request("GET", f"{served}/posts/{post['id']}") == (200, post)
    assert_unauthorized(*support.request("DELETE", f"{served}/posts/{post['id']}"))


def test_openapi_declares_security_on_exactly_the_protected_operations(served: str) -> None:
    status, schema = support.request("GET", f"{served}/openapi.json")
    assert status == 200
    (scheme,) = schema["components"]["securitySchemes"].values()
    assert scheme["type"] == "oauth2"
    assert scheme["flows"]["password"]["tokenUrl"] == "/auth/login"
    secured = {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if operation.get("security")
    }
    # A 401 is declared where a token is asked for (and on the auth routes that check tokens in the body).
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            assert ("401" in operation["responses"]) == bool(operation.get("security")) or path.startswith("/auth/")
    expected = {
        "GET /notes",
        "POST /notes",
        "GET /notes/{note_id}",
        "PATCH /notes/{note_id}",
        "DELETE /notes/{note_id}",
        "GET /customers/{customer_id}/notes",
        "POST /posts",
        "PATCH /posts/{post_id}",
        "DELETE /posts/{post_id}",
        "GET /auth/me",
        "POST /auth/password",
        "GET /auth/users",
        "GET /auth/users/{user_id}",
        "POST /auth/users/{user_id}/deactivate",
        "POST /auth/users/{user_id}/reactivate",
    }
    assert secured == expected
