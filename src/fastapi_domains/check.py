"""`fastapi-domains check`: run the service's contract tests (`tests/contract/`, one module per
principle of its constitution) in the service's own environment, and print one line per
principle: ok, or what breaks it, file:line by file:line.

The tests run with `uv run --no-sync`, so the check never installs anything or writes a lock file;
their results come back as a JUnit XML report written outside the service. When the app itself
does not import (a domain's module deleted, a syntax error), the tests' conftest cannot load: the
check runs them again without it, so the static principles still name what is wrong (a missing
`src/<domain>/service.py`) and those that need the app say why it did not import.
"""

import argparse
import ast
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from fastapi_domains.errors import CliError
from fastapi_domains.project import load_project

CONTRACT_DIR = Path("tests") / "contract"
EXIT_BROKEN = 1
# A place in a traceback: Python's own form, and pytest's short one (`src/x/router.py:5: in <module>`).
TRACEBACK_PLACE = re.compile(r'File "([^"]+)", line (\d+)|^(\S+\.py):(\d+): in ', re.MULTILINE)
MISSING_FIXTURE = re.compile(r"fixture '\w+' not found")
INSTALL_UV = "install it (`pip install uv`, or see https://docs.astral.sh/uv/) and run the check again"


@dataclass
class Principle:
    name: str
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """`ok  NAME`, or a `FAILED  NAME: rule` line per broken rule with the places that break it."""
        if not self.problems:
            return [f"ok      {self.name}"]
        lines = []
        for problem in dict.fromkeys(self.problems):  # Two tests may break one rule in one place.
            first, *places = problem.removeprefix(f"{self.name}: ").splitlines() or [""]
            lines += [f"FAILED  {self.name}: {first}", *(f"      {place}" for place in places)]
        return lines


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check the service against its constitution (runs tests/contract, one line per principle)",
        description="Run the service's contract tests (tests/contract/) in its own environment and print one line "
        "per principle of its constitution: ok, or what breaks it with file:line. Exits 1 if any principle is broken.",
    )
    parser.add_argument("--project", type=Path, default=Path(), metavar="DIR", help="the service (default: .)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    root = project.root
    if not (root / CONTRACT_DIR).is_dir():
        raise CliError(
            f"{root} has no {CONTRACT_DIR.as_posix()}/: update the service to a newer template first "
            "(`fastapi-domains update`)"
        )
    uv = shutil.which("uv")
    if uv is None:
        raise CliError(f"uv is not installed: {INSTALL_UV}")
    environment = project_environment(root)
    if not (environment / "pyvenv.cfg").is_file():
        raise CliError(
            f"the service has no environment yet ({environment}): run `uv sync` in {root} "
            "(it installs the service and its test tools), then run the check again"
        )
    principles = run_contract_tests(uv, root)
    for principle in principles:
        print("\n".join(principle.lines()))
    broken = [principle.name for principle in principles if principle.problems]
    if broken:
        print(f"{len(broken)} of {len(principles)} broken; details: `uv run pytest {CONTRACT_DIR.as_posix()}`")
        return EXIT_BROKEN
    return 0


def project_environment(root: Path) -> Path:
    """The virtual environment `uv run` uses for the service (uv's own rule)."""
    configured = os.environ.get("UV_PROJECT_ENVIRONMENT")
    return root / configured if configured else root / ".venv"


def run_contract_tests(uv: str, root: Path) -> list[Principle]:
    with tempfile.TemporaryDirectory(prefix="fastapi-domains-check-") as scratch:
        report = Path(scratch) / "contract.xml"
        result = run_pytest(uv, root, report)
        if "No module named pytest" in result.stderr:
            raise CliError(
                f"pytest is not installed in the service's environment: run `uv sync` in {root} "
                "(its dev group holds the test tools), then run the check again"
            )
        if report.is_file():
            return read_report(report, root)
        cause = (crash_site(result.stdout + result.stderr) or f"exit {result.returncode}").replace(f"{root}/", "")
        # The conftest imports the app: without it, the principles that need no app still run.
        if not run_pytest(uv, root, report, "--noconftest").returncode or not report.is_file():
            raise CliError(f"the contract tests did not run: {cause}")
        principles = read_report(report, root)
        for principle in principles:
            principle.problems = [
                f"the app did not import: {cause}" if MISSING_FIXTURE.search(problem) else problem
                for problem in principle.problems
            ]
        return principles


def run_pytest(uv: str, root: Path, report: Path, *options: str) -> subprocess.CompletedProcess[str]:
    command = [
        *(uv, "run", "--project", str(root), "--no-sync", "python", "-m", "pytest", CONTRACT_DIR.as_posix()),
        *("-q", "-p", "no:cacheprovider", "--continue-on-collection-errors", f"--junitxml={report}", *options),
    ]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)  # noqa: S603


def read_report(report: Path, root: Path) -> list[Principle]:
    """One entry per test module, named by its PRINCIPLE; principles first, then other contract tests."""
    principles: dict[str, Principle] = {}
    for case in ET.parse(report).iter("testcase"):  # noqa: S314 - pytest wrote it, just now
        module = module_path(root, case.get("classname") or case.get("name") or "")
        principle = principles.setdefault(module.as_posix(), Principle(principle_name(root, module)))
        principle.problems += [
            problem(child).replace(f"{root}/", "") for child in case if child.tag in {"failure", "error"}
        ]
    return sorted(principles.values(), key=lambda principle: principle.name.startswith("tests/"))


def module_path(root: Path, dotted: str) -> Path:
    """`tests.contract.test_rest.TestX` as tests/contract/test_rest.py (the longest part that is a file)."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        candidate = Path(*parts[:end]).with_suffix(".py")
        if (root / candidate).is_file():
            return candidate
    return Path(*parts)


def principle_name(root: Path, module: Path) -> str:
    """The module's `PRINCIPLE = "..."`, or its path when it checks no principle (the fuzzer, ...)."""
    try:
        tree = ast.parse((root / module).read_text())
    except (OSError, SyntaxError, ValueError):
        return module.as_posix()
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(target, ast.Name) and target.id == "PRINCIPLE" for target in node.targets)
            and isinstance(node.value, ast.Constant)
        ):
            return str(node.value.value)
    return module.as_posix()


def problem(outcome: ET.Element) -> str:
    """What a failed test says: a principle test's own message in full; else where and how it
    crashed (a collection failure, an import error), or the first line of its message."""
    message = (outcome.get("message") or outcome.tag).strip()
    if message.startswith("Failed: "):
        return message.removeprefix("Failed: ")
    return crash_site(outcome.text or "") or message.splitlines()[0]


def crash_site(output: str) -> str:
    """`src/items/utils.py:46: SyntaxError: invalid syntax`: a traceback's last place in the
    service's own files (not Python's or a library's) and the error it ends with (pytest marks
    the error's lines with `E`)."""
    lines = output.strip().splitlines()
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    if not errors:
        return ""
    places = [match.group(1, 2) if match.group(1) else match.group(3, 4) for match in TRACEBACK_PLACE.finditer(output)]
    own = [place for place in places if "site-packages" not in place[0] and "/lib/python" not in place[0]]
    return (f"{own[-1][0]}:{own[-1][1]}: " if own else "") + errors[-1]
