"""Prints how fast a generated service serves reads next to three hand-written apps, and how fast
this template generates.

    uv run python benchmarks/speed.py              # about 8 minutes on 2 cores
    uv run python benchmarks/speed.py --million    # plus deep pages at 1,000,000 orders

It generates a PostgreSQL service from a git snapshot of this working tree with `customers` and
`orders` (a reference to customers), loads 10,000 customers and 50,000 orders into a fresh
database, and compares it with `apps/raw_app.py` (Starlette + asyncpg, the ceiling),
`apps/floor_app.py` (FastAPI + asyncpg, the JSON built by PostgreSQL: the least FastAPI does) and
`apps/orm_app.py` (FastAPI + async SQLAlchemy ORM, the common pattern): one uvicorn worker on
core 0, wrk on core 1, interleaved rounds, medians. benchmarks/README.md explains each figure.
Needs wrk, taskset, psql and PostgreSQL on 127.0.0.1:5432 (user postgres, trust).
"""

import argparse
import datetime as dt
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import copy_times, suite_times, summary
from bench_cli import domain_add_times
from bench_http import PAGE, SCENARIOS, Data, Medians, interleaved, medians, round_trips, table
from bench_service import database, generate, id_range, load, migrate
from deep_pages import Latencies, measure, supports_cursor
from profile_get import profile
from serving import App, psql, served
from serving import preflight as check_tools
from targets import report
from template_snapshot import scratch, service_venv

