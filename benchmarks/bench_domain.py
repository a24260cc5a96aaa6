"""Prints the median wall time of adding a domain with five fields to a fresh service, as a
user runs it: `fastapi-domains domain products --field ... --no-input` in its own process.

    uv run python benchmarks/bench_domain.py [--runs N]

Target on the 2-core reference machine: under 1.5 s. Each run adds the domain to its own copy
of one service generated with `copier copy` from a committed snapshot of this template.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IDENTITY = {
    "GIT_AUTHOR_NAME": "Benchmark",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Benchmark",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}
FIELDS = ("name:str:unique", "price:decimal", "stock:int", "released_at:datetime:optional", "notes:text:optional")


def run(*args: str | Path, cwd: Path, env: dict[str, str]) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        gitconfig = root / "gitconfig"
        gitconfig.write_text("")
        env = {**os.environ, **IDENTITY, "GIT_CONFIG_GLOBAL": str(gitconfig)}
        template = snapshot(root / "template", env)
        service = root / "service"
        run(sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--vcs-ref", "HEAD",
            "--data", "project_name=Acme Shop", template, service, cwd=root, env=env)  # fmt: skip
        field_args = [part for field in FIELDS for part in ("--field", field)]
        times = []
        for n in range(runs):
            copy = Path(shutil.copytree(service, root / f"service-{n}", symlinks=True))
            start = time.perf_counter()
            run(sys.executable, "-m", "fastapi_domains.cli", "domain", "products", *field_args, "--no-input",
                cwd=copy, env=env)  # fmt: skip
            times.append(time.perf_counter() - start)
        print(
            f"fastapi-domains domain (five fields): median {statistics.median(times):.2f} s "
            f"over {runs} runs (min {min(times):.2f}, max {max(times):.2f})"
        )


if __name__ == "__main__":
    main()
