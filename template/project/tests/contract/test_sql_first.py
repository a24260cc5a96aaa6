"""SQL-first: the database does the work. A service never queries once per row in a loop, and a
row is read with the rows it references in the same statement (a join, the nested JSON built by
the database: see `src/db/queries.py`)."""

import ast
from collections.abc import Iterator
from types import ModuleType

import sqlalchemy as sa

from src.web import discovery
from tests.contract import scan

PRINCIPLE = "SQL-First"
# What an AsyncConnection (or session) runs: each call is a round trip to the database.
STATEMENT_CALLS = {"execute", "scalar", "scalars", "stream", "stream_scalars", "exec_driver_sql", "run_sync"}


def test_no_query_per_row_in_a_loop() -> None:
    violations = []
    for path in sorted(scan.SRC.glob("*/service.py")):
        tree = scan.syntax_tree(path)
        imported = scan.imports(tree)
        coroutines = {node.name for node in tree.body if isinstance(node, ast.AsyncFunctionDef)}
        violations += [
            f"{scan.where(path, node)}: a query per iteration ({ast.unparse(node.value.func)}); "
            "read every row in one statement (IN, a join)"
            for loop in ast.walk(tree)
            for node in _repeated(loop)
            if isinstance(node, ast.Await)
            and isinstance(node.value, ast.Call)
            and _queries(node.value.func, coroutines, imported)
        ]
    scan.fail_on(PRINCIPLE, "no per-row queries in loops", violations)


def _repeated(loop: ast.AST) -> Iterator[ast.AST]:
    """What a loop runs once per item (not what it iterates over)."""
    if isinstance(loop, ast.For | ast.AsyncFor | ast.While):
        for statement in loop.body:
            yield from ast.walk(statement)
    elif isinstance(loop, ast.ListComp | ast.SetComp | ast.GeneratorExp):
        yield from ast.walk(loop.elt)
    elif isinstance(loop, ast.DictComp):
        yield from ast.walk(loop.key)
        yield from ast.walk(loop.value)


def _queries(function: ast.expr, coroutines: set[str], imported: dict[str, str]) -> bool:
    if isinstance(function, ast.Attribute) and function.attr in STATEMENT_CALLS:
        return True
    if isinstance(function, ast.Name) and function.id in coroutines:
        return True
    name = scan.dotted_name(function, imported) or ""
    return name.startswith("src.") and name.rsplit(".", 1)[0].endswith(".service")


# An owner domain's `owner_id` names the signed-in user: the caller, not a row to nest (and the
# user row holds the password hash).
OWNER_COLUMN = "owner_id"


def test_referenced_rows_are_read_in_the_same_statement() -> None:
    violations = []
    for domain in discovery.domain_names():
        if not (scan.SRC / domain / "service.py").is_file():
            continue
        models = scan.domain_module(scan.SRC / domain / "models.py")
        statements = _statements(scan.domain_module(scan.SRC / domain / "service.py"))
        for table in _tables(models):
            referenced = {key.column.table for key in table.foreign_keys if key.parent.name != OWNER_COLUMN}
            if referenced and not any({table, *referenced} <= joined for joined in statements):
                names = ", ".join(sorted(other.name for other in referenced))
                violations.append(
                    f"src/{domain}/service.py: no statement reads {table.name} joined with {names}; "
                    f"build its reads with Crud({table.name}_table, ..., refs={{<column>: <table>}}) (src/db/crud.py)"
                )
    scan.fail_on(PRINCIPLE, "referenced rows are read in the same statement", violations)


def _tables(models: ModuleType) -> set[sa.Table]:
    values = vars(models).values()
    return {value for value in values if isinstance(value, sa.Table)} | {
        value.__table__ for value in values if isinstance(getattr(value, "__table__", None), sa.Table)
    }


def _statements(service: ModuleType) -> list[set[sa.Table]]:
    """The tables each module-level SELECT of a service reads, its own or its Crud's (`rows.read`)."""
    values = [getattr(value, "read", value) for value in vars(service).values()]
    return [
        {element for element in sa.sql.visitors.iterate(value) if isinstance(element, sa.Table)}
        for value in values
        if isinstance(value, sa.Select)
    ]
