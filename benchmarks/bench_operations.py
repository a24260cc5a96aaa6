"""Prints what metrics and tracing cost a generated service: requests per second of
`GET /orders/{id}` with metrics off, on, on with a PROMETHEUS_MULTIPROC_DIR (as the image runs
them), and with tracing configured but no collector listening, every request traced or one in ten.

    uv run python benchmarks/bench_operations.py [--rounds 3] [--duration 10]

One PostgreSQL service generated with `--data with_tracing=true` (metrics are on by default),
`customers` and `orders` added by the CLI, 1,000 customers and 10,000 orders; one uvicorn worker
on core 0, wrk on core 1, the variants interleaved round by round, medians. Needs wrk, taskset,
psql and PostgreSQL on 127.0.0.1:5432 (user postgres, trust).
"""

import argparse
import statistics
from pathlib import Path

from bench_http import Data, Sample, timed_run
from bench_service import DOMAINS, cli, database, id_range, load, migrate
from serving import App, free_port, preflight
from template_snapshot import copy_service, run, scratch, service_venv

CUSTOMERS, ORDERS = 1_000, 10_000


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of wrk runs (default 3)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each timed wrk run (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk before each timed run (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    args = parser.parse_args()
    for name in ("rounds", "duration", "warmup", "connections"):
        if not 1 <= getattr(args, name) <= 1000:
            parser.error(f"--{name} must be between 1 and 1000")
    return args


def generate(template: Path, destination: Path, env: dict[str, str]) -> Path:
    """The service with tracing available, and the two domains added as a user adds them."""
    copy_service(template, destination, env, "database=postgresql", "with_tracing=true")
    for name, *fields in DOMAINS:
        run(*cli(), "domain", name, *[part for field in fields for part in ("--field", field)], "--no-input",
            cwd=destination, env=env)  # fmt: skip
    return destination


def variants(service: Path, root: Path) -> list[App]:
    """The same app five ways; only the environment differs."""
    nobody = f"http://127.0.0.1:{free_port()}"  # a port nothing listens on: every export fails

    def app(name: str, **env: str) -> App:
        return App(name, "src.main:app", service, "DATABASE_URL", "postgresql+asyncpg", env)

    return [
        app("metrics off", METRICS_ENABLED="false"),
        app("metrics on"),
        app("metrics on, multiprocess dir", PROMETHEUS_MULTIPROC_DIR=str(root / "prometheus")),
        app("tracing configured, no collector", OTEL_EXPORTER_OTLP_ENDPOINT=nobody),
        app(
            "tracing, one request in ten",
            OTEL_EXPORTER_OTLP_ENDPOINT=nobody,
            OTEL_TRACES_SAMPLER="parentbased_traceidratio",
            OTEL_TRACES_SAMPLER_ARG="0.1",
        ),
    ]


def main() -> None:
    args = arguments()
    preflight()
    with scratch() as (root, env, template):
        service = generate(template, root / "service", env)
        python = service_venv(service, root / "venv")
        with database() as name:
            migrate(service, python, name)
            load(name, CUSTOMERS, ORDERS)
            data = Data(name, *id_range(name))
            apps = variants(service, root)
            samples: dict[str, list[Sample]] = {app.name: [] for app in apps}
            for _ in range(args.rounds):
                for app in apps:
                    sample = timed_run(app, python, data, "one", args.duration, args.warmup, args.connections,
                                       root / "server.log")  # fmt: skip
                    samples[app.name].append(sample)
    baseline = statistics.median(sample.rate for sample in samples[apps[0].name])
    print(f"GET /orders/{{id}}, {args.connections} connections, median of {args.rounds} rounds of {args.duration} s")
    for name, runs in samples.items():
        rate = statistics.median(sample.rate for sample in runs)
        p99 = statistics.median(sample.p99_ms for sample in runs)
        cpu = statistics.median(sample.cpu_us for sample in runs)
        errors = sum(sample.errors for sample in runs)
        print(
            f"  {name:34} {rate:8.0f} req/s ({rate / baseline - 1:+6.1%})  p99 {p99:6.1f} ms  "
            f"{cpu:5.0f} µs CPU/request  {errors} errors"
        )


if __name__ == "__main__":
    main()
