"""What the principle tests read: the service's source as syntax trees, its routes, and a failure
that names the principle and every offending place (file:line, route, column or migration).

`fastapi-domains check` runs these tests and prints one line per principle: the `PRINCIPLE` of
each test module, then the places its failures list.
"""

import ast
import functools
import importlib
import inspect
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from src.web import discovery

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
TESTS = ROOT / "tests"


def fail_on(principle: str, rule: str, violations: Iterable[str]) -> None:
    """Fail with the principle, the rule and one line per violation, if there is any."""
    found = sorted(set(violations))
    if found:
        pytest.fail("\n".join([f"{principle}: {rule}", *(f"  {violation}" for violation in found)]), pytrace=False)


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def where(path: Path, node: ast.AST) -> str:
    return f"{relative(path)}:{getattr(node, 'lineno', 1)}"


def python_files(folder: Path = SRC) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


@functools.cache
def syntax_tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def domain_files(domain: str) -> list[Path]:
    return python_files(SRC / domain)


def domain_module(path: Path) -> ModuleType:
    """The imported module of a file under `src/`."""
    return importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))


def imports(tree: ast.Module) -> dict[str, str]:
    """Each name the module binds by importing, with what it stands for: `import requests as r`
    gives r -> requests, `from time import sleep` gives sleep -> time.sleep."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                # `import a.b` binds `a`; `import a.b as c` binds `c` to a.b.
                top = alias.name.split(".")[0]
                names[alias.asname or top] = alias.name if alias.asname else top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def dotted_name(node: ast.expr, imported: dict[str, str]) -> str | None:
    """`r.get` as `requests.get`: a name or attribute chain, its first part resolved by the imports."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([imported.get(node.id, node.id), *reversed(parts)])


def calls(nodes: Iterable[ast.AST], imported: dict[str, str]) -> Iterator[tuple[ast.Call, str]]:
    """Each call among `nodes` with the dotted name it calls (calls of computed callees are left out)."""
    for node in nodes:
        if isinstance(node, ast.Call) and (name := dotted_name(node.func, imported)):
            yield node, name


def own_body(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The statements a function runs itself: nested functions and lambdas run elsewhere."""
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        yield node
        pending += [
            child
            for child in ast.iter_child_nodes(node)
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        ]


def routes(app: FastAPI) -> list[APIRoute]:
    """Every APIRoute of the app. FastAPI 0.16x keeps an included router wrapped (as its
    `original_router`) instead of copying its routes into `app.routes`: both shapes are walked."""

    def walk(items: Iterable[Any]) -> Iterator[APIRoute]:
        for route in items:
            if isinstance(route, APIRoute):
                yield route
            nested = getattr(route, "original_router", None)
            if nested is not None:
                yield from walk(nested.routes)

    return list(walk(app.routes))


def domain_routes(app: FastAPI) -> list[APIRoute]:
    """The routes whose endpoint a domain package defines (not `/health`)."""
    domains = tuple(f"src.{name}." for name in discovery.domain_names())
    return [route for route in routes(app) if inspect.unwrap(route.endpoint).__module__.startswith(domains)]


def describe(route: APIRoute) -> str:
    """`src/items/router.py:52: POST /items` (the path inside its router, without the API prefix)."""
    return f"{code_location(route.endpoint)}: {'/'.join(sorted(route.methods))} {route.path}"


def code_location(function: Any) -> str:
    function = inspect.unwrap(function)
    try:
        path = Path(inspect.getsourcefile(function) or "")
        line = inspect.getsourcelines(function)[1]
    except (OSError, TypeError):
        return getattr(function, "__qualname__", repr(function))
    return f"{relative(path) if path.is_relative_to(ROOT) else path}:{line}"
