"""The HTTP comparison: the generated service against the three reference apps in `apps/`.

Throughput and latency come from interleaved wrk runs (every app once per round, a fresh server
each time); round trips from a counting proxy (`pg_proxy.py`) under one sequential client; the
JSON of the four apps is compared before anything is timed.
"""

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pg_proxy import RoundTripCounter
from serving import App, Client, drive, served, sessions, wait_for_disconnects

PAGE = 50
SCENARIOS = {"one": "GET one order with its customer", "list": f"list page of {PAGE} with customers, random offset"}


@dataclass(frozen=True)
class Data:
    """The loaded database: its name and the orders' id range and count."""

    database: str
    low: int
    high: int
    count: int

    def lua_env(self, scenario: str) -> dict[str, str]:
        return {
            "BENCH_MODE": scenario,
            "BENCH_ID_MIN": str(self.low),
            "BENCH_ID_MAX": str(self.high),
            "BENCH_LIMIT": str(PAGE),
            "BENCH_OFFSET_MAX": str(self.count - PAGE),
        }

    def paths(self, scenario: str, n: int) -> list[str]:
        """`n` paths spread over the table, the same for every app (no randomness needed)."""
        if scenario == "one":
            return [f"/orders/{self.low + (i * 7919) % (self.high - self.low + 1)}" for i in range(n)]
        return [f"/orders?limit={PAGE}&offset={(i * 7919) % (self.count - PAGE + 1)}" for i in range(n)]

    @property
    def ready_path(self) -> str:
        return f"/orders/{self.low}"


@dataclass(frozen=True)
class Sample:
    rate: float
    p50_ms: float
    p99_ms: float
    cpu_us: float
    connections: int
    errors: int


def timed_run(app: App, python: Path, data: Data, scenario: str, seconds: int, warmup: int, connections: int,
              log: Path) -> Sample:  # fmt: skip
    """One fresh server: a warm-up, then the timed wrk run with the server's CPU time around it.
    `connections` counts PostgreSQL connections opened over the server's whole life."""
    wait_for_disconnects(data.database)  # every earlier backend has counted itself
    opened_before = sessions(data.database)
    lua_env = data.lua_env(scenario)
    with served(app, python, app.database_env(data.database), data.ready_path, log) as server:
        drive(server, lua_env, warmup, connections)
        cpu_before = server.cpu_seconds()
        load = drive(server, lua_env, seconds, connections)
        cpu = server.cpu_seconds() - cpu_before
    wait_for_disconnects(data.database)
    return Sample(
        rate=load.rate,
        p50_ms=load.p50_ms,
        p99_ms=load.p99_ms,
        cpu_us=cpu / max(load.requests, 1) * 1e6,
        connections=sessions(data.database) - opened_before,
        errors=load.errors,
    )


def interleaved(apps: list[App], python: Path, data: Data, *, rounds: int, seconds: int, warmup: int,
                connections: int, logs: Path) -> dict[tuple[str, str], list[Sample]]:  # fmt: skip
    """Rounds of A, B, C for each scenario; the samples of each (scenario, app)."""
    samples: dict[tuple[str, str], list[Sample]] = {}
    for number in range(1, rounds + 1):
        for scenario in SCENARIOS:
            for app in apps:
                sample = timed_run(app, python, data, scenario, seconds, warmup, connections,
                                   logs / f"{app.name}-{scenario}-{number}.log")  # fmt: skip
                samples.setdefault((scenario, app.name), []).append(sample)
                print(
                    f"  round {number}/{rounds} {scenario:4} {app.name:9} {sample.rate:8.0f} req/s  "
                    f"p50 {sample.p50_ms:7.1f} ms  p99 {sample.p99_ms:7.1f} ms  {sample.cpu_us:6.0f} µs CPU/req"
                    + (f"  {sample.errors} ERRORS" if sample.errors else ""),
                    flush=True,
                )
    return samples


def _differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        keys = f"{where or 'body'}: keys {list(actual)} where the generated service has {list(expected)}"
        found = [] if list(expected) == list(actual) else [keys]
        return found + [
            difference
            for key in expected.keys() & actual.keys()
            for difference in _differences(expected[key], actual[key], f"{where}.{key}")
        ]
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in _differences(e, a, f"{where}[{i}]")
        ]
    return [] if expected == actual else [f"{where}: {actual!r} where the generated service has {expected!r}"]


