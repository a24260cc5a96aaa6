"""Every error code a generated service can answer is in the READMEs: the codes of HTTP statuses
(`src/exceptions.py`), of every error class in the project, auth and external-API templates, and
of every answer built by hand with `error_response`."""

import ast
import re
from pathlib import Path

import pytest

from tests import support

TEMPLATE = support.REPO / "template"
EXCEPTIONS = TEMPLATE / "project" / "src" / "exceptions.py"


def status_codes() -> set[str]:
    """The values of ERROR_CODES, and INVALID_JSON and the `http_error` fallback."""
    tree = ast.parse(EXCEPTIONS.read_text())
    codes = {"http_error"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id == "ERROR_CODES":
                assert isinstance(node.value, ast.Dict)
                codes |= {value.value for value in node.value.values if isinstance(value, ast.Constant)}
            elif node.targets[0].id == "INVALID_JSON":
                assert isinstance(node.value, ast.Constant)
                codes.add(node.value.value)
    return codes


def declared_codes() -> set[str]:
    """`code = "..."` of every error class, and the code of every hand-built error answer."""
    codes = set()
    for path in TEMPLATE.rglob("*"):
        if "src" not in path.relative_to(TEMPLATE).parts or not path.name.endswith((".py", ".py.jinja")):
            continue
        text = path.read_text()
        codes |= set(re.findall(r'^\s+code(?::\s*str)?\s*=\s*"([a-z_]+)"', text, re.MULTILINE))
        codes |= set(re.findall(r'error_response\(\s*[^,]+,\s*[^,]+,\s*"([a-z_]+)"', text))
    return codes


def test_the_codes_are_found() -> None:
    assert {"invalid_json", "not_found", "internal_error", "http_error"} <= status_codes()
    assert {"too_many_requests", "bad_gateway", "unauthorized", "internal_error"} <= declared_codes()


@pytest.mark.parametrize("readme", [support.REPO / "README.md", TEMPLATE / "project" / "README.md.jinja"])
def test_the_readme_lists_every_code(readme: Path) -> None:
    listed = set(re.findall(r"`([a-z_]+)`", readme.read_text()))
    assert sorted((status_codes() | declared_codes()) - listed) == []
