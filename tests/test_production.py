"""A PostgreSQL service in production: refused with unsafe settings, served (docs hidden, JSON
logs) with good ones, and the Docker files that run it consistent with its README. Secure by
default: an unset ENVIRONMENT, or staging, applies the same rules; only local and testing (what
`.env.example` and the tests say) take the development defaults.

No Docker engine here: the Dockerfile's start command is run as is in the shared service
environment, and the compose file is checked for what the service needs from it.
"""

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests import support

PRODUCTION_PASSWORD = "k3-long-random-Secret"  # noqa: S105 - a test value
# compose.yaml takes the password from the shell, and refuses to start without it.
FROM_SHELL = "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"


@pytest.fixture(scope="module")
def acme_pg(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return support.shared_render(template, tmp_path_factory.mktemp("production") / "acme", database="postgresql")


def start(service_env: support.ServiceEnv, project: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`uvicorn src.main:app` as an operator starts it, with exactly the ENVIRONMENT `env` gives
    (none if it gives none); the tests below expect it to refuse."""
    command = [service_env.tool("python"), "-m", "uvicorn", "src.main:app", "--port", str(free_port())]
    clean = {key: value for key, value in os.environ.items() if key != "ENVIRONMENT"}
    return subprocess.run(command, cwd=project, env={**clean, **env}, capture_output=True, text=True, timeout=60)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as response:  # noqa: S310 - local server
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_production_refuses_the_development_database(acme_pg: Path, service_env: support.ServiceEnv) -> None:
    result = start(service_env, acme_pg, {"ENVIRONMENT": "production"})
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        "Invalid settings:",
        "  - DATABASE_URL: still the local development database; set the production database URL",
    ]


def test_production_names_every_unsafe_setting(acme_pg: Path, service_env: support.ServiceEnv) -> None:
    result = start(
        service_env,
        acme_pg,
        {
            "ENVIRONMENT": "production",
            "DATABASE_URL": "postgresql+asyncpg://app:change-me@db.example.com:5432/app",
            "CORS_ORIGINS": '["*"]',
            "CORS_ALLOW_CREDENTIALS": "true",
        },
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    named = [line.split(":")[0].strip(" -") for line in result.stderr.splitlines()[1:]]
    assert named == ["DATABASE_URL", "CORS_ORIGINS"]


@pytest.mark.parametrize("host", ["localhost", "[::1]"])
def test_production_refuses_the_development_database_under_another_name(
    acme_pg: Path, service_env: support.ServiceEnv, host: str
) -> None:
    url = f"postgresql+asyncpg://postgres:{PRODUCTION_PASSWORD}@{host}/acme_shop"
    result = start(service_env, acme_pg, {"ENVIRONMENT": "production", "DATABASE_URL": url})
    assert result.returncode != 0
    assert "DATABASE_URL: still the local development database" in result.stderr


@pytest.mark.parametrize("environment", [None, "staging"])
def test_every_environment_but_a_developers_applies_the_production_rules(
    acme_pg: Path, service_env: support.ServiceEnv, environment: str | None
) -> None:
    """Issue 19, finding 3: unset (then `local`) or `staging`, the development defaults passed."""
    result = start(service_env, acme_pg, {"ENVIRONMENT": environment} if environment else {})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    if environment is None:
        # Which rules applied, and what a developer's machine does about it.
        assert "ENVIRONMENT: not set" in lines[1] and "cp .env.example .env" in lines[1]
    assert lines[-1] == "  - DATABASE_URL: still the local development database; set the production database URL"


@pytest.mark.parametrize("password", ["Postgres", "admin", "ADMIN", "Change-Me", "acme_shop"])
def test_production_refuses_a_placeholder_database_password(
    acme_pg: Path, service_env: support.ServiceEnv, password: str
) -> None:
    """Issue 19, finding 8: `Postgres` and `admin` passed; the user's name as password too."""
    url = f"postgresql+asyncpg://acme_shop:{password}@db.example.com:5432/acme_shop"
    result = start(service_env, acme_pg, {"ENVIRONMENT": "production", "DATABASE_URL": url})
    assert result.returncode != 0
    assert "DATABASE_URL: the password is a placeholder or the user's name" in result.stderr


def test_readme_setup_takes_the_development_defaults(
    template: Path, tmp_path: Path, service_env: support.ServiceEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generated README's set-up, word for word: without `.env` the production rules refuse
    the development database and say what to do; `cp .env.example .env` says ENVIRONMENT=local,
    and migrations and the server take the development defaults (docs served)."""
    monkeypatch.delenv("ENVIRONMENT")
    project = support.shared_render(template, tmp_path / "fresh")
    python = service_env.tool("python")
    refused = support.run(python, "-m", "alembic", "upgrade", "head", cwd=project, check=False)
    assert refused.returncode != 0
    assert "cp .env.example .env" in refused.stderr
    shutil.copy(project / ".env.example", project / ".env")
    with support.served(project, service_env) as base:
        assert get(f"{base}/docs")[0] == 200


def test_production_refuses_the_superuser_without_a_password(acme_pg: Path, service_env: support.ServiceEnv) -> None:
    url = "postgresql+asyncpg://postgres@db.example.com:5432/app"
    result = start(service_env, acme_pg, {"ENVIRONMENT": "production", "DATABASE_URL": url})
    assert result.returncode != 0
    assert "DATABASE_URL: the postgres superuser without a password" in result.stderr


def dockerfile_start(project: Path) -> tuple[dict[str, str], str]:
    """The runtime stage's ENV and the shell line its CMD runs."""
    dockerfile = (project / "Dockerfile").read_text()
    runtime = dockerfile.rsplit("\nFROM ", 1)[1]
    env = dict(pair.split("=", 1) for line in re.findall(r"^ENV (.+)$", runtime, re.M) for pair in shlex.split(line))
    (cmd,) = re.findall(r"^CMD (.+)$", runtime, re.M)
    shell, flag, script = json.loads(cmd)
    assert (shell, flag) == ("sh", "-c")
    return env, script


def test_dockerfile_runs_the_readme_commands(acme_pg: Path) -> None:
    """The image starts the server only; the migrations are compose's `migrate` service."""
    env, script = dockerfile_start(acme_pg)
    assert env["ENVIRONMENT"] == "production"
    server = script.removeprefix("exec ")
    assert server.split()[0] == "uvicorn" and "&&" not in server
    migrate = " ".join(yaml.safe_load((acme_pg / "compose.yaml").read_text())["services"]["migrate"]["command"])
    readme = (acme_pg / "README.md").read_text()
    for command in (migrate, server):
        assert f"\nuv run {command}\n" in readme, command


def test_docker_image_is_multi_stage_non_root_and_locked(acme_pg: Path) -> None:
    dockerfile = (acme_pg / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    assert stages == ["python:3.11-slim", "python:3.11-slim"]
    runtime = dockerfile.rsplit("\nFROM ", 1)[1]
    assert re.search(r"^USER app$", runtime, re.M)
    assert runtime.index("USER app") < runtime.index("CMD ")
    assert "COPY pyproject.toml uv.lock ./" in dockerfile
    assert "uv sync --locked --no-dev" in dockerfile
    ignored = (acme_pg / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".git", "*.db"} <= set(ignored)


def test_compose_runs_the_app_against_a_healthy_postgresql(acme_pg: Path, service_env: support.ServiceEnv) -> None:
    services = yaml.safe_load((acme_pg / "compose.yaml").read_text())["services"]
    app, db = services["api"], services["db"]
    assert app["build"] == "."
    assert app["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"},
        "db": {"condition": "service_healthy"},
    }
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    url = app["environment"]["DATABASE_URL"].replace(FROM_SHELL, PRODUCTION_PASSWORD)
    assert url == f"postgresql+asyncpg://acme_shop:{PRODUCTION_PASSWORD}@db:5432/{db['environment']['POSTGRES_DB']}"
    assert db["environment"]["POSTGRES_PASSWORD"] == FROM_SHELL
    # The production checks accept what compose gives the app.
    load = "from src.config import settings; print(settings.ENVIRONMENT)"
    result = support.run(
        service_env.tool("python"), "-c", load, cwd=acme_pg, env={"ENVIRONMENT": "production", "DATABASE_URL": url}
    )
    assert result.stdout.strip() == "production"


def test_dockerfile_start_serves_production(acme_pg: Path, service_env: support.ServiceEnv, pg_database: str) -> None:
    """Compose's `migrate` command, then the image's CMD (uvicorn), with good settings: it serves,
    hides the docs, and logs JSON lines that carry the request id."""
    image_env, script = dockerfile_start(acme_pg)
    migrate = yaml.safe_load((acme_pg / "compose.yaml").read_text())["services"]["migrate"]["command"]
    port = free_port()
    # The image's PATH leads to its own virtual environment; here that is the shared one.
    image_env["PATH"] = f"{service_env.bin}:{os.environ['PATH']}"
    # Production refuses the superuser without a password; this server trusts any password.
    database_url = pg_database.replace("postgres@", f"postgres:{PRODUCTION_PASSWORD}@", 1)
    env = {**os.environ, **image_env, "DATABASE_URL": database_url, "PORT": str(port)}
    migration = support.run(*migrate, cwd=acme_pg, env=env)
    server = subprocess.Popen(
        ["sh", "-c", script],
        cwd=acme_pg,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                status, headers, _ = get(f"{base}/health", {"X-Request-ID": "probe-1"})
                break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                time.sleep(0.1)
        else:
            pytest.fail("the server did not answer within 15 s")
        assert (status, headers["x-request-id"]) == (200, "probe-1")
        # The image's HEALTHCHECK command, run as Docker would (python from the image's PATH).
        (check,) = re.findall(r"^  CMD (\[.+\])$", (acme_pg / "Dockerfile").read_text(), re.M)
        support.run(*json.loads(check), cwd=acme_pg, env=env)
        for hidden in ("/docs", "/redoc", "/openapi.json"):
            assert get(base + hidden)[0] == 404, hidden
        status, _, body = get(f"{base}/items?total=true")
        assert (status, json.loads(body)["total"]) == (200, 0)  # the migrations ran
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=15)
    assert any(json.loads(line)["logger"].startswith("alembic") for line in migration.stderr.splitlines())
    records = [json.loads(line) for line in stderr.splitlines()]
    access = [record for record in records if record["logger"] == "src.access"]
    assert {"request_id": "probe-1", "path": "/health", "status_code": 200}.items() <= access[0].items()
