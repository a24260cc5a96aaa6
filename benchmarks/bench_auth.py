"""Prints what authentication costs a generated service: the latency of a login (one argon2
verification, by design tens of milliseconds), the throughput of `GET /{domain}/{id}` on a
public domain against the same read on an `--access authenticated` one (token check and user
lookup per request), and whether a login storm starves the other requests: the throughput of
`GET /health/live` and of the public read, idle and while 16 clients hammer `POST /auth/login`
(with the right password, an argon2 verification each; and with random emails, as an attacker
would, throttled after the first failures).

    uv run python benchmarks/bench_auth.py [--rounds 3] [--duration 10] [--logins 30] [--storm-clients 16]

One PostgreSQL service generated with `--data auth=jwt`, `customers` (public) and `members`
(authenticated, the same fields) added by the CLI, 1,000 rows in each; one uvicorn worker on
core 0, wrk and the storm's clients on core 1, the runs interleaved round by round, medians. Needs
wrk, taskset, psql and PostgreSQL on 127.0.0.1:5432 (user postgres, trust).
"""

import argparse
import collections
import http.client
import json
import os
import statistics
import subprocess
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from bench_service import cli, database, migrate, service_url
from serving import CLIENT_CORE, HOST, App, Load, Server, drive, preflight, psql, served
from template_snapshot import copy_service, run, scratch, service_venv

ROWS = 1_000
FIELDS = ("--field", "name:str", "--field", "email:str:unique")
PASSWORD = "a benchmark password"  # noqa: S105 - a throwaway user of a throwaway database
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# The storms' clients: the right password from uvicorn's own loopback address, random emails from
# another one (Linux routes 127.0.0.0/8 to loopback), so that the attacker's throttled address
# does not slow the right-password storm down.
STORMS = {"right password": "127.0.0.1", "random emails": "127.0.0.5"}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of wrk runs (default 3)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each timed wrk run (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk before each timed run (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--logins", type=int, default=30, help="sequential logins timed (default 30)")
    parser.add_argument("--storm-clients", type=int, default=16, help="clients hammering /auth/login (default 16)")
    args = parser.parse_args()
    for name in ("rounds", "duration", "warmup", "connections", "logins", "storm_clients"):
        if not 1 <= getattr(args, name) <= 1000:
            parser.error(f"--{name} must be between 1 and 1000")
    return args


def generate(template: Path, destination: Path, env: dict[str, str]) -> Path:
    copy_service(template, destination, env, "database=postgresql", "auth=jwt", "example_domain=false")
    run(*cli(), "domain", "customers", *FIELDS, "--no-input", cwd=destination, env=env)
    run(*cli(), "domain", "members", *FIELDS, "--access", "authenticated", "--no-input", cwd=destination, env=env)
    return destination


def load(name: str) -> None:
    rows = (
        f"SELECT 'Person ' || g, 'person' || g || '@example.com', t, t FROM generate_series(1, {ROWS}) g "  # noqa: S608 - constants
        "CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01 00:00:00+00' + g * interval '1 minute') x(t)"
    )
    for table in ("customer", "member"):
        psql(f"INSERT INTO {table} (name, email, created_at, updated_at) {rows}", name)
        psql(f"VACUUM ANALYZE {table}", name)
    psql("CHECKPOINT", name)


def post(port: int, path: str, body: bytes, content_type: str) -> tuple[int, dict, float]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        start = time.perf_counter()
        connection.request("POST", path, body, {"Content-Type": content_type})
        reply = connection.getresponse()
        content = reply.read()
        return reply.status, json.loads(content), time.perf_counter() - start
    finally:
        connection.close()


def login_times(port: int, logins: int) -> tuple[str, list[float]]:
    """A registered user's access token, and the seconds each of `logins` sequential logins took."""
    user = json.dumps({"email": "bench@example.com", "password": PASSWORD}).encode()
    status, body, _ = post(port, "/auth/register", user, "application/json")
    if status != 202:
        raise RuntimeError(f"register answered {status}: {body}")
    form = urllib.parse.urlencode({"username": "bench@example.com", "password": PASSWORD}).encode()
    times, token = [], ""
    for _ in range(logins):
        status, body, seconds = post(port, "/auth/login", form, "application/x-www-form-urlencoded")
        if status != 200:
            raise RuntimeError(f"login answered {status}: {body}")
        times.append(seconds)
        token = body["access_token"]
    return token, times


def hash_costs(service: Path, python: Path) -> tuple[float, float]:
    """Milliseconds of one argon2 hash and one verification in the service's own code (median of 10)."""
    script = (
        "import statistics, time; from src.auth import utils\n"
        "h = utils.hash_password('x' * 20); hashes, verifies = [], []\n"
        "for _ in range(10):\n"
        "    t = time.perf_counter(); utils.hash_password('x' * 20); hashes.append(time.perf_counter() - t)\n"
        "    t = time.perf_counter(); utils.verify_password('x' * 20, h); verifies.append(time.perf_counter() - t)\n"
        "print(statistics.median(hashes) * 1000, statistics.median(verifies) * 1000)"
    )
    output = subprocess.run(
        ["taskset", "-c", "0", str(python), "-c", script], cwd=service, capture_output=True, text=True, check=True
    ).stdout
    hashed, verified = (float(value) for value in output.split())
    return hashed, verified


def _storm_form(storm: str) -> Callable[[], bytes]:
    if storm == "right password":
        body = urllib.parse.urlencode({"username": "bench@example.com", "password": PASSWORD}).encode()
        return lambda: body
    return lambda: urllib.parse.urlencode({"username": f"{uuid.uuid4().hex}@example.com", "password": "guess"}).encode()


@contextmanager
def login_storm(port: int, storm: str, clients: int) -> Iterator[collections.Counter]:
    """`clients` threads posting `/auth/login` back to back, each on its own kept-alive
    connection, until the block ends; yields the count of answers by status."""
    stop, lock, counts = threading.Event(), threading.Lock(), collections.Counter()
    form = _storm_form(storm)

    def client() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=60, source_address=(STORMS[storm], 0))
        while not stop.is_set():
            try:
                connection.request("POST", "/auth/login", form(), FORM)
                reply = connection.getresponse()
                reply.read()
                status: int | str = reply.status
            except OSError:
                status = "error"
                connection.close()
            with lock:
                counts[status] += 1
        connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        yield counts
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=70)


