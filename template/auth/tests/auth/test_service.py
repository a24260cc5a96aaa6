"""The auth service on its own: users, token families and the login throttle's window."""

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from src.auth import exceptions, service, utils
from src.auth.config import settings
from src.auth.models import login_throttle_table, refresh_token_table
from tests.auth.fixtures import PASSWORD, MakeUser


async def test_create_user_returns_the_row_without_the_hash(connection: AsyncConnection, password_hash: str) -> None:
    row = await service.create_user(connection, "ada@example.com", password_hash, is_superuser=True)
    assert set(row) == {"id", "email", "is_active", "is_superuser", "created_at", "updated_at"}
    assert (row["email"], row["is_active"], row["is_superuser"]) == ("ada@example.com", True, True)
    assert await service.get_by_id(connection, row["id"]) == row


async def test_create_user_with_a_taken_email_raises(connection: AsyncConnection, user: dict[str, Any]) -> None:
    with pytest.raises(exceptions.EmailTakenError):
        async with connection.begin_nested():
            await service.create_user(connection, user["email"], "hash")


async def test_promote_makes_an_active_superuser(connection: AsyncConnection, make_user: MakeUser) -> None:
    inactive = await make_user(active=False)
    promoted = await service.promote(connection, inactive["email"])
    assert promoted is not None
    assert (promoted["is_active"], promoted["is_superuser"]) == (True, True)
    assert await service.promote(connection, "nobody@example.com") is None


async def test_refresh_tokens_are_stored_hashed(connection: AsyncConnection, user: dict[str, Any]) -> None:
    pair = await service.login(connection, user["email"], PASSWORD)
    stored = (await connection.execute(sa.select(refresh_token_table.c.token_hash))).scalars().all()
    assert stored == [utils.digest(pair["refresh_token"])]


async def test_an_expired_refresh_token_is_refused(connection: AsyncConnection, user: dict[str, Any]) -> None:
    pair = await service.login(connection, user["email"], PASSWORD)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    await connection.execute(sa.update(refresh_token_table).values(expires_at=past))
    with pytest.raises(exceptions.InvalidRefreshTokenError):
        await service.refresh(connection, pair["refresh_token"])


async def test_refresh_keeps_the_family(connection: AsyncConnection, user: dict[str, Any]) -> None:
    pair = await service.login(connection, user["email"], PASSWORD)
    await service.refresh(connection, pair["refresh_token"])
    families = (await connection.execute(sa.select(refresh_token_table.c.family_id))).scalars().all()
    assert len(families) == 2
    assert len(set(families)) == 1


async def test_failures_are_counted_per_window(
    connection: AsyncConnection, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failures older than the window no longer count; the lock ends after LOGIN_LOCK_MINUTES."""
    monkeypatch.setattr(settings, "LOGIN_MAX_FAILURES", 2)
    start = dt.datetime.now(dt.UTC)
    window = dt.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)

    async def fail_at(moment: dt.datetime) -> None:
        monkeypatch.setattr(service, "_now", lambda: moment)
        with pytest.raises(exceptions.InvalidCredentialsError):
            await service.login(connection, user["email"], "not the password")

    await fail_at(start)
    # The window has passed: this failure starts a new count, so there is no lock yet.
    await fail_at(start + window)
    row = (await connection.execute(sa.select(login_throttle_table))).one()
    assert (row.failures, row.unlocks_at) == (1, None)
    await fail_at(start + window + dt.timedelta(seconds=1))
    with pytest.raises(exceptions.TooManyAttemptsError):
        await service.login(connection, user["email"], PASSWORD)
    monkeypatch.setattr(service, "_now", lambda: start + 2 * window + dt.timedelta(seconds=2))
    await service.login(connection, user["email"], PASSWORD)
    # A success forgets the failures.
    assert (await connection.execute(sa.select(login_throttle_table))).first() is None


async def test_deactivating_revokes_the_users_refresh_tokens(
    connection: AsyncConnection, user: dict[str, Any], superuser: dict[str, Any]
) -> None:
    await service.login(connection, user["email"], PASSWORD)
    await service.set_active(connection, user["id"], False, superuser["id"])
    revoked = (await connection.execute(sa.select(refresh_token_table.c.revoked_at))).scalars().all()
    assert len(revoked) == 1
    assert revoked[0] is not None
