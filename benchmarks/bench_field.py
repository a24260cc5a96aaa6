"""Prints the median wall time of each command that changes a domain, as a user runs it, in its
own process: `field add` (optional, required with --default, a reference, --dry-run), `field
remove` and `remove`.

    uv run python benchmarks/bench_field.py [--runs N]

Each run of a command works on its own copy of one service generated with `copier copy` from a
committed snapshot of this template, with customers and order_items added and committed, then a
hand edit left uncommitted (the commands re-render through `copier update` in a snapshot of the
working tree, so their time includes Copier's three renders and its git work).
"""

import shutil
import sys
import time
from pathlib import Path

from bench import summary
from template_snapshot import copy_service, run, workspace

DOMAINS = (
    ("customers", "--field", "name:str", "--field", "email:str:unique"),
    ("order_items", "--field", "customer_id:ref:customers", "--field", "title:str", "--field", "note:text:optional"),
)
COMMANDS = {
    "field add (optional)": ("field", "add", "customers", "phone:str:optional"),
    "field add (required, --default)": ("field", "add", "customers", "tier:int", "--default", "1"),
    "field add (reference)": ("field", "add", "order_items", "coupon_id:ref:customers:optional"),
    "field add --dry-run": ("field", "add", "customers", "phone:str:optional", "--dry-run"),
    "field remove": ("field", "remove", "order_items", "note", "--yes"),
    "remove (a domain)": ("remove", "order_items", "--yes"),
}


def cli(*args: str, cwd: Path, env: dict[str, str]) -> None:
    run(sys.executable, "-m", "fastapi_domains.cli", *args, cwd=cwd, env=env)


def command_times(service: Path, root: Path, env: dict[str, str], args: tuple[str, ...], runs: int) -> list[float]:
    """Wall times of one command, each run on its own copy of `service`."""
    times = []
    for _ in range(runs):
        copy = Path(shutil.copytree(service, root / "copy", symlinks=True))
        start = time.perf_counter()
        cli(*args, cwd=copy, env=env)
        times.append(time.perf_counter() - start)
        shutil.rmtree(copy)
    return times


def main() -> None:
    with workspace(__doc__.splitlines()[0]) as (runs, root, env, template):
        service = root / "service"
        copy_service(template, service, env, "example_domain=false")
        for domain in DOMAINS:
            cli("domain", *domain, "--no-input", cwd=service, env=env)
        run("git", "add", "-A", cwd=service, env=env)
        run("git", "commit", "-qm", "Two domains", cwd=service, env=env)
        with (service / "src" / "customers" / "service.py").open("a") as edited:
            edited.write("# A hand edit, not committed.\n")
        for label, args in COMMANDS.items():
            print(summary(f"fastapi-domains {label}", command_times(service, root, env, args, runs)), flush=True)


if __name__ == "__main__":
    main()
