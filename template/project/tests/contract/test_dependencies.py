"""Dependency injection: connections, engines, sessions and HTTP clients reach a domain through
FastAPI dependencies (`src.database.DbConnection`, a domain's client dependency), never as module
globals a domain imports or builds, so tests can replace them and each request gets its own."""

import ast
import inspect
from pathlib import Path
from types import ModuleType

import httpx
import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from src.web import discovery
from tests.contract import scan

PRINCIPLE = "Dependency Injection"
RESOURCES = (
    AsyncEngine,
    AsyncConnection,
    AsyncSession,
    async_sessionmaker,
    sa.Engine,
    sa.Connection,
    orm.Session,
    orm.sessionmaker,
    httpx.AsyncClient,
    httpx.Client,
)


def test_domains_hold_no_shared_resource_as_a_global() -> None:
    violations = [
        violation
        for domain in discovery.domain_names()
        for path in scan.domain_files(domain)
        for violation in _global_resources(path, scan.domain_module(path))
    ]
    scan.fail_on(PRINCIPLE, "domains take connections and clients from dependencies", violations)


def _global_resources(path: Path, module: ModuleType) -> list[str]:
    tree = scan.syntax_tree(path)
    violations = [
        f"{scan.where(path, _binding(tree, name))}: `{name}` is a module-level {type(value).__name__}; "
        "take it from a dependency instead"
        for name, value in vars(module).items()
        if isinstance(value, RESOURCES)
    ]
    # `database.engine` and the like: a resource reached through an imported module.
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner = vars(module).get(node.value.id)
            value = getattr(owner, node.attr, None) if inspect.ismodule(owner) else None
            if isinstance(value, RESOURCES):
                violations.append(
                    f"{scan.where(path, node)}: `{node.value.id}.{node.attr}` is a module-level "
                    f"{type(value).__name__}; take it from a dependency instead"
                )
    return violations


def _binding(tree: ast.Module, name: str) -> ast.AST:
    """Where the module binds `name`: its import or assignment (the module itself if not found)."""
    for node in tree.body:
        bound = []
        if isinstance(node, ast.Import | ast.ImportFrom):
            bound = [alias.asname or alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bound = [target.id for target in targets if isinstance(target, ast.Name)]
        if name in bound:
            return node
    return tree
