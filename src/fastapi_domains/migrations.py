"""The service's Alembic history, read from the migration files without importing them."""

import ast
from collections.abc import Callable
from pathlib import Path

from fastapi_domains import domain_answers, names
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


def history_text(root: Path) -> str:
    """The text of every migration of the service: where a step looks for what one already makes."""
    return "\n".join(path.read_text() for path in sorted((root / VERSIONS_DIR).glob("*.py")))


def write_chained(root: Path, slug: str, render: Callable[[dict[str, str]], str]) -> Path:
    """Write the migration `render(change)` spells, chained onto the service's single head, as
    `<date>_<revision>_<slug>.py`. `change` holds its `revision_id`, `down_revision` (also as the
    header's `revises` text and as a Python literal, `down_revision_literal`: None for a first
    migration) and `migration_date`. Raises CliError when the history has no single head."""
    change = domain_answers.new_revision(single_head(root))
    parent = change["down_revision"]
    change |= {"revises": f" {parent}" if parent else "", "down_revision_literal": f'"{parent}"' if parent else "None"}
    path = root / VERSIONS_DIR / names.migration_file(change["migration_date"], change["revision_id"], slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(change))
    return path


def write_once(root: Path, marker: str, slug: str, render: Callable[[dict[str, str]], str]) -> Path | None:
    """`write_chained`, unless a migration of the service already holds `marker` (the step's own
    table, say): then nothing, and None."""
    if marker in history_text(root):
        return None
    return write_chained(root, slug, render)
