"""External services: a third-party API is called only from a domain's `service.py`, through the
client its dependencies inject, and its keys come from the environment (a `SecretStr` setting),
never from a literal in `src/`."""

import ast
import inspect
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx

from tests.contract import scan

PRINCIPLE = "External Services"
# Module-level calls that send an HTTP request.
HTTP_CALLS = ("requests.", "urllib.request.urlopen", "aiohttp.request", "http.client.HTTP")
HTTP_CALLS_HTTPX = {f"httpx.{name}" for name in ("get", "post", "put", "patch", "delete", "head", "options", "request")}
CLIENT_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream"}
CLIENTS = (httpx.AsyncClient, httpx.Client)
SECRET_NAME = re.compile(
    r"(^|_)(api_?key|apikey|secret|secret_key|client_secret|access_key|private_key|token|password|passwd)$", re.I
)
SECRET_HEADER = re.compile(r"^(authorization|x-api-key|api-key|x-auth-token)$", re.I)
# Shapes of real credentials, wherever they are written.
SECRET_VALUE = re.compile(
    r"^(sk-[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abpr]-[A-Za-z0-9-]{10,}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----.*)$|^[a-z][a-z0-9+.-]*://[^/:@\s]+:[^/@\s]+@",
    re.S,
)


def test_no_literal_keys_in_src() -> None:
    violations = [
        f"{scan.where(path, node)}: {what} is a literal; read it from the environment (a SecretStr setting)"
        for path in scan.python_files()
        for node, what in _literal_secrets(scan.syntax_tree(path))
    ]
    scan.fail_on(PRINCIPLE, "API keys come from environment variables", violations)


def _literal_secrets(tree: ast.Module) -> Iterator[tuple[ast.AST, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
                if SECRET_NAME.search(name) and _literal(node.value):
                    yield node, f"`{name}`"
        elif isinstance(node, ast.keyword) and node.arg and SECRET_NAME.search(node.arg) and _literal(node.value):
            yield node.value, f"the argument `{node.arg}`"
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and SECRET_HEADER.match(str(key.value)) and _literal(value):
                    yield value, f"the header {key.value!r}"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SECRET_VALUE.search(node.value):
            yield node, "a credential"


def _literal(value: ast.expr) -> bool:
    """A non-empty string constant, as it is or wrapped in a call (`SecretStr("...")`)."""
    if isinstance(value, ast.Call) and value.args:
        value = value.args[0]
    return isinstance(value, ast.Constant) and isinstance(value.value, str) and bool(value.value.strip())


def test_remote_apis_are_called_only_from_service_modules() -> None:
    violations = []
    for path in scan.python_files():
        if path.name == "service.py" and path.parent.parent == scan.SRC:
            continue
        tree = scan.syntax_tree(path)
        violations += [
            f"{scan.where(path, call)}: `{name}` calls a remote API; call it from the domain's service.py"
            for call, name in scan.calls(ast.walk(tree), scan.imports(tree))
            if name.startswith(HTTP_CALLS) or name in HTTP_CALLS_HTTPX
        ]
        if path.parent.parent == scan.SRC:
            violations += _client_calls(path, tree, scan.domain_module(path))
    scan.fail_on(PRINCIPLE, "remote APIs are called only from service.py", violations)


def _client_calls(path: Path, tree: ast.Module, module: ModuleType) -> list[str]:
    """Requests sent with an injected client (a parameter typed as one) outside service.py."""
    violations = []
    for function in tree.body:
        runtime = getattr(module, getattr(function, "name", ""), None)
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) or not inspect.isfunction(runtime):
            continue
        clients = {name for name, hint in _hints(runtime).items() if _is_client(hint)}
        violations += [
            f"{scan.where(path, node)}: `{node.func.value.id}.{node.func.attr}` calls a remote API; "
            "call it from the domain's service.py"
            for node in ast.walk(function)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in clients
            and node.func.attr in CLIENT_METHODS
        ]
    return violations


def _hints(function: typing.Callable) -> dict[str, typing.Any]:
    try:
        return typing.get_type_hints(function, include_extras=True)
    except (NameError, TypeError):
        return {}


def _is_client(hint: typing.Any) -> bool:
    if isinstance(hint, type):
        return issubclass(hint, CLIENTS)
    return any(_is_client(argument) for argument in typing.get_args(hint))
