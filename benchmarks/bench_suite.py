"""Prints how a generated service's own test suite grows with its domains, measured in one run.

    uv run python benchmarks/bench_suite.py [--runs N]

The table: the fresh SQLite service's suite; the same service with 1, 3 and 5 more two-field
domains (`name:str`, `email:email:unique`); a fresh PostgreSQL service with auth; and the lines
one two-field domain adds (`customers name:str email:email:unique`, `git diff --numstat` of its
commit) and one with four fields and two references (`order_items`). Each suite time is the
median wall time of `--runs` runs, with the CPU seconds (user + system) it took beside it: on a
busy machine, CPU time is the steadier figure.

Targets on the 2-core reference machine (issue "Lean generated services"): fresh SQLite under
10 s, each further two-field domain at most 2 s, PostgreSQL with auth under 25 s, five domains at
most 1.6 times the fresh suite; a two-field domain at most 450 lines, the four-field one 600.

Suites run as a developer runs them: pytest's own cache of rewritten test modules is written (the
bytecode of installed packages is compiled once, as uv does with UV_COMPILE_BYTECODE), and the
first, cold run of each service is not counted.
"""

import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from template_snapshot import copy_service, run, service_venv, workspace

DOMAIN_FIELDS = ("name:str", "email:email:unique")
ORDER_ITEM_FIELDS = ("title:str", "quantity:int", "customer_id:ref:customers", "item_id:ref:items")
PG_SERVER = os.environ.get("FASTAPI_DOMAINS_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")


def add_domain(service: Path, env: dict[str, str], name: str, fields: tuple[str, ...]) -> int:
    """Add a domain with the CLI, commit it, and return the lines its commit adds."""
    field_args = [part for field in fields for part in ("--field", field)]
    run(sys.executable, "-m", "fastapi_domains.cli", "domain", name, *field_args, "--no-input", cwd=service, env=env)
    run("git", "add", "-A", cwd=service, env=env)
    run("git", "commit", "-qm", f"Add {name}", cwd=service, env=env)
    numstat = subprocess.run(
        ["git", "diff", "--numstat", "HEAD~1"], cwd=service, env=env, capture_output=True, text=True, check=True
    ).stdout
    return sum(int(line.split()[0]) for line in numstat.splitlines())


def suite(python: Path, service: Path, env: dict[str, str], runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of the service's suite (after one cold run that is not counted)."""
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    environment = {key: value for key, value in env.items() if key != "PYTHONDONTWRITEBYTECODE"}
    walls, cpus = [], []
    for attempt in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(command, cwd=service, env=environment, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            raise RuntimeError(f"the suite of {service} failed:\n{result.stdout[-4000:]}")
        if attempt:
            walls.append(wall)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def row(label: str, figures: tuple[float, float], fresh: float | None = None) -> str:
    wall, cpu = figures
    ratio = f"{wall / fresh:5.2f}x" if fresh else "      "
    return f"| {label:<44} | {wall:7.2f} s | {cpu:7.2f} s | {ratio} |"


def postgres_service(template: Path, root: Path, env: dict[str, str], python: Path, runs: int) -> tuple[float, float]:
    name = f"bench_suite_{os.getpid()}"
    service = root / "pg"
    copy_service(template, service, env, "database=postgresql", "auth=jwt", f"project_slug={name}")
    test_url = f"{PG_SERVER}/{name}_test"
    return suite(python, service, {**env, "TEST_DATABASE_URL": test_url}, runs)


def main() -> None:
    with workspace(__doc__.splitlines()[0]) as (runs, root, env, template):
        service = root / "sqlite"
        copy_service(template, service, env)
        # One environment with every dependency a service can have (PostgreSQL's driver, auth).
        probe = root / "probe"
        copy_service(template, probe, env, "database=postgresql", "auth=jwt")
        python = service_venv(probe, root / "venv")
        lines = {}
        figures = {"fresh": suite(python, service, env, runs)}
        added = 0
        for target in (1, 3, 5):
            while added < target:
                added += 1
                lines[f"domain{added}"] = add_domain(service, env, f"customers{added}", DOMAIN_FIELDS)
            figures[target] = suite(python, service, env, runs)
        orders = root / "orders"
        shutil.copytree(service, orders, symlinks=True)
        lines["customers"] = add_domain(orders, env, "customers", DOMAIN_FIELDS)
        lines["order_items"] = add_domain(orders, env, "order_items", ORDER_ITEM_FIELDS)
        figures["postgresql"] = postgres_service(template, root, env, python, runs)

        fresh = figures["fresh"][0]
        print(f"Suite times, median of {runs} runs (wall, CPU), {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}:")
        print("| service                                      |      wall |       CPU | ÷ fresh |")
        print("|----------------------------------------------|-----------|-----------|---------|")
        print(row("fresh SQLite (example domain)", figures["fresh"]))
        for count in (1, 3, 5):
            print(row(f"+{count} two-field domain{'s' if count > 1 else ''}", figures[count], fresh))
        print(row("fresh PostgreSQL + auth", figures["postgresql"]))
        per_domain = (figures[5][0] - fresh) / 5
        print(f"Each further two-field domain: {per_domain:.2f} s (target at most 2 s).")
        print(f"Lines a domain adds: customers (2 fields) {lines['customers']}, order_items (4 fields, 2 references) "
              f"{lines['order_items']} (targets 450 and 600).")  # fmt: skip


if __name__ == "__main__":
    main()
