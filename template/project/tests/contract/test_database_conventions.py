"""Database conventions: singular lower_snake_case tables, lower_snake_case columns, datetimes
ending in `_at` and dates in `_date`, and every constraint and index named by the naming
convention of `src/database.py` (so a migration can drop it by name)."""

import re

import pytest
import sqlalchemy as sa

from src.database import metadata
from src.web import discovery
from tests.contract import scan

PRINCIPLE = "Database Conventions"
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
# A last word ending in "s" reads as a plural, except these endings (address, status, analysis).
SINGULAR_ENDINGS = ("ss", "us", "is")
KINDS = {
    sa.PrimaryKeyConstraint: "pk",
    sa.UniqueConstraint: "uq",
    sa.ForeignKeyConstraint: "fk",
    sa.CheckConstraint: "ck",
}


@pytest.fixture(scope="module")
def tables() -> list[sa.Table]:
    discovery.import_domain_modules("models")
    return sorted(metadata.tables.values(), key=lambda table: table.name)


def test_tables_are_singular_snake_case(tables: list[sa.Table]) -> None:
    violations = [
        f"table {table.name}: {'not lower_snake_case' if not SNAKE.match(table.name) else 'a plural name'}; "
        "name the table after one row (order_item, not order_items)"
        for table in tables
        if not SNAKE.match(table.name) or _plural(table.name)
    ]
    scan.fail_on(PRINCIPLE, "tables are singular lower_snake_case", violations)


def _plural(name: str) -> bool:
    last = name.rsplit("_", 1)[-1]
    return last.endswith("s") and not last.endswith(SINGULAR_ENDINGS)


def test_columns_are_snake_case_with_typed_suffixes(tables: list[sa.Table]) -> None:
    violations = []
    for table in tables:
        for column in table.columns:
            where = f"column {table.name}.{column.name}"
            kind = _kind(column)
            if not SNAKE.match(column.name):
                violations.append(f"{where}: not lower_snake_case")
            elif kind is sa.DateTime and not column.name.endswith("_at"):
                violations.append(f"{where}: a datetime whose name does not end in _at")
            elif kind is sa.Date and not column.name.endswith("_date"):
                violations.append(f"{where}: a date whose name does not end in _date")
    scan.fail_on(PRINCIPLE, "lower_snake_case columns, datetimes end in _at, dates in _date", violations)


def _kind(column: sa.Column) -> type | None:
    """DateTime or Date, seen through a TypeDecorator (src.db.dialect.UTCDateTime)."""
    type_ = getattr(column.type, "impl_instance", column.type)
    return next((kind for kind in (sa.DateTime, sa.Date) if isinstance(type_, kind)), None)


def test_constraints_and_indexes_follow_the_naming_convention(tables: list[sa.Table]) -> None:
    violations = []
    for table in tables:
        for constraint in table.constraints:
            kind = KINDS.get(type(constraint))
            expected = kind and _conventional_name(kind, table, constraint)
            # A check constraint's own name is part of its conventional one.
            named = kind == "ck" and str(constraint.name).startswith(str(expected))
            if expected and constraint.name != expected and not named:
                violations.append(f"table {table.name}: constraint {constraint.name!r}, by the convention {expected!r}")
        for index in table.indexes:
            expected = _conventional_name("ix", table, index)
            if index.name != expected:
                violations.append(f"table {table.name}: index {index.name!r}, by the convention {expected!r}")
    scan.fail_on(PRINCIPLE, "constraints and indexes are named by the convention", violations)


def _conventional_name(kind: str, table: sa.Table, item: sa.Constraint | sa.Index) -> str:
    columns = [column.name for column in getattr(item, "columns", [])]
    referred = item.referred_table.name if isinstance(item, sa.ForeignKeyConstraint) else ""
    values = {
        "table_name": table.name,
        "column_0_N_name": "_".join(columns),
        "referred_table_name": referred,
        "constraint_name": "",
    }
    return metadata.naming_convention[kind] % values
