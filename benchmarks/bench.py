"""Prints the median wall time of `copier copy` with default answers (hooks included) and of
the fresh service's own test suite.

    uv run python benchmarks/bench.py [--runs N]

Targets on the 2-core reference machine: copy under 1.5 s, suite under 10 s. The service's
dependencies are installed once into a throwaway virtual environment with uv.
"""

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from template_snapshot import copy_service, run, service_venv, workspace


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def summary(label: str, times: list[float]) -> str:
    return (
        f"{label}: median {statistics.median(times):.2f} s over {len(times)} runs "
        f"(min {min(times):.2f}, max {max(times):.2f})"
    )


def copy_times(template: Path, root: Path, env: dict[str, str], runs: int) -> list[float]:
    """Wall times of `copier copy` with default answers into `root/service-<n>`."""
    return [timed(lambda n=n: copy_service(template, root / f"service-{n}", env)) for n in range(runs)]


def suite_times(python: Path, service: Path, env: dict[str, str], runs: int) -> list[float]:
    """Wall times of the service's own test suite (SQLite for a default copy)."""
    suite = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    return [timed(lambda: run(*suite, cwd=service, env=env)) for _ in range(runs)]


def main() -> None:
    with workspace(__doc__.splitlines()[0]) as (runs, root, env, template):
        print(summary("copier copy (default answers, hooks included)", copy_times(template, root, env, runs)))
        python = service_venv(root / "service-0", root / "venv")
        print(summary("fresh service test suite (SQLite)", suite_times(python, root / "service-0", env, runs)))


if __name__ == "__main__":
    main()
