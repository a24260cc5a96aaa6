"""Helpers the template's tests share: a git snapshot of this template, rendering, and
running a generated service's own checks in the shared service environment."""

import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import copier

REPO = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("FASTAPI_DOMAINS_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")
# `copier copy` as the README has a user type it, before the template and destination.
COPY_ARGS = ("copy", "--trust", "--defaults", "--vcs-ref", "HEAD", "--data", "project_name=Acme Shop")
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}


def run(
    *args: str | Path,
    cwd: Path,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed in {cwd}:\n{result.stdout}\n{result.stderr}")
    return result


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run("git", *args, cwd=cwd, check=check)


def tracked_files(repo: Path) -> list[str]:
    """What git would ship of `repo`: tracked files and untracked ones it does not ignore."""
    listing = git(repo, "ls-files", "--cached", "--others", "--exclude-standard", "-z").stdout
    return [name for name in listing.split("\0") if name and (repo / name).is_file()]


def snapshot_template(destination: Path, tag: str | None = None) -> Path:
    """A git repository holding this template's working tree, committed (and tagged)."""
    destination.mkdir(parents=True)
    for name in tracked_files(REPO):
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    commit_all(destination, "Template snapshot")
    if tag:
        git(destination, "tag", tag)
    return destination


def commit_all(repo: Path, message: str) -> None:
    if not (repo / ".git").exists():
        git(repo, "-c", "init.defaultBranch=main", "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "--allow-empty", "-m", message)


def render(template: Path, destination: Path, vcs_ref: str | None = "HEAD", **data: Any) -> Path:
    """`copier copy --trust --defaults` of the project, as a user would type it."""
    copier.run_copy(
        str(template),
        str(destination),
        data={"project_name": "Acme Shop", **data},
        vcs_ref=vcs_ref,
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    return destination


# Services a session renders more than once with the same answers: the first render, kept aside.
_RENDERED: dict[tuple[str, ...], Path] = {}


def rendered_once(
    template: Path, answers: tuple[str, ...], destination: Path, render: Callable[[Path], object]
) -> Path:
    """A copy, at `destination`, of what `render` makes of `template` at its HEAD with `answers`:
    rendered once per session and answers, so each test still gets a tree (and a git history) of its own."""
    key = (str(template), git(template, "rev-parse", "HEAD").stdout.strip(), *answers)
    if key not in _RENDERED:
        kept = Path(tempfile.mkdtemp(prefix="fastapi-domains-render-"))
        atexit.register(shutil.rmtree, kept, ignore_errors=True)
        render(kept / "service")
        _RENDERED[key] = kept / "service"
    shutil.copytree(_RENDERED[key], destination, symlinks=True)
    return destination


def shared_render(template: Path, destination: Path, **data: Any) -> Path:
    """`render` of the template's HEAD, made once per session and answers and copied to each caller
    (for tests of the service, not of how Copier writes it)."""
    answers = tuple(f"{name}={value!r}" for name, value in sorted(data.items()))
    return rendered_once(template, answers, destination, lambda target: render(template, target, **data))


def copier_cli(*args: str | Path, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    """Copier through its command line, exactly as a user types it."""
    return run(sys.executable, "-m", "copier", *args, cwd=cwd, check=check)


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def pg_url(database: str) -> str:
    return f"{PG_SERVER}/{database}"


def psql(command: str) -> None:
    run("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", command, cwd=REPO)


def create_pg_database(name: str) -> None:
    psql(f'CREATE DATABASE "{name}"')


def drop_pg_database(name: str) -> None:
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def alembic_steps(*steps: tuple[str, ...]) -> str:
    """Python that runs Alembic's command line with each step (`("upgrade", "head")`) in turn, in one process."""
    return "from alembic.config import main; " + "; ".join(f"main({list(step)!r})" for step in steps)


class ServiceEnv:
    """One virtual environment with every dependency a generated service has, shared by all
    renders: each service's checks run with its python, from the service's folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bin = root / "bin"

    def tool(self, name: str) -> Path:
        return self.bin / name

    def checks(self, project: Path, database_url: str | None = None, test_database_url: str | None = None) -> None:
        """The service's own suite, lint, format check and migrations up/down/up."""
        env = {}
        if database_url:
            env["DATABASE_URL"] = database_url
        if test_database_url:
            env["TEST_DATABASE_URL"] = test_database_url
        python = self.tool("python")
        run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project, env=env)
        run(self.tool("ruff"), "check", "--no-cache", ".", cwd=project)
        run(self.tool("ruff"), "format", "--check", "--no-cache", ".", cwd=project)
        cycle = alembic_steps(("upgrade", "head"), ("downgrade", "base"), ("upgrade", "head"))
        run(python, "-c", cycle, cwd=project, env=env)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(
    method: str,
    url: str,
    body: dict | None = None,
    *,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """One HTTP request to a served service, with a JSON `body` or a urlencoded `form`: its status
    and decoded JSON body (None if empty)."""
    sent = dict(headers or {})
    data = None
    if body is not None:
        data, sent["Content-Type"] = json.dumps(body).encode(), "application/json"
    elif form is not None:
        data, sent["Content-Type"] = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
    outgoing = urllib.request.Request(url, data, sent, method=method)  # noqa: S310 - a local server
    try:
        with urllib.request.urlopen(outgoing, timeout=10) as reply:  # noqa: S310 - a local server
            content = reply.read()
            return reply.status, json.loads(content) if content else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@contextmanager
def served(project: Path, service_env: ServiceEnv, env: dict[str, str] | None = None) -> Iterator[str]:
    """The service migrated and run by uvicorn on a free local port; yields its base URL."""
    env = env or {}
    python = service_env.tool("python")
    run(python, "-m", "alembic", "upgrade", "head", cwd=project, env=env)
    port = free_port()
    server = subprocess.Popen(
        [python, "-m", "uvicorn", "src.main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=project,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/health", timeout=2).close()  # noqa: S310 - a local server
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
