"""Create, read, update and delete of one table's rows, in SQLAlchemy Core: the statements a
domain's service runs, built once per table, and its rows read back as the API shows them.

A read joins the rows a row references and nests them as JSON built by the database, so every
read is one statement. A domain whose rows belong to users (an `owner_id` column) passes the
owner to reach only that user's rows, or None for a superuser, who reaches every row.
"""

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from src.db import conflicts, lists, queries
from src.web.json_body import JsonBody

ReadT = TypeVar("ReadT", bound=BaseModel)
PageT = TypeVar("PageT", bound=BaseModel)


class Crud(Generic[ReadT, PageT]):
    def __init__(
        self,
        table: sa.Table,
        read_model: type[ReadT],
        page_model: type[PageT],
        refs: Mapping[str, sa.Table] | None = None,
    ) -> None:
        """`refs` maps each reference column to the table it references (`customer_id=...` nests
        `customer`). A write the data refuses is a 409 (see `src/db/conflicts.py`)."""
        self.table, self.read_model, self.page_model = table, read_model, page_model
        # Built once: statement construction costs as much as a small query.
        self.read = queries.read_statement(table, **(refs or {}))
        self._select = self.read.where(table.c.id == sa.bindparam("id_"))
        # Reads answered with the JSON the database builds, when the model shows only columns.
        self._json_read = queries.json_read_statement(table, read_model, **(refs or {}))
        self._json_select = (
            None if self._json_read is None else self._json_read.where(table.c.id == sa.bindparam("id_"))
        )
        self._json_reads: dict[str, sa.Select[Any]] = {}
        # A row with references is read back after a write; one without is returned by the write.
        returned = [table.c.id] if refs else list(table.c)
        self._refs = bool(refs)
        self._insert = sa.insert(table).returning(*returned)
        # "id_" and "owner_" can never be field names, so they cannot clash with the values set.
        self._update = sa.update(table).where(table.c.id == sa.bindparam("id_")).returning(*returned)
        self._delete = sa.delete(table).where(table.c.id == sa.bindparam("id_")).returning(table.c.id)
        # The same, limited to one owner's rows.
        self._own = {
            id(statement): statement.where(table.c.owner_id == sa.bindparam("owner_"))
            for statement in (self._select, self._json_select, self._update, self._delete)
            if "owner_id" in table.c and statement is not None
        }

    def _owned(self, statement: Any, owner: Any) -> tuple[Any, dict[str, Any]]:
        """`statement` limited to `owner`'s rows (all rows when owner is None), and its parameters."""
        if owner is None:
            return statement, {}
        return self._own[id(statement)], {"owner_": owner}

    async def get(self, connection: AsyncConnection, row_id: Any, *, owner: Any = None) -> ReadT | None:
        statement, parameters = self._owned(self._select, owner)
        row = (await connection.execute(statement, {"id_": row_id, **parameters})).mappings().one_or_none()
        return None if row is None else self.read_model.model_validate(row)

    async def page(self, connection: AsyncConnection, params: lists.ListParams, **path_filters: Any) -> PageT:
        """A page of rows matching the request's filters and the path's (a parent's id, an owner)."""
        page = await lists.fetch_page(connection, self.read, self.table, params, **path_filters)
        return self.page_model.model_validate(page)

    async def get_json(self, connection: AsyncConnection, row_id: Any, *, owner: Any = None) -> JsonBody | None:
        """`get`'s row as the response's JSON, built by the database."""
        if self._json_select is None:
            row = await self.get(connection, row_id, owner=owner)
            return None if row is None else JsonBody(row.model_dump_json())
        statement, parameters = self._owned(self._json_select, owner)
        found = (await connection.execute(statement, {"id_": row_id, **parameters})).one_or_none()
        return None if found is None else JsonBody(found.json_)

    async def page_json(self, connection: AsyncConnection, params: lists.ListParams, **path_filters: Any) -> JsonBody:
        """`page` as the response's JSON, its rows built by the database."""
        if self._json_read is None:
            page = await self.page(connection, params, **path_filters)
            return JsonBody(page.model_dump_json(), items=len(getattr(page, "items", ())))
        # The sort column beside the JSON, for the next page's cursor; built once per column.
        sort_name = params.sort.removeprefix("-")
        read = self._json_reads.get(sort_name)
        if read is None:
            read = self._json_read if sort_name == "id" else self._json_read.add_columns(self.table.c[sort_name])
            self._json_reads[sort_name] = read
        return lists.page_json(await lists.fetch_page(connection, read, self.table, params, **path_filters))

    async def insert(self, connection: AsyncConnection, values: Mapping[str, Any]) -> ReadT:
        try:
            result = await connection.execute(self._insert, dict(values))
        except IntegrityError as error:
            conflicts.raise_write_error(error, self.table)
        return await self._returned(connection, result.mappings().one())

    async def update(
        self, connection: AsyncConnection, row_id: Any, changes: Mapping[str, Any], *, owner: Any = None
    ) -> ReadT | None:
        """Set `changes` on the row; None when there is no such row (of `owner`'s). No changes
        write nothing, so `updated_at` only moves when a value does."""
        if not changes:
            return await self.get(connection, row_id, owner=owner)
        statement, parameters = self._owned(self._update, owner)
        statement = statement.values(dict(changes))
        try:
            result = await connection.execute(statement, {"id_": row_id, **parameters})
        except IntegrityError as error:
            conflicts.raise_write_error(error, self.table)
        row = result.mappings().one_or_none()
        return None if row is None else await self._returned(connection, row)

    async def delete(self, connection: AsyncConnection, row_id: Any, *, owner: Any = None) -> bool:
        """Whether a row (of `owner`'s) was deleted."""
        statement, parameters = self._owned(self._delete, owner)
        try:
            result = await connection.execute(statement, {"id_": row_id, **parameters})
        except IntegrityError as error:
            conflicts.raise_delete_error(error)
        return result.first() is not None

    async def _returned(self, connection: AsyncConnection, row: Mapping[str, Any]) -> ReadT:
        if not self._refs:
            return self.read_model.model_validate(row)
        # Read back with the rows it references, in the same transaction.
        result = await connection.execute(self._select, {"id_": row["id"]})
        return self.read_model.model_validate(result.mappings().one())
