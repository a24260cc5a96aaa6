"""Code quality: ruff lints the service with the rule that keeps imports at the top of files
(PLC0415), pre-commit runs ruff on every commit, and no import hides inside a function (unless
its line says why, with `# noqa: PLC0415`)."""

import ast
import fnmatch
import tomllib

from tests.contract import scan

PRINCIPLE = "Code Quality"
RULE = "PLC0415"


def _selects(selectors: list[str]) -> bool:
    return any(selector == "ALL" or RULE.startswith(selector) for selector in selectors)


def test_ruff_enforces_imports_at_the_top() -> None:
    ruff = tomllib.loads((scan.ROOT / "pyproject.toml").read_text()).get("tool", {}).get("ruff", {})
    lint = ruff.get("lint", {})
    violations = []
    if not _selects(lint.get("select", []) + lint.get("extend-select", [])):
        violations.append(f"pyproject.toml: [tool.ruff.lint] select does not include {RULE}")
    if _selects(lint.get("ignore", []) + lint.get("extend-ignore", [])):
        violations.append(f"pyproject.toml: [tool.ruff.lint] ignore switches {RULE} off")
    violations += [
        f"pyproject.toml: [tool.ruff.lint.per-file-ignores] {pattern!r} switches {RULE} off for src/"
        for pattern, rules in lint.get("per-file-ignores", {}).items()
        if _selects(rules) and fnmatch.fnmatch("src/module.py", pattern)
    ]
    scan.fail_on(PRINCIPLE, f"ruff is configured with {RULE} (imports at the top)", violations)


def test_pre_commit_runs_ruff() -> None:
    config = scan.ROOT / ".pre-commit-config.yaml"
    ok = config.is_file() and "ruff" in config.read_text()
    scan.fail_on(PRINCIPLE, "pre-commit hooks run ruff", [] if ok else [".pre-commit-config.yaml: no ruff hook"])


def test_imports_are_at_the_top() -> None:
    violations = []
    for path in scan.python_files(scan.SRC) + scan.python_files(scan.TESTS):
        lines = path.read_text().splitlines()
        for function in ast.walk(scan.syntax_tree(path)):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                violations += [
                    f"{scan.where(path, node)}: import inside `{function.name}`; move it to the top of the file"
                    for node in scan.own_body(function)
                    if isinstance(node, ast.Import | ast.ImportFrom) and f"noqa: {RULE}" not in lines[node.lineno - 1]
                ]
    scan.fail_on(PRINCIPLE, "imports are at the top of files", violations)
