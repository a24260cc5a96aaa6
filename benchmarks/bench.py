"""Prints the median wall time of `copier copy` with default answers (hooks included) and of
the fresh service's own test suite.

    uv run python benchmarks/bench.py [--runs N]

Targets on the 2-core reference machine: copy under 1.5 s, suite under 10 s. The service's
dependencies are installed once into a throwaway virtual environment with uv.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IDENTITY = {
    "GIT_AUTHOR_NAME": "Benchmark",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Benchmark",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(arg) for arg in args], cwd=cwd, env=env, check=True, capture_output=True)


def snapshot(destination: Path, env: dict[str, str]) -> Path:
    """This template's working tree as a committed git repository."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in filter(None, listing.split("\0")):
        if (REPO / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, destination / name)
    run("git", "-c", "init.defaultBranch=main", "init", "-q", cwd=destination, env=env)
    run("git", "add", "-A", cwd=destination, env=env)
    run("git", "commit", "-qm", "snapshot", cwd=destination, env=env)
    return destination


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        gitconfig = root / "gitconfig"
        gitconfig.write_text("")
        env = {**os.environ, **IDENTITY, "GIT_CONFIG_GLOBAL": str(gitconfig)}
        (root / "template").mkdir()
        template = snapshot(root / "template", env)

        def copy(n: int) -> Path:
            destination = root / f"service-{n}"
            run(
                sys.executable,
                "-m",
                "copier",
                "copy",
                "--trust",
                "--defaults",
                "--vcs-ref",
                "HEAD",
                "--data",
                "project_name=Acme Shop",
                template,
                destination,
                cwd=root,
                env=env,
            )
            return destination

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
            "--python",
            venv / "bin" / "python",
            *pyproject["project"]["dependencies"],
            *pyproject["dependency-groups"]["dev"],
            cwd=root,
        )
        suites = [
            timed(
                lambda: run(
                    venv / "bin" / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=service, env=env
                )
            )
            for _ in range(runs)
        ]
        print(
            f"fresh service test suite (SQLite): median {statistics.median(suites):.2f} s "
            f"over {runs} runs (min {min(suites):.2f}, max {max(suites):.2f})"
        )


if __name__ == "__main__":
    main()