APPS = Path(__file__).resolve().parent / "apps"
CUSTOMERS, ORDERS, MILLION = 10_000, 50_000, 1_000_000
PACKAGES = ("fastapi", "starlette", "pydantic", "sqlalchemy", "asyncpg", "uvicorn", "uvloop", "httptools")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of wrk runs (default 3)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each timed wrk run (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk before each timed run (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--round-trip-requests", type=int, default=100, help="requests counted per app and read")
    parser.add_argument("--million", action="store_true", help="also time deep pages at 1,000,000 orders (slower)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each generation timing (default 5)")
    parser.add_argument("--skip-http", action="store_true", help="only the generation timings")
    parser.add_argument("--skip-generation", action="store_true", help="only the HTTP figures")
    args = parser.parse_args()
    for name in ("rounds", "duration", "warmup", "connections", "round_trip_requests", "runs"):
        if not 1 <= getattr(args, name) <= 1000:
            parser.error(f"--{name.replace('_', '-')} must be between 1 and 1000")
    return args


def versions(python: Path) -> str:
    script = "import importlib.metadata as m, sys; print(*(f'{n} {m.version(n)}' for n in sys.argv[1:]), sep=', ')"
    listed = subprocess.run([python, "-c", script, *PACKAGES], capture_output=True, text=True, check=True).stdout
    return f"Python {platform.python_version()}, {listed.strip()}"


def probe(generated: App, python: Path, data: Data, log: Path) -> tuple[bool, bool]:
    """Whether the generated list counts an exact `total` on every page (the reference apps then
    do too) and whether it pages by cursor; warns when its deepest offset is refused."""
    with served(generated, python, generated.database_env(data.database), data.ready_path, log) as server:
        _, page, _ = server.get(f"/orders?limit={PAGE}")
        deepest, _, _ = server.get(f"/orders?limit={PAGE}&offset={data.count - PAGE}")
    if deepest != 200:
        print(f"WARNING: the generated service answers {deepest} to offset {data.count - PAGE}: list figures are off")
    return isinstance(page, dict) and page.get("total") == data.count, supports_cursor(page)


def compared_apps(service: Path, python: Path, data: Data, logs: Path) -> tuple[list[App], bool]:
    """raw, floor, ORM and generated (the last, the reference of the JSON comparison), and whether the
    generated service pages by cursor."""
    # Offsets past the default ORDERS_OFFSET_MAX (10,000) would be 422s: the generated service is
    # allowed every offset the reference apps serve.
    generated = App("generated", "src.main:app", service, "DATABASE_URL", "postgresql+asyncpg",
                    {"ORDERS_OFFSET_MAX": str(MILLION)})  # fmt: skip
    exact_total, cursor = probe(generated, python, data, logs / "probe.log")
    print(
        "List pages "
        + ("count the exact total on every page (all four apps)." if exact_total else "carry no exact total.")
        + (" The generated service pages by cursor." if cursor else " The generated service has no cursor.")
    )
    reference_env = {"BENCH_TOTAL": "exact" if exact_total else "none"}
    return [
        App("raw", "raw_app:app", APPS, "BENCH_DATABASE_URL", "postgresql", reference_env, APPS),
        App("floor", "floor_app:app", APPS, "BENCH_DATABASE_URL", "postgresql", reference_env, APPS),
        App("ORM", "orm_app:app", APPS, "BENCH_DATABASE_URL", "postgresql", reference_env, APPS),
        generated,
    ], cursor


def http_figures(args: argparse.Namespace, service: Path, python: Path, logs: Path) -> tuple[Medians, Latencies]:
    with database() as name:
        migrate(service, python, name)
        load(name, CUSTOMERS, ORDERS)
        data = Data(name, *id_range(name))
        print(f"Loaded {CUSTOMERS:,} customers and {data.count:,} orders into {name}.", flush=True)
        apps, cursor = compared_apps(service, python, data, logs)
        print("Counting round trips and comparing the JSON ...", flush=True)
        trips, problems = round_trips(apps, python, data, args.round_trip_requests, logs)
        print("\n".join(f"WARNING: JSON differs: {problem}" for problem in problems[:20]) or "  same JSON from all.")
        print(f"Timed runs: {args.rounds} rounds x {len(SCENARIOS)} reads x {len(apps)} apps ...", flush=True)
        samples = interleaved(apps, python, data, rounds=args.rounds, seconds=args.duration, warmup=args.warmup,
                              connections=args.connections, logs=logs)  # fmt: skip
        print(
            f"\nMedians of {args.rounds} rounds ({args.duration} s of wrk, {args.connections} connections, "
            f"after {args.warmup} s of warm-up; {CUSTOMERS:,} customers, {data.count:,} orders):\n"
        )
        figures = medians(samples)
        print("\n".join(table(apps, figures, trips)), flush=True)
        for scenario, label in SCENARIOS.items():
            print(f"\nProfile of the generated service, {label} (cProfile, {args.duration} s after a warm-up):\n")
            print(profile(apps[-1], python, data, scenario, args.duration, args.connections, logs), flush=True)
        if not args.million:
            return figures, {}
        print(f"\nDeep pages, one client, median of 5 (generated with ORDERS_OFFSET_MAX={MILLION:,}):\n", flush=True)
        return figures, measure(apps, python, name, [data.count, MILLION], cursor, logs)


def generation_figures(args: argparse.Namespace, root: Path, env: dict[str, str], template: Path,
                       python: Path) -> dict[str, float]:  # fmt: skip
    print(f"\nGeneration ({args.runs} runs each):", flush=True)
    service = root / "service-0"  # the first default copy, the one the other timings start from
    timings: list[tuple[str, str, Callable[[], list[float]]]] = [
        ("copy", "copier copy (default answers, hooks included)", lambda: copy_times(template, root, env, args.runs)),
        ("domain", "fastapi-domains domain (five fields)", lambda: domain_add_times(service, root, env, args.runs)),
        ("suite", "fresh service test suite (SQLite)", lambda: suite_times(python, service, env, args.runs)),
    ]
    figures = {}
    for key, label, timing in timings:
        try:
            times = timing()
        except RuntimeError as error:
            print(f"  {label}: FAILED, no figure: {' '.join(str(error).split())[-400:]}", flush=True)
            if not service.exists():
                break
            continue
        print(f"  {summary(label, times)}", flush=True)
        figures[key] = statistics.median(times)
    return figures


def main() -> None:
    args = arguments()
    check_tools()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up servers and databases
    load_1, load_5, _ = os.getloadavg()
    when = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    postgres = psql("SELECT version()").split(",")[0]
    print(f"{when}, {os.cpu_count()} CPUs, load average {load_1:.1f} / {load_5:.1f}, {postgres}")
    started = time.monotonic()
    with scratch() as (root, env, template):
        logs = root / "logs"
        logs.mkdir()
        print("Generating the service and installing its dependencies ...", flush=True)
        service = generate(template, root / "bench-service", env)
        python = service_venv(service, root / "venv")
        print(versions(python), flush=True)
        http, deep = http_figures(args, service, python, logs) if not args.skip_http else ({}, {})
        generation = generation_figures(args, root, env, template, python) if not args.skip_generation else {}
    lines = report(http, deep, generation)
    print("\n" + "\n".join(lines) if lines else "")
    print(f"\nDone in {(time.monotonic() - started) / 60:.1f} minutes.")


if __name__ == "__main__":
    main()
