"""Prints how fast the `fastapi-domains` command answers, as a user runs it: each command in a new
process, its median wall time over `--runs` runs (and its CPU time, which other load on the machine
does not inflate), next to the target of the issue "A CLI as quick as the developer using it",
with the machine's load average beside each row.

    uv run python benchmarks/bench_cli.py [--runs 5] [--check] [--only rename]

Every run starts from its own copy of a service generated with `copier copy` from a committed
snapshot of this working tree, with customers and order_items added and committed and a hand edit
left uncommitted (a field change merges it); the no-op update runs on a service with five domains,
all at the template's commit. `--check` also times `fastapi-domains check` there (it installs the
service's dependencies first, with uv).
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from template_snapshot import copy_service, run, scratch

# Five fields of every kind of column: the `domain` row adds them (speed.py times it too).
FIELDS = ("name:str:unique", "price:decimal", "stock:int", "released_at:datetime:optional", "notes:text:optional")
FIELD_ARGS = tuple(part for field in FIELDS for part in ("--field", field))
DOMAINS = (
    ("customers", "--field", "name:str", "--field", "email:str:unique"),
    ("order_items", "--field", "customer_id:ref:customers", "--field", "title:str", "--field", "note:text:optional"),
)
# Three more for the no-op update's service, which has the example domain too: five in all.
MORE_DOMAINS = (
    ("products", *FIELD_ARGS),
    ("reviews", "--field", "product_id:ref:products", "--field", "body:text", "--field", "stars:int"),
    ("tags", "--field", "label:str:unique"),
)


@dataclass(frozen=True)
class Row:
    label: str
    target: float  # seconds
    args: tuple[str, ...]
    service: str  # which service each run copies ("" for `new`, which makes its own)
    changes: bool = True  # whether each run needs its own copy
    exit_code: int | None = 0  # what the command must exit with (None: any, `check` reports)


@dataclass(frozen=True)
class Figures:
    wall: list[float]
    cpu: list[float]
    load: float


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each command (default 5)")
    parser.add_argument("--check", action="store_true", help="also time `check` (installs the service's dependencies)")
    parser.add_argument("--only", default="", metavar="TEXT", help="time only the commands whose label holds TEXT")
    args = parser.parse_args()
    if not 1 <= args.runs <= 100:
        parser.error("--runs must be between 1 and 100")
    return args


def cli(*args: str | Path, cwd: Path, env: dict[str, str], exit_code: int | None = 0) -> tuple[float, float]:
    """One run of the command in its own process: its wall and CPU time (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "fastapi_domains.cli", *map(str, args)], cwd=cwd, env=env,
                            capture_output=True, text=True, check=False)  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if exit_code is not None and result.returncode != exit_code:
        command = " ".join(map(str, args))
        raise RuntimeError(
            f"fastapi-domains {command} exited with {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def domain_add_times(service: Path, root: Path, env: dict[str, str], runs: int) -> list[float]:
    """Wall times of adding the five-field domain, each to its own copy of `service` (speed.py)."""
    copies = [Path(shutil.copytree(service, root / f"domain-add-{n}", symlinks=True)) for n in range(runs)]
    return [cli("domain", "products", *FIELD_ARGS, "--no-input", cwd=copy, env=env)[0] for copy in copies]


def services(root: Path, env: dict[str, str], template: Path) -> dict[str, Path]:
    """The services the rows start from: `shop` (two domains and an uncommitted hand edit) and
    `five` (five domains, committed)."""
    shop, five = root / "shop", root / "five"
    copy_service(template, shop, env, "example_domain=false")
    copy_service(template, five, env)
    for domain in DOMAINS:
        cli("domain", *domain, "--no-input", cwd=shop, env=env)
    for domain in (*DOMAINS, *MORE_DOMAINS):
        cli("domain", *domain, "--no-input", cwd=five, env=env)
    for service in (shop, five):
        run("git", "add", "-A", cwd=service, env=env)
        run("git", "commit", "-qm", "Domains", cwd=service, env=env)
    with (shop / "src" / "customers" / "service.py").open("a") as edited:
        edited.write("# A hand edit, not committed.\n")
    return {"shop": shop, "five": five}


def rows(template: Path, root: Path, with_check: bool) -> list[Row]:
    new = ("new", root / "new-{n}", "--defaults", "--data", "project_name=Shop", "--template", template)
    return [
        Row("`domain reviews --field body:txt` (a typo, refused)", 0.5, ("domain", "reviews", "--field", "body:txt"),
            "shop", changes=False, exit_code=1),
        Row("`domain products` with five fields", 1.0, ("domain", "products", *FIELD_ARGS, "--no-input"), "shop"),
        Row("`field add customers phone:str:optional`", 2.5, ("field", "add", "customers", "phone:str:optional"),
            "shop"),
        Row("`field add customers tier:int --default 1`", 2.5,
            ("field", "add", "customers", "tier:int", "--default", "1"), "shop"),
        Row("`field remove order_items note`", 2.5, ("field", "remove", "order_items", "note", "--yes"), "shop"),
        Row("`field rename customers name full_name`", 2.5, ("field", "rename", "customers", "name", "full_name"),
            "shop"),
        Row("`field rename order_items customer_id buyer_id`", 2.5,
            ("field", "rename", "order_items", "customer_id", "buyer_id"), "shop"),
        Row("`field change order_items note:text --default none`", 2.5,
            ("field", "change", "order_items", "note:text", "--default", "none"), "shop"),
        Row("`field change customers name:str:unique`", 2.5, ("field", "change", "customers", "name:str:unique"),
            "shop"),
        Row("`field rename customers name email` (a taken name, refused)", 0.5,
            ("field", "rename", "customers", "name", "email"), "shop", changes=False, exit_code=1),
        # The hand edit ends service.py, whose last line the rename changes: it stops at that conflict.
        Row("`rename customers clients` (order_items reference it)", 2.5,
            ("rename", "customers", "clients", "--yes"), "shop", exit_code=None),
        Row("`rename customers order_items` (a taken name, refused)", 0.5,
            ("rename", "customers", "order_items", "--yes"), "shop", changes=False, exit_code=1),
        Row("`remove order_items`", 1.0, ("remove", "order_items", "--yes"), "shop"),
        Row("no-op `update` (project + 5 domains)", 5.0, ("update",), "five", changes=False),
        Row("`new` (default answers)", 2.0, tuple(map(str, new)), ""),
        *([Row("`check` (5 domains)", float("nan"), ("check",), "five", changes=False, exit_code=None)]
          if with_check else []),
    ]  # fmt: skip


def measure(row: Row, bases: dict[str, Path], root: Path, env: dict[str, str], runs: int) -> Figures:
    load = os.getloadavg()[0]
    walls, cpus = [], []
    for n in range(runs):
        args = tuple(arg.replace("{n}", str(n)) for arg in row.args)
        base = bases.get(row.service, root)
        cwd = Path(shutil.copytree(base, root / f"run-{n}", symlinks=True)) if row.service and row.changes else base
        wall, cpu = cli(*args, cwd=cwd, env=env, exit_code=row.exit_code)
        walls.append(wall)
        cpus.append(cpu)
        if cwd != base:
            shutil.rmtree(cwd)
    return Figures(walls, cpus, load)


def table(results: list[tuple[Row, Figures]]) -> list[str]:
    lines = [
        "| command | target | median | min | max | CPU (median) | load average | met |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row, figures in results:
        median = statistics.median(figures.wall)
        target = f"≤ {row.target:.1f} s" if row.target == row.target else "—"
        met = ("yes" if median <= row.target else "NO") if row.target == row.target else "—"
        lines.append(
            f"| {row.label} | {target} | {median:.2f} s | {min(figures.wall):.2f} | {max(figures.wall):.2f} | "
            f"{statistics.median(figures.cpu):.2f} s | {figures.load:.1f} | {met} |"
        )
    return lines


def main() -> None:
    args = arguments()
    with scratch() as (root, env, template):
        print(f"{os.cpu_count()} CPUs, load average {' / '.join(f'{load:.1f}' for load in os.getloadavg())}")
        print("Generating the services ...", flush=True)
        bases = services(root, env, template)
        if args.check:
            run("uv", "sync", "-q", cwd=bases["five"], env=env)
        results: list[tuple[Row, Figures]] = []
        for row in (row for row in rows(template, root, args.check) if args.only in row.label):
            figures = measure(row, bases, root, env, args.runs)
            results.append((row, figures))
            print(f"  {row.label}: median {statistics.median(figures.wall):.2f} s", flush=True)
    print(f"\nMedians of {args.runs} runs, each command in a new process:\n")
    print("\n".join(table(results)))


if __name__ == "__main__":
    main()
