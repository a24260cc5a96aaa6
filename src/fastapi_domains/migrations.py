"""The service's Alembic history, read from the migration files without importing them."""

import ast
from pathlib import Path

from fastapi_domains.errors import CliError

VERSIONS_DIR = Path("alembic") / "versions"


def _targets(node: ast.stmt) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return node.targets
    return [node.target] if isinstance(node, ast.AnnAssign) else []


def _assigned_value(tree: ast.Module, name: str) -> object:
    """The literal assigned to a module-level `name` (annotated or not); None when absent."""
    for node in tree.body:
        if any(isinstance(target, ast.Name) and target.id == name for target in _targets(node)):
            return ast.literal_eval(node.value) if node.value is not None else None
    return None


def _parents(value: object) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, str):
        return {value}
    return set(value)  # A merge revision names several parents.


def single_head(root: Path) -> str:
    """The one head revision of the service's migrations ("" when there are none).

    More than one head means a branched history: a new migration could only chain onto one
    of them, so the user merges first.
    """
    revisions: dict[str, set[str]] = {}
    for path in sorted((root / VERSIONS_DIR).glob("*.py")):
        try:
            tree = ast.parse(path.read_text(), filename=str(path))
            revision = _assigned_value(tree, "revision")
            parents = _parents(_assigned_value(tree, "down_revision"))
        except (SyntaxError, ValueError, TypeError) as error:
            raise CliError(f"cannot read the migration {path.relative_to(root)}: {error}") from error
        if isinstance(revision, str):
            revisions[revision] = parents
    referenced = set().union(*revisions.values()) if revisions else set()
    heads = sorted(set(revisions) - referenced)
    if len(heads) > 1:
        raise CliError(
            f"the migrations have {len(heads)} heads ({', '.join(heads)}); merge them first "
            f"(`alembic merge -m merge heads`) so the new migration has one parent"
        )
    return heads[0] if heads else ""
