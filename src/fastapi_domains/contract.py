"""The service's committed API contract, `openapi.json`, as the CLI writes and checks it.

The document comes from the service's own code (`python -m src.web.contract`), run without a
server in the service's environment (`uv run --no-sync`), or, before `uv sync` made one, in an
environment uv builds from the service's declared dependencies and keeps in its own cache: the
service's folder gets nothing but `openapi.json`.
"""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from fastapi_domains.errors import CliError

FILE = "openapi.json"
MODULE = "src.web.contract"
TIMEOUT = 300
INSTALL_UV = "install it (`pip install uv`, or see https://docs.astral.sh/uv/)"


def project_environment(root: Path) -> Path:
    """The virtual environment `uv run` uses for the service (uv's own rule)."""
    configured = os.environ.get("UV_PROJECT_ENVIRONMENT")
    return root / configured if configured else root / ".venv"


def python_command(root: Path) -> list[str]:
    """How to run the service's Python: in its environment, or in one uv makes from its dependencies."""
    uv = shutil.which("uv")
    if uv is None:
        raise CliError(f"uv is not installed: {INSTALL_UV}")
    if (project_environment(root) / "pyvenv.cfg").is_file():
        return [uv, "run", "--project", str(root), "--no-sync", "python"]
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
        dependencies = [str(dependency) for dependency in project.get("dependencies", [])]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CliError(f"cannot read the dependencies in {root / 'pyproject.toml'}: {error}") from error
    python = installed_python(uv, str(project.get("requires-python") or ""))
    withs = [part for dependency in dependencies for part in ("--with", dependency)]
    return [uv, "run", "--quiet", "--no-project", "--isolated", *python, *withs, "python"]


def installed_python(uv: str, requires: str) -> list[str]:
    """`--python REQUIRES` when an installed interpreter satisfies it; else none (uv's default one,
    rather than a download: the document is the same on every supported Python)."""
    if not requires:
        return []
    found = subprocess.run(  # noqa: S603 - uv itself
        [uv, "python", "find", "--no-python-downloads", requires], capture_output=True, text=True, check=False
    )
    return ["--python", requires] if found.returncode == 0 else []


def run_module(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m src.web.contract ARGS` in the service, as a test run sees it (never `.env`'s mode)."""
    if not (root / "src" / "web" / "contract.py").is_file():
        raise CliError(
            f"{root} has no src/web/contract.py: update the service to a newer template first "
            "(`fastapi-domains update`)"
        )
    environment = {**os.environ, "ENVIRONMENT": "testing", "PYTHONDONTWRITEBYTECODE": "1"}
    command = [*python_command(root), "-m", MODULE, *args]
    try:
        return subprocess.run(  # noqa: S603 - uv with the service's own module
            command, cwd=root, env=environment, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise CliError(f"building the OpenAPI document took longer than {TIMEOUT} s") from error


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in (result.stderr + result.stdout).splitlines() if line.strip()]
    return lines[-1] if lines else f"exit {result.returncode}"


def write(root: Path) -> None:
    """Write `openapi.json` from the service's code, or a CliError saying why it could not."""
    result = run_module(root)
    if result.returncode != 0:
        raise CliError(f"the service's OpenAPI document could not be built: {last_line(result)}")


def drift(root: Path) -> str | None:
    """None when `openapi.json` is the code's document, else the service's one line saying where not."""
    result = run_module(root, "--check")
    if result.returncode == 0:
        return None
    return last_line(result)


def rewrite(root: Path) -> str | None:
    """After a change to the service: rewrite `openapi.json`; None, or why it could not be."""
    if not (root / "src" / "web" / "contract.py").is_file():
        return None  # A service from before the contract: `update` brings it.
    try:
        write(root)
    except CliError as error:
        return str(error)
    return None


def report(root: Path) -> bool:
    """Rewrite `openapi.json` after a change and say so (a warning line if it could not be)."""
    problem = rewrite(root)
    if problem:
        print(
            f"fastapi-domains: warning: {FILE} was not rewritten ({problem}); "
            "run `fastapi-domains openapi` once it can be",
            file=sys.stderr,
        )
        return False
    if (root / FILE).is_file():
        print(f"  {FILE} rewritten: the API's contract, to review with the change")
    return True
