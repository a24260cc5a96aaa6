"""Prints the median wall time of adding a domain with five fields to a fresh service, as a
user runs it: `fastapi-domains domain products --field ... --no-input` in its own process.

    uv run python benchmarks/bench_domain.py [--runs N]

Target on the 2-core reference machine: under 1.0 s. Each run adds the domain to its own copy
of one service generated with `copier copy` from a committed snapshot of this template.
"""

import shutil
import sys
import time
from pathlib import Path

from bench import summary
from template_snapshot import copy_service, run, workspace

FIELDS = ("name:str:unique", "price:decimal", "stock:int", "released_at:datetime:optional", "notes:text:optional")


def domain_add_times(service: Path, root: Path, env: dict[str, str], runs: int) -> list[float]:
    """Wall times of adding the five-field domain, each to its own copy of `service`."""
    field_args = [part for field in FIELDS for part in ("--field", field)]
    times = []
    for n in range(runs):
        copy = Path(shutil.copytree(service, root / f"domain-add-{n}", symlinks=True))
        start = time.perf_counter()
        run(sys.executable, "-m", "fastapi_domains.cli", "domain", "products", *field_args, "--no-input",
            cwd=copy, env=env)  # fmt: skip
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    with workspace(__doc__.splitlines()[0]) as (runs, root, env, template):
        service = root / "service"
        copy_service(template, service, env)
        print(summary("fastapi-domains domain (five fields)", domain_add_times(service, root, env, runs)))


if __name__ == "__main__":
    main()