Figures = dict[tuple[str, str], float]


def _count(app: App, client: Client, proxy: RoundTripCounter, paths: list[str]) -> float:
    """Round trips per request over `paths`, after ten of them as a warm-up."""
    for path in paths[:10]:
        client.get(path)
    proxy.reset()
    statuses = {client.get(path)[0] for path in paths}
    if statuses != {200}:
        raise RuntimeError(f"{app.name} answered {sorted(statuses)} to {paths[0]} and the like")
    if proxy.unreadable:
        raise RuntimeError("the connection to PostgreSQL is encrypted: round trips cannot be counted")
    if proxy.connections:
        print(f"  note: {app.name} opened {proxy.connections} connection(s) meanwhile; their start-up is counted")
    return proxy.round_trips / len(paths)


def round_trips(apps: list[App], python: Path, data: Data, requests: int, logs: Path) -> tuple[Figures, list[str]]:
    """Round trips per request of each (scenario, app) through the counting proxy, one sequential
    client on a warm server; and how each app's JSON differs from the generated service's (the
    last app) on the same requests."""
    figures: Figures = {}
    bodies: dict[str, list[Any]] = {}
    with RoundTripCounter() as proxy:
        for app in apps:
            env = app.database_env(data.database, proxy.port)
            with served(app, python, env, data.ready_path, logs / f"{app.name}-round-trips.log") as server:
                client = Client(server)
                try:
                    bodies[app.name] = [client.get(path)[1] for path in (*data.paths("one", 3), *data.paths("list", 3))]
                    for scenario in SCENARIOS:
                        figures[scenario, app.name] = _count(app, client, proxy, data.paths(scenario, requests))
                finally:
                    client.close()
    # The reference apps page by offset only: the generated page's `next` cursor is not compared.
    reference = [{k: v for k, v in body.items() if k != "next"} for body in bodies[apps[-1].name]]
    problems = [
        f"{app.name} {difference}"
        for app in apps[:-1]
        for expected, actual in zip(reference, bodies[app.name], strict=True)
        for difference in _differences(expected, actual)
    ]
    return figures, problems


Medians = dict[tuple[str, str], dict[str, float]]


def medians(samples: dict[tuple[str, str], list[Sample]]) -> Medians:
    """The median of each figure over the rounds, per (scenario, app); errors are added up."""
    return {
        key: {
            **{name: statistics.median(getattr(run, name) for run in runs) for name in Sample.__annotations__},
            "errors": sum(run.errors for run in runs),
        }
        for key, runs in samples.items()
    }


def table(apps: list[App], figures: Medians, trips: Figures) -> list[str]:
    """The medians as Markdown, then the ratios."""
    lines = [
        "| request | app | req/s | p50 ms | p99 ms | p99/p50 | server CPU µs/req | PG round trips/req "
        "| PG connections opened |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario, label in SCENARIOS.items():
        for app in apps:
            median = figures[scenario, app.name]
            lines.append(
                f"| {label} | {app.name} | {median['rate']:,.0f} | {median['p50_ms']:.1f} | {median['p99_ms']:.1f} "
                f"| {median['p99_ms'] / median['p50_ms']:.1f} | {median['cpu_us']:,.0f} "
                f"| {trips.get((scenario, app.name), float('nan')):.1f} | {median['connections']:.0f} |"
            )
    lines += [
        "",
        "| request | generated ÷ raw | generated ÷ floor | generated ÷ ORM | server CPU/req, generated ÷ floor |",
        "|---|---:|---:|---:|---:|",
    ]
    for scenario, label in SCENARIOS.items():
        generated = figures[scenario, "generated"]
        lines.append(
            f"| {label} | {generated['rate'] / figures[scenario, 'raw']['rate']:.2f} "
            f"| {generated['rate'] / figures[scenario, 'floor']['rate']:.2f} "
            f"| {generated['rate'] / figures[scenario, 'ORM']['rate']:.2f} "
            f"| {generated['cpu_us'] / figures[scenario, 'floor']['cpu_us']:.1f}x |"
        )
    errors = sum(median["errors"] for median in figures.values())
    if errors:
        lines += ["", "WARNING: requests failed (non-2xx or socket errors); see the rounds above."]
    return lines
