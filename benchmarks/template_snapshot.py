"""What the benchmarks start from: a scratch git identity, this template's working tree committed
to a repository of its own (as the tests do), services copied from it and a virtual environment
holding a service's dependencies."""

import argparse
import compileall
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IDENTITY = {
    "GIT_AUTHOR_NAME": "Benchmark",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Benchmark",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> None:
    result = subprocess.run([str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        command = " ".join(str(arg) for arg in args)
        raise RuntimeError(f"{command} failed in {cwd}:\n{result.stdout}\n{result.stderr}")


def git_env(root: Path) -> dict[str, str]:
    """The environment with our own identity and an empty global git config under `root`."""
    gitconfig = root / "gitconfig"
    gitconfig.write_text("")
    return {**os.environ, **IDENTITY, "GIT_CONFIG_GLOBAL": str(gitconfig)}


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


def copy_service(template: Path, destination: Path, env: dict[str, str], *answers: str) -> None:
    """`copier copy` with default answers, as the README has a user type it; `answers` are more
    `NAME=VALUE` answers (`database=postgresql`)."""
    data = [part for answer in ("project_name=Acme Shop", *answers) for part in ("--data", answer)]
    run(sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--vcs-ref", "HEAD", *data,
        template, destination, cwd=destination.parent, env=env)  # fmt: skip


def service_venv(service: Path, destination: Path) -> Path:
    """A virtual environment with the service's dependencies and dev tools, installed by uv with
    their bytecode; returns its python."""
    pyproject = tomllib.loads((service / "pyproject.toml").read_text())
    uv = shutil.which("uv") or "uv"
    run(uv, "venv", "-q", "--python", sys.executable, destination, cwd=destination.parent)
    python = destination / "bin" / "python"
    requirements = [*pyproject["project"]["dependencies"], *pyproject["dependency-groups"]["dev"]]
    run(uv, "pip", "install", "-q", "--compile-bytecode", "--python", python, *requirements, cwd=destination.parent)
    return python


def compile_bytecode() -> None:
    """Compile the running environment's packages, as pip does when it installs them: uv does
    not by default, and where PYTHONDONTWRITEBYTECODE is set every process would compile its
    imports anew, which is not what a user's installation does."""
    compileall.compile_dir(sysconfig.get_paths()["purelib"], quiet=1, workers=0)


@contextmanager
def scratch() -> Iterator[tuple[Path, dict[str, str], Path]]:
    """A scratch folder, the git environment there and the template snapshot; the running
    environment's packages are compiled first. The folder is removed afterwards."""
    compile_bytecode()
    # The services run as on a developer's machine (`.env.example`'s ENVIRONMENT=local): unset
    # means production, which refuses their development databases.
    os.environ["ENVIRONMENT"] = "local"
    with tempfile.TemporaryDirectory(prefix="fastapi-domains-bench-") as folder:
        root = Path(folder)
        env = git_env(root)
        (root / "template").mkdir()
        yield root, env, snapshot(root / "template", env)


@contextmanager
def workspace(description: str) -> Iterator[tuple[int, Path, dict[str, str], Path]]:
    """What a generation benchmark runs in: its `--runs` and the `scratch()` above."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with scratch() as (root, env, template):
        yield runs, root, env, template
