"""A PostgreSQL service whose database fails under it: served by uvicorn, it reaches PostgreSQL
through a TCP proxy that refuses connections, drops them mid-request or goes silent.

Each fault must give 503s in the error shape within the configured (here small) timeouts (one
lost at COMMIT saying the write may have happened), leave nothing committed that the client was
told failed, and pass once the database is back, without restarting the server; the create
retried with its Idempotency-Key is then made once. A server that refuses the service's role or lacks its database
gives 503s too, logged once a minute; a migration queued behind another session's lock stops
within DATABASE_MIGRATION_LOCK_TIMEOUT with one readable line.
"""

import asyncio
import json
import os
import socket
import struct
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests import support
from tests.test_cli_domain import cli

TIMEOUT = 0.3  # seconds: connect, pool checkout and statement
# A request fails after at most one of those waits; the second is slack for a loaded machine.
WITHIN = TIMEOUT + 1
UPSTREAM = ("127.0.0.1", 5432)


class FaultyProxy:
    """A TCP proxy to PostgreSQL (or another server), run by an event loop in a thread, whose faults a test switches.

    Silence is modelled as a network that holds what it is sent: data waits in the proxy and
    is delivered once the network is back, unless its sender reset the connection meanwhile
    (as a reset discards what a real network had not delivered).
    """

    def __init__(self, upstream: tuple[str, int] = UPSTREAM) -> None:
        self.upstream = upstream
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.port = 0
        self.server: asyncio.Server | None = None
        self.flowing = asyncio.Event()
        self.drop_on: bytes | None = None
        self.silence_on: bytes | None = None
        self.connections: set[asyncio.StreamWriter] = set()
        self._run(self._restore())

    def _run(self, work: Any) -> None:
        asyncio.run_coroutine_threadsafe(work, self.loop).result(10)

    async def _restore(self) -> None:
        self.drop_on = self.silence_on = None
        self.flowing.set()
        if self.server is None or not self.server.is_serving():
            self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
            self.port = self.server.sockets[0].getsockname()[1]

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections.add(client_writer)
        await self.flowing.wait()
        server_reader, server_writer = await asyncio.open_connection(*self.upstream)
        self.connections.add(server_writer)
        pair = (client_writer, server_writer)
        await asyncio.gather(
            self._pump(client_reader, server_writer, pair, from_client=True),
            self._pump(server_reader, client_writer, pair, from_client=False),
        )

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        pair: tuple[asyncio.StreamWriter, ...],
        from_client: bool,
    ) -> None:
        try:
            while True:
                await self.flowing.wait()
                data = await reader.read(65536)
                if from_client and self.silence_on and self.silence_on in data:
                    self.flowing.clear()
                await self.flowing.wait()
                if not data or reader.exception() is not None:
                    break
                if from_client and self.drop_on and self.drop_on in data:
                    break
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        for side in pair:
            self._reset(side)

    def _reset(self, writer: asyncio.StreamWriter) -> None:
        self.connections.discard(writer)
        sock = writer.get_extra_info("socket")
        if sock is not None and sock.fileno() != -1:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async def _reset_all(self) -> None:
        for writer in list(self.connections):
            self._reset(writer)

    async def _refuse(self) -> None:
        assert self.server is not None
        self.server.close()
        await self._reset_all()

    def refuse(self) -> None:
        """The database is down: open connections are reset, new ones refused."""
        self._run(self._refuse())

    def reset_all(self) -> None:
        """The database restarted: open connections are reset, new ones accepted."""
        self._run(self._reset_all())

    def drop(self, on: bytes) -> None:
        """A connection is reset, unsent, when its client sends `on` (mid-request)."""
        self.drop_on = on

    def silence(self, on: bytes | None = None) -> None:
        """Nothing is forwarded any more (from the moment a client sends `on`, if given)."""
        if on is None:
            self.loop.call_soon_threadsafe(self.flowing.clear)
        else:
            self.silence_on = on

    def restore(self) -> None:
        self._run(self._restore())

    def close(self) -> None:
        self._run(self._refuse())
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture(scope="module")
def proxy() -> Iterator[FaultyProxy]:
    proxy = FaultyProxy()
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    name = support.unique_name("fd_faults")
    support.create_pg_database(name)
    yield name
    support.drop_pg_database(name)


