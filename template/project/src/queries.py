"""Statements every domain shares, built once per shape and cached.

Building a `select()` costs about as much as running a small query, so the list
statement is compiled once for each (table, sort, filters) shape and reused with new
parameters.
"""

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from src import dialect


def read_statement(table: sa.Table, **refs: sa.Table) -> sa.Select[Any]:
    """A row of `table` as the API shows it, in one statement.

    Each keyword names a foreign-key column and the table it references: that row is joined
    and nested as a JSON object built by the database (`customer_id=...` adds `customer`).
    """
    columns: list[sa.ColumnElement[Any]] = [*table.c]
    source: sa.FromClause = table
    for column_name, referenced in refs.items():
        parent = referenced.alias(f"ref_{column_name}")
        source = source.outerjoin(parent, parent.c.id == table.c[column_name])
        columns.append(dialect.row_json(parent).label(column_name.removesuffix("_id")))
    return sa.select(*columns).select_from(source)


def _order(column: sa.ColumnElement[Any], descending: bool) -> sa.ColumnElement[Any]:
    ordered = column.desc() if descending else column.asc()
    # NULLS LAST on both engines (their defaults differ).
    return ordered.nulls_last() if getattr(column, "nullable", False) else ordered


@lru_cache(maxsize=512)
def page_statement(read: sa.Select[Any], table: sa.Table, sort: str, filters: tuple[str, ...]) -> sa.Select[Any]:
    """One statement for a page and the total: `total LEFT JOIN page ON true`.

    `read` selects one row of `table` as the API returns it (joins included). The total is
    counted after the filters, and the join keeps one row (with NULL columns) when the page is
    empty, so the count survives an offset past the end.
    """
    conditions = [table.c[name] == sa.bindparam(f"filter_{name}") for name in filters]
    sort_name, descending = sort.removeprefix("-"), sort.startswith("-")
    total = sa.select(sa.func.count().label("total")).select_from(table).where(*conditions).subquery("total")
    page = (
        read.where(*conditions)
        .order_by(_order(table.c[sort_name], descending), table.c.id.asc())
        .limit(sa.bindparam("limit"))
        .offset(sa.bindparam("offset"))
        .subquery("page")
    )
    return (
        sa.select(total.c.total, *page.c)
        .select_from(total.outerjoin(page, sa.true()))
        .order_by(_order(page.c[sort_name], descending), page.c.id.asc())
    )


async def fetch_page(
    connection: AsyncConnection,
    read: sa.Select[Any],
    table: sa.Table,
    *,
    sort: str,
    filters: Mapping[str, Any],
    limit: int,
    offset: int,
) -> tuple[Sequence[Mapping[str, Any]], int]:
    """Rows of one page and the total matching `filters` (exact matches), in one round trip."""
    statement = page_statement(read, table, sort, tuple(sorted(filters)))
    parameters = {f"filter_{name}": value for name, value in filters.items()}
    result = await connection.execute(statement, {**parameters, "limit": limit, "offset": offset})
    rows = result.mappings().all()
    total = rows[0]["total"] if rows else 0
    items = [row for row in rows if row["id"] is not None]
    return items, total