def storm_samples(server: Server, args: argparse.Namespace) -> tuple[dict, dict]:
    """Per target and condition (idle, or a storm), the wrk loads of each round; per storm, the
    answers to its logins during the timed runs and their seconds."""
    targets = {
        "GET /health/live": {"BENCH_MODE": "fixed", "BENCH_PATH": "/health/live"},
        "GET /customers/{id}": {"BENCH_MODE": "one", "BENCH_PATH": "/customers", "BENCH_ID_MAX": str(ROWS)},
    }
    conditions = ["idle", *STORMS]
    loads: dict[tuple[str, str], list[Load]] = collections.defaultdict(list)
    answers: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    seconds: collections.Counter = collections.Counter()
    # The storms' threads share the client core with wrk (new threads inherit it).
    os.sched_setaffinity(0, {int(CLIENT_CORE)})
    for _ in range(args.rounds):
        for target, lua in targets.items():
            for condition in conditions:
                storm = login_storm(server.port, condition, args.storm_clients) if condition in STORMS else None
                with storm or nullcontext(collections.Counter()) as counts:
                    drive(server, {"BENCH_ID_MIN": "1", **lua}, args.warmup, args.connections)
                    before = collections.Counter(counts)
                    load = drive(server, {"BENCH_ID_MIN": "1", **lua}, args.duration, args.connections)
                    answers[condition] += collections.Counter(counts) - before
                    seconds[condition] += load.seconds
                loads[target, condition].append(load)
    return loads, {condition: (answers[condition], seconds[condition]) for condition in STORMS}


def print_storms(loads: dict, answers: dict, args: argparse.Namespace) -> None:
    print(
        f"Under a login storm ({args.storm_clients} clients on POST /auth/login, wrk {args.connections} connections), "
        f"median of {args.rounds} rounds of {args.duration} s"
    )
    for target in dict.fromkeys(target for target, _ in loads):
        idle = statistics.median(load.rate for load in loads[target, "idle"])
        for condition in ("idle", *STORMS):
            rate = statistics.median(load.rate for load in loads[target, condition])
            p99 = statistics.median(load.p99_ms for load in loads[target, condition])
            errors = sum(load.errors for load in loads[target, condition])
            print(
                f"  {target:20} {condition:15} {rate:8.0f} req/s ({rate / idle - 1:+6.1%})  p99 {p99:6.1f} ms  "
                f"{errors} errors"
            )
    for storm, (counts, seconds) in answers.items():
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(counts.items(), key=str))
        print(f"  logins answered during the {storm} storms: {sum(counts.values()) / seconds:.1f}/s ({statuses})")


def main() -> None:
    args = arguments()
    preflight()
    with scratch() as (root, env, template):
        service = generate(template, root / "service", env)
        python = service_venv(service, root / "venv")
        hashed, verified = hash_costs(service, python)
        with database() as name:
            migrate(service, python, name)
            load(name)
            app = App("service", "src.main:app", service, "DATABASE_URL", "postgresql+asyncpg")
            database_env = {"DATABASE_URL": service_url(name)}
            with served(app, python, database_env, "/health/ready", root / "login.log") as server:
                token, logins = login_times(server.port, args.logins)
            reads = {
                "public": {"BENCH_PATH": "/customers"},
                "authenticated": {"BENCH_PATH": "/members", "BENCH_TOKEN": token},
            }
            samples: dict[str, list] = {kind: [] for kind in reads}
            for _ in range(args.rounds):
                for kind, extra in reads.items():
                    lua = {"BENCH_MODE": "one", "BENCH_ID_MIN": "1", "BENCH_ID_MAX": str(ROWS), **extra}
                    with served(app, python, database_env, "/health/ready", root / f"{kind}.log") as server:
                        drive(server, lua, args.warmup, args.connections)
                        samples[kind].append(drive(server, lua, args.duration, args.connections))
            with served(app, python, database_env, "/health/ready", root / "storm.log") as server:
                storm_loads, storm_answers = storm_samples(server, args)
    logins_ms = sorted(seconds * 1000 for seconds in logins)
    print(f"argon2 (pwdlib defaults) in the service's code: hash {hashed:.0f} ms, verify {verified:.0f} ms")
    print(
        f"POST /auth/login over HTTP, {len(logins_ms)} sequential: median {statistics.median(logins_ms):.0f} ms, "
        f"slowest {logins_ms[-1]:.0f} ms"
    )
    print(
        f"GET /{{domain}}/{{id}}, {args.connections} connections, median of {args.rounds} rounds of {args.duration} s"
    )
    baseline = statistics.median(load.rate for load in samples["public"])
    for kind, loads in samples.items():
        rate = statistics.median(load.rate for load in loads)
        p99 = statistics.median(load.p99_ms for load in loads)
        errors = sum(load.errors for load in loads)
        print(f"  {kind:14} {rate:8.0f} req/s ({rate / baseline - 1:+6.1%})  p99 {p99:6.1f} ms  {errors} errors")
    print_storms(storm_loads, storm_answers, args)


if __name__ == "__main__":
    main()
