"""The engine differences hidden by src/db/dialect.py, checked on the engine under test."""

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from src.db import dialect

_metadata = sa.MetaData()
parent = sa.Table("dialect_parent", _metadata, sa.Column("id", sa.Integer, primary_key=True))
child = sa.Table(
    "dialect_child",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(20)),
    sa.Column("parent_id", sa.ForeignKey("dialect_parent.id")),
    sa.Column("seen_at", dialect.UTCDateTime()),
    sa.UniqueConstraint("code", name="uq_dialect_child_code"),
)


@pytest.fixture
async def tables(connection: AsyncConnection) -> AsyncConnection:
    # Created inside the test's transaction, so they vanish with its rollback.
    await connection.run_sync(_metadata.create_all)
    return connection


async def test_datetimes_come_back_aware_and_in_utc(tables: AsyncConnection) -> None:
    plus_two = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    naive = dt.datetime(2024, 5, 1)
    await tables.execute(child.insert(), [{"id": 1, "seen_at": plus_two}, {"id": 2, "seen_at": naive}])
    rows = (await tables.execute(sa.select(child.c.seen_at).order_by(child.c.id))).scalars().all()
    assert rows == [dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC), dt.datetime(2024, 5, 1, tzinfo=dt.UTC)]
    assert all(value.tzinfo == dt.UTC for value in rows)


async def test_unique_violation_names_its_columns(tables: AsyncConnection) -> None:
    await tables.execute(child.insert(), {"id": 1, "code": "a"})
    with pytest.raises(IntegrityError) as caught:
        async with tables.begin_nested():
            await tables.execute(child.insert(), {"id": 2, "code": "a"})
    assert dialect.unique_violation_columns(caught.value, child) == ["code"]
    assert not dialect.is_foreign_key_violation(caught.value)


async def test_foreign_keys_are_enforced(tables: AsyncConnection) -> None:
    with pytest.raises(IntegrityError) as caught:
        async with tables.begin_nested():
            await tables.execute(child.insert(), {"id": 1, "parent_id": 42})
    assert dialect.is_foreign_key_violation(caught.value)
    assert dialect.unique_violation_columns(caught.value, child) is None
