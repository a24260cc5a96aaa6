"""Prints the median wall time of `copier copy` with default answers (hooks included) and of
the fresh service's own test suite.

    uv run python benchmarks/bench.py [--runs N]

Targets on the 2-core reference machine: copy under 1.5 s, suite under 10 s. The service's
dependencies are installed once into a throwaway virtual environment with uv.
"""

import shutil
import statistics
import sys
import time
import tomllib
from collections.abc import Callable

from template_snapshot import copy_service, run, workspace


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    with workspace(__doc__.splitlines()[0]) as (runs, root, env, template):

        def copy(n: int) -> None:
            copy_service(template, root / f"service-{n}", env)

        copies = [timed(lambda n=n: copy(n)) for n in range(runs)]
        print(
            f"copier copy (default answers, hooks included): median {statistics.median(copies):.2f} s "
            f"over {runs} runs (min {min(copies):.2f}, max {max(copies):.2f})"
        )

        service = root / "service-0"
        pyproject = tomllib.loads((service / "pyproject.toml").read_text())
        venv = root / "venv"
        uv = shutil.which("uv") or "uv"
        run(uv, "venv", "-q", "--python", sys.executable, venv, cwd=root)
        run(
            uv,
            "pip",
            "install",
            "-q",
            "--compile-bytecode",
            "--python",
            venv / "bin" / "python",
            *pyproject["project"]["dependencies"],
            *pyproject["dependency-groups"]["dev"],
            cwd=root,
        )
        python = venv / "bin" / "python"
        suite = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        suites = [timed(lambda: run(*suite, cwd=service, env=env)) for _ in range(runs)]
        print(
            f"fresh service test suite (SQLite): median {statistics.median(suites):.2f} s "
            f"over {runs} runs (min {min(suites):.2f}, max {max(suites):.2f})"
        )


if __name__ == "__main__":
    main()