@pytest.fixture(scope="module")
def project(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return support.shared_render(template, tmp_path_factory.mktemp("faults") / "acme", database="postgresql")


@pytest.fixture(scope="module")
def service(project: Path, service_env: support.ServiceEnv, proxy: FaultyProxy, database: str) -> Iterator[str]:
    env = {
        "DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{proxy.port}/{database}",
        "DATABASE_CONNECT_TIMEOUT": str(TIMEOUT),
        "DATABASE_POOL_TIMEOUT": str(TIMEOUT),
        "DATABASE_STATEMENT_TIMEOUT": str(TIMEOUT),
    }
    with support.served(project, service_env, env) as base:
        yield base


@pytest.fixture(autouse=True)
def healed(proxy: FaultyProxy) -> Iterator[None]:
    yield
    proxy.restore()


def timed(
    method: str, url: str, body: dict | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, float]:
    started = time.monotonic()
    status, answer = support.request(method, url, body, headers=headers)
    return status, answer, time.monotonic() - started


def rows_named(database: str, name: str) -> int:
    query = f"SELECT count(*) FROM item WHERE name = '{name}'"  # noqa: S608 - our own value
    result = support.run("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-tAc", query, cwd=support.REPO)
    return int(result.stdout)


# The COMMIT statement as asyncpg sends it (a BEGIN says "READ COMMITTED" after a read's AUTOCOMMIT).
COMMIT = b"COMMIT;"
FAULTS: dict[str, tuple[Callable[[FaultyProxy], None], int, int]] = {
    # fault, and what a list (GET) and /health answer meanwhile: reads send no COMMIT, so a fault
    # at COMMIT leaves them answering
    "refused": (FaultyProxy.refuse, 503, 503),
    "dropped at commit": (lambda proxy: proxy.drop(on=COMMIT), 200, 200),
    "silent": (lambda proxy: proxy.silence(), 503, 503),
    "silent at commit": (lambda proxy: proxy.silence(on=COMMIT), 503, 503),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_database_fault_is_a_503_that_commits_nothing_and_heals(
    fault: str, service: str, proxy: FaultyProxy, database: str
) -> None:
    start_fault, list_meanwhile, health_meanwhile = FAULTS[fault]
    assert support.request("POST", f"{service}/items", {"name": f"before {fault}", "price": "1.00"})[0] == 201
    start_fault(proxy)
    lost, key = f"lost {fault}", {"Idempotency-Key": f"key of {fault}"}
    status, answer, took = timed("POST", f"{service}/items", {"name": lost, "price": "2.00"}, key)
    assert (status, answer["error"]["code"]) == (503, "service_unavailable"), answer
    assert answer["error"]["request_id"]
    assert took < WITHIN, took
    # A COMMIT sent without an answer: the client cannot know whether the row exists, and is told.
    in_doubt = "may have happened" in answer["error"]["message"]
    assert in_doubt == fault.endswith("at commit"), answer
    status, answer, took = timed("GET", f"{service}/items")
    assert (status, took < WITHIN) == (list_meanwhile, True), (answer, took)
    if status == 503:
        assert answer["error"]["code"] == "service_unavailable"
    status, _, took = timed("GET", f"{service}/health")
    assert (status, took < WITHIN) == (health_meanwhile, True), took

    proxy.restore()
    assert support.request("POST", f"{service}/items", {"name": f"after {fault}", "price": "3.00"})[0] == 201
    assert support.request("GET", f"{service}/items")[0] == 200
    assert support.request("GET", f"{service}/health")[0] == 200
    # Whatever the fault held back was not delivered later: the failed write never landed.
    assert rows_named(database, lost) == 0
    # Retried with its key, the create is made once, however often it is sent.
    retries = [support.request("POST", f"{service}/items", {"name": lost, "price": "2.00"}, headers=key) for _ in "ab"]
    assert retries[0] == retries[1] and retries[0][0] == 201
    assert rows_named(database, lost) == 1


def test_stale_pooled_connections_are_replaced_without_an_error(service: str, proxy: FaultyProxy) -> None:
    """The database restarted between requests: every pooled connection is dead, none shows."""
    with ThreadPoolExecutor(4) as pool:  # several connections in the pool
        assert set(pool.map(lambda _: support.request("GET", f"{service}/items")[0], range(8))) == {200}
    proxy.reset_all()
    statuses = [support.request("GET", f"{service}/items")[0] for _ in range(8)]
    assert statuses == [200] * 8


def test_options_lists_every_method_of_the_path(service: str) -> None:
    request = urllib.request.Request(f"{service}/items", method="OPTIONS")  # noqa: S310 - a local server
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310 - a local server
    assert caught.value.code == 405
    assert caught.value.headers["Allow"] == "GET, POST"
    assert json.loads(caught.value.read())["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("refusal", ["unknown role", "missing database"])
def test_a_server_that_lets_the_service_in_nowhere_is_a_503_logged_once(
    project: Path, service_env: support.ServiceEnv, database: str, tmp_path: Path, refusal: str
) -> None:
    """Not a bug: 503s in the error shape, readiness 503, one warning (no traceback) for ten requests."""
    url = support.pg_url(database).replace("postgres@", "no_such_role@", 1)
    if refusal == "missing database":
        url = support.pg_url(support.unique_name("fd_missing"))
    port, log = support.free_port(), tmp_path / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [service_env.tool("python"), "-m", "uvicorn", "src.main:app", "--port", str(port)],
            cwd=project,
            env={**os.environ, "DATABASE_URL": url},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while not _listening(port):
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            for _ in range(10):
                status, answer = support.request("POST", f"{base}/items", {"name": "Lamp", "price": "1.00"})
                assert (status, answer["error"]["code"]) == (503, "service_unavailable"), answer
            status, answer = support.request("GET", f"{base}/health/ready")
            assert (status, answer["error"]["code"]) == (503, "service_unavailable")
        finally:
            server.terminate()
            server.wait(timeout=10)
    logged = log.read_text()
    assert logged.count("Database unavailable") == 1, logged
    assert "Traceback" not in logged, logged


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_migration_behind_a_lock_stops_within_the_lock_timeout(
    project: Path, service_env: support.ServiceEnv, tmp_path: Path
) -> None:
    """A migration altering a table another session reads: it stops after DATABASE_MIGRATION_LOCK_TIMEOUT
    with one line, instead of queueing (and queueing every later query on the table behind it)."""
    name = support.unique_name("fd_lock")
    support.create_pg_database(name)
    env = {"DATABASE_URL": support.pg_url(name), "DATABASE_MIGRATION_LOCK_TIMEOUT": "1"}
    python = service_env.tool("python")
    holder = None
    try:
        support.run(python, "-m", "alembic", "upgrade", "head", cwd=project, env=env)
        cli("field", "add", "items", "note:text:optional", cwd=project)
        hold = "BEGIN; LOCK TABLE item IN ACCESS SHARE MODE; SELECT pg_sleep(60);"
        holder = subprocess.Popen(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-qc", hold])
        held = "SELECT count(*) FROM pg_locks JOIN pg_class ON relation = oid WHERE relname = 'item' AND granted"
        deadline = time.monotonic() + 10
        while _psql(name, held) == "0":
            assert time.monotonic() < deadline, "the lock was never taken"
            time.sleep(0.1)
        started = time.monotonic()
        result = support.run(python, "-m", "alembic", "upgrade", "head", cwd=project, env=env, check=False)
        took = time.monotonic() - started
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        assert took < 1 + 5, took  # the timeout, and slack for starting Python on a loaded machine
        assert "FAILED: migration stopped, nothing applied: waited DATABASE_MIGRATION_LOCK_TIMEOUT=1s" in output
        assert "ALTER TABLE item ADD COLUMN note" in output
        assert "Traceback" not in output
        column = "SELECT count(*) FROM information_schema.columns WHERE table_name = 'item' AND column_name = 'note'"
        assert _psql(name, column) == "0"
        # The lock is released with its session (a client gone mid-sleep leaves it running).
        others = "datname = current_database() AND pid <> pg_backend_pid()"
        _psql(name, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {others}")  # noqa: S608 - no input
        holder.wait(timeout=10)
        support.run(python, "-m", "alembic", "upgrade", "head", cwd=project, env=env)
        assert _psql(name, column) == "1"
    finally:
        if holder is not None and holder.poll() is None:
            holder.terminate()
            holder.wait(timeout=10)
        support.git(project, "checkout", "-q", "--", ".")
        support.git(project, "clean", "-qfd")
        support.drop_pg_database(name)


def _psql(database: str, query: str) -> str:
    result = support.run("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-tAc", query, cwd=support.REPO)
    return result.stdout.strip()
