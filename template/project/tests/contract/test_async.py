"""Async-first: endpoints and the dependencies that do I/O are coroutines, and no coroutine
blocks the event loop with a synchronous call (HTTP, sleep, a sync database driver, files)."""

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant

from tests.contract import scan

PRINCIPLE = "Async-First"
# Calls that block the thread: in a coroutine they stop every other request.
BLOCKING = (
    "requests.",
    "urllib.request.",
    "http.client.",
    "httpx.Client",
    "time.sleep",
    "sqlite3.connect",
    "psycopg2.connect",
    "psycopg.connect",
    "pymysql.connect",
    "subprocess.",
    "os.system",
    "socket.create_connection",
    "open",
)
BLOCKING_HTTPX = {f"httpx.{name}" for name in ("get", "post", "put", "patch", "delete", "head", "options", "request")}


def test_every_endpoint_is_a_coroutine(app: FastAPI) -> None:
    violations = [
        f"{scan.describe(route)}: `{route.endpoint.__name__}` is a plain function; make it `async def`"
        for route in scan.routes(app)
        if not inspect.iscoroutinefunction(inspect.unwrap(route.endpoint))
    ]
    scan.fail_on(PRINCIPLE, "route endpoints are coroutines", violations)


def test_dependencies_that_do_io_are_coroutines(app: FastAPI) -> None:
    """A dependency that chains onto another (a connection, a client) or manages a resource with
    `yield` does I/O; written as a plain function it runs in a worker thread."""
    violations = {
        f"{scan.code_location(call)}: the dependency `{getattr(call, '__name__', call)}` {why}; make it `async def`"
        for route in scan.routes(app)
        for call, why in _sync_io_dependencies(route.dependant)
    }
    scan.fail_on(PRINCIPLE, "dependencies doing I/O are coroutines", violations)


def _sync_io_dependencies(dependant: Dependant) -> Iterator[tuple[Any, str]]:
    for dependency in dependant.dependencies:
        call = dependency.call
        if inspect.isfunction(call) and _defined_in_src(call):
            if inspect.isgeneratorfunction(call):
                yield call, "is a plain generator"
            elif dependency.dependencies and not _asynchronous(call):
                yield call, "chains onto other dependencies in a plain function"
        yield from _sync_io_dependencies(dependency)


def _asynchronous(function: Any) -> bool:
    return inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function)


def _defined_in_src(function: Any) -> bool:
    source = inspect.getsourcefile(function)
    return source is not None and Path(source).resolve().is_relative_to(scan.SRC)


def test_no_coroutine_makes_a_blocking_call() -> None:
    violations = []
    for path in scan.python_files():
        tree = scan.syntax_tree(path)
        imported = scan.imports(tree)
        for function in ast.walk(tree):
            if isinstance(function, ast.AsyncFunctionDef):
                violations += [
                    f"{scan.where(path, call)}: `{name}` blocks the event loop inside `async def {function.name}`"
                    for call, name in scan.calls(scan.own_body(function), imported)
                    if _blocking(name)
                ]
    scan.fail_on(PRINCIPLE, "no blocking calls in coroutines (use httpx.AsyncClient, asyncio.sleep, ...)", violations)


def _blocking(name: str) -> bool:
    return name in BLOCKING_HTTPX or any(
        name.startswith(prefix) if prefix.endswith(".") else name == prefix for prefix in BLOCKING
    )
