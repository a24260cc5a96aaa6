"""Serving an app for the HTTP benchmark: one uvicorn worker pinned to one core, wrk pinned to the
other, the server's CPU time from /proc, and PostgreSQL's own counters. Loopback only."""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LUA = HERE / "random_requests.lua"
HOST = "127.0.0.1"
SERVER_CORE, CLIENT_CORE = "0", "1"
PG = ("-h", HOST, "-p", "5432", "-U", "postgres")
TICKS = os.sysconf("SC_CLK_TCK")


def preflight() -> None:
    """Exit with one line naming what to install when a tool or the second core is missing."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: install it with `apt-get update && apt-get install -y wrk` (Debian/Ubuntu)")
    if shutil.which("taskset") is None:
        sys.exit("taskset is missing: install it with `apt-get install -y util-linux`")
    if shutil.which("psql") is None:
        sys.exit("psql is missing: install it with `apt-get install -y postgresql-client`")
    if len(os.sched_getaffinity(0)) < 2:
        sys.exit("this benchmark pins the server and wrk to two different cores: it needs at least 2 CPUs")


@dataclass(frozen=True)
class App:
    """One of the compared apps: its uvicorn target and folder, the variable and scheme its
    database URL takes, and any other environment it runs with."""

    name: str
    target: str
    cwd: Path
    url_variable: str
    url_scheme: str
    env: dict[str, str] = field(default_factory=dict)
    app_dir: Path | None = None

    def database_env(self, database: str, port: int = 5432) -> dict[str, str]:
        return {**self.env, self.url_variable: f"{self.url_scheme}://postgres@{HOST}:{port}/{database}"}


def _decode(body: bytes) -> Any:
    """The JSON body, or its text when it is not JSON (uvicorn's own plain-text 500)."""
    try:
        return json.loads(body) if body else None
    except ValueError:
        return body.decode(errors="replace")


@dataclass
class Server:
    pid: int
    base: str
    port: int

    def cpu_seconds(self) -> float:
        """User and system CPU time the server process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def get(self, path: str, timeout: float = 60) -> tuple[int, Any, float]:
        """One GET on a new connection: status, decoded JSON body and seconds taken."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            start = time.perf_counter()
            connection.request("GET", path)
            reply = connection.getresponse()
            body = reply.read()
            elapsed = time.perf_counter() - start
        finally:
            connection.close()
        return reply.status, _decode(body), elapsed


class Client:
    """Sequential GETs on one keep-alive connection, as a single user's browser sends them."""

    def __init__(self, server: Server, timeout: float = 60) -> None:
        self.connection = http.client.HTTPConnection(HOST, server.port, timeout=timeout)

    def get(self, path: str) -> tuple[int, Any, float]:
        start = time.perf_counter()
        self.connection.request("GET", path)
        reply = self.connection.getresponse()
        body = reply.read()
        elapsed = time.perf_counter() - start
        return reply.status, _decode(body), elapsed

    def close(self) -> None:
        self.connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


# uvicorn under cProfile, timed in CPU seconds (a wait on PostgreSQL inside asyncpg's compiled code
# would otherwise count as its own time), from SIGUSR1 to SIGUSR2, which writes the statistics.
PROFILED = """
import cProfile, runpy, signal, sys, time
output = sys.argv.pop(1)
profiler = cProfile.Profile(time.process_time)
signal.signal(signal.SIGUSR1, lambda *_: profiler.enable())
signal.signal(signal.SIGUSR2, lambda *_: (profiler.disable(), profiler.dump_stats(output)))
runpy.run_module("uvicorn", run_name="__main__", alter_sys=True)
"""


@contextmanager
def served(app: App, python: Path, env: dict[str, str], ready_path: str, log: Path,
           profile: Path | None = None) -> Iterator[Server]:  # fmt: skip
    """The app served by one uvicorn worker pinned to the server core, until the block ends;
    `env` adds to the app's environment (its database URL, from `App.database_env`). With
    `profile`, the server runs under cProfile (see PROFILED) and writes its statistics there."""
    port = free_port()
    command = [
        "taskset", "-c", SERVER_CORE, str(python), *(["-c", PROFILED, str(profile)] if profile else ["-m", "uvicorn"]),
        app.target,
        "--host", HOST, "--port", str(port), "--workers", "1", "--no-access-log",
    ]  # fmt: skip
    if app.app_dir:
        command += ["--app-dir", str(app.app_dir)]
    with log.open("ab") as output:
        # taskset execs uvicorn, so this pid is the server's own process.
        process = subprocess.Popen(command, cwd=app.cwd, env={**os.environ, **env},
                                   stdout=output, stderr=subprocess.STDOUT)  # fmt: skip
    server = Server(process.pid, f"http://{HOST}:{port}", port)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{app.name} exited at start:\n{log.read_text()[-3000:]}")
            try:
                if server.get(ready_path, timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{app.name} did not answer {ready_path} with a 200 within 30 s")
            time.sleep(0.2)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def drive(server: Server, lua_env: dict[str, str], seconds: int, connections: int) -> Load:
    """wrk on the client core against `server` for `seconds`, with the Lua script's random paths."""
    command = [
        "taskset", "-c", CLIENT_CORE, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(LUA), server.base,
    ]  # fmt: skip
    result = subprocess.run(command, env={**os.environ, **lua_env}, capture_output=True, text=True,
                            timeout=seconds + 60, check=False)  # fmt: skip
    lines = [line for line in result.stdout.splitlines() if line.startswith("BENCH_RESULT ")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    figures = json.loads(lines[-1].removeprefix("BENCH_RESULT "))
    return Load(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=figures["errors"],
    )


def psql(sql: str, database: str = "postgres") -> str:
    result = subprocess.run(["psql", *PG, "-d", database, "-XAtqc", sql], capture_output=True, text=True,
                            timeout=600, check=False)  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"psql failed: {sql}\n{result.stderr}")
    return result.stdout.strip()


def sessions(database: str) -> int:
    """Connections ever opened to `database`, as PostgreSQL counts them (pg_stat_database)."""
    query = f"SELECT sessions FROM pg_stat_database WHERE datname = '{database}'"  # noqa: S608 - our own name
    return int(psql(query))


def wait_for_disconnects(database: str, timeout: float = 20) -> None:
    """Wait until no backend serves `database`: each flushes its statistics as it exits."""
    deadline = time.monotonic() + timeout
    query = f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}'"  # noqa: S608 - our own name
    while int(psql(query)) and time.monotonic() < deadline:
        time.sleep(0.1)
