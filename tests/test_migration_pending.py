"""A migration not applied yet is not an outage: a domain added to a served service and not
migrated answers 503 saying the schema is behind and what to run (never a 500, never "database
unavailable"), `/health/ready` says the same with the revisions, the start-up warns once, and all
of it answers once `alembic upgrade head` ran. On SQLite and on PostgreSQL."""

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests import support
from tests.test_cli_domain import cli, copy_service


@contextmanager
def serving(project: Path, service_env: support.ServiceEnv, env: dict[str, str], log: Path) -> Iterator[str]:
    """uvicorn on the service as it is (no migration first), its output in `log`."""
    port = support.free_port()
    with log.open("w") as output:
        server = subprocess.Popen(
            [service_env.tool("python"), "-m", "uvicorn", "src.main:app", "--port", str(port)],
            cwd=project,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while not _open(port):
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=10)


def _open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_domain_not_migrated_yet_answers_503_saying_what_to_run(
    template: Path, service_env: support.ServiceEnv, tmp_path: Path, database: str
) -> None:
    project = copy_service(template, tmp_path / "shop", f"database={database}")
    name = support.unique_name("fd_pending")
    if database == "postgresql":
        support.create_pg_database(name)
        env = {"DATABASE_URL": support.pg_url(name)}
    else:
        env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/shop.db"}
    python = service_env.tool("python")
    try:
        support.run(python, "-m", "alembic", "upgrade", "head", cwd=project, env=env)
        before = support.run(python, "-m", "alembic", "heads", cwd=project, env=env).stdout.split()[0]
        cli("domain", "vendors", "--field", "name:str", "--field", "email:email:unique", "--no-input", cwd=project)
        head = support.run(python, "-m", "alembic", "heads", cwd=project, env=env).stdout.split()[0]

        log = tmp_path / "server.log"
        with serving(project, service_env, env, log) as base:
            for method, body in (("GET", None), ("POST", {"name": "Acme", "email": "sales@acme.example.com"})):
                status, answer = support.request(method, f"{base}/vendors", body)
                assert status == 503, answer
                assert answer["error"]["code"] == "service_unavailable"
                assert "schema is behind" in answer["error"]["message"]
                assert "alembic upgrade head" in answer["error"]["message"]
            assert support.request("GET", f"{base}/items")[0] == 200
            status, answer = support.request("GET", f"{base}/health/ready")
            assert status == 503
            assert answer["error"]["details"] == {
                "database_revision": before,
                "head": head,
                "pending": 1,
                "command": "alembic upgrade head",
            }
        logged = log.read_text()
        assert logged.count("1 migration behind the code") == 1, logged  # the start-up warning
        assert "Traceback" not in logged and "Database unavailable" not in logged, logged

        support.run(python, "-m", "alembic", "upgrade", "head", cwd=project, env=env)
        with serving(project, service_env, env, log) as base:
            body = {"name": "Acme", "email": "sales@acme.example.com"}
            assert support.request("POST", f"{base}/vendors", body)[0] == 201
            assert support.request("GET", f"{base}/health/ready") == (200, {"status": "ok", "database": "ok"})
        assert "behind" not in log.read_text()
    finally:
        if database == "postgresql":
            support.drop_pg_database(name)
