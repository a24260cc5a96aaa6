"""The development database is made by migrations only when it is the local development one."""

import pytest

from src.db import development_database


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://app:secret@db.example.com:5432/shop",
        "postgresql+asyncpg://postgres@127.0.0.1:5432/another_database",
        "sqlite+aiosqlite:///./anything.db",
    ],
    ids=["remote", "other-local", "sqlite"],
)
async def test_any_other_database_is_left_alone(url: str) -> None:
    # Nothing listens at db.example.com: a connection attempt would fail the test.
    assert await development_database.create_if_missing(url) is False
