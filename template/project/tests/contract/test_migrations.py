"""Migrations: one linear history that every model matches, each revision static and revertable.
Its `downgrade()` undoes its `upgrade()` (read from its syntax, and run by pytest-alembic: up,
down and up again), and the history has a single head, so the next migration has one parent."""

import ast

from alembic.config import Config
from alembic.script import ScriptDirectory
from pytest_alembic.tests import (
    test_model_definitions_match_ddl,
    test_up_down_consistency,
    test_upgrade,
)

from tests.contract import scan

__all__ = [
    "test_model_definitions_match_ddl",
    "test_up_down_consistency",
    "test_upgrade",
]

PRINCIPLE = "Migrations"
VERSIONS = scan.ROOT / "alembic" / "versions"


def test_single_head_revision() -> None:
    """One head once there are migrations; a service without domains yet has none."""
    heads = ScriptDirectory.from_config(Config(str(scan.ROOT / "alembic.ini"))).get_heads()
    branched = len(heads) > 1
    violations = [f"alembic/versions: {len(heads)} heads, {', '.join(sorted(heads))}; merge them"] if branched else []
    scan.fail_on(PRINCIPLE, "the history has a single head", violations)


def test_every_downgrade_reverts_its_upgrade() -> None:
    violations = [
        f"{scan.where(path, function)}: downgrade() does nothing; write the statements that undo upgrade()"
        for path in sorted(VERSIONS.glob("*.py"))
        for function in scan.syntax_tree(path).body
        if isinstance(function, ast.FunctionDef) and function.name == "downgrade" and _empty(function)
    ]
    scan.fail_on(PRINCIPLE, "every revision's downgrade() is written", violations)


def _empty(function: ast.FunctionDef) -> bool:
    """Only `pass`, `...` or a docstring."""
    return all(
        isinstance(statement, ast.Pass)
        or (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))
        for statement in function.body
    )
