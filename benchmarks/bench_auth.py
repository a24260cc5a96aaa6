"""Prints what authentication costs a generated service: the latency of a login (one argon2
verification, by design tens of milliseconds) and the throughput of `GET /{domain}/{id}` on a
public domain against the same read on an `--access authenticated` one (token check and user
lookup per request).

    uv run python benchmarks/bench_auth.py [--rounds 3] [--duration 10] [--logins 30]

One PostgreSQL service generated with `--data auth=jwt`, `customers` (public) and `members`
(authenticated, the same fields) added by the CLI, 1,000 rows in each; one uvicorn worker on
core 0, wrk on core 1, the two reads interleaved round by round, medians. Needs wrk, taskset,
psql and PostgreSQL on 127.0.0.1:5432 (user postgres, trust).
"""

import argparse
import http.client
import json
import statistics
import subprocess
import time
import urllib.parse
from pathlib import Path

from bench_service import cli, database, migrate, service_url
from serving import HOST, App, drive, preflight, psql, served
from template_snapshot import copy_service, run, scratch, service_venv

ROWS = 1_000
FIELDS = ("--field", "name:str", "--field", "email:str:unique")
PASSWORD = "a benchmark password"  # noqa: S105 - a throwaway user of a throwaway database


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of wrk runs (default 3)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each timed wrk run (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk before each timed run (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--logins", type=int, default=30, help="sequential logins timed (default 30)")
    args = parser.parse_args()
    for name in ("rounds", "duration", "warmup", "connections", "logins"):
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
    if status != 201:
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


if __name__ == "__main__":
    main()
