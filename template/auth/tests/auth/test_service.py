"""The auth service on its own: users, token families, the login throttle, and the argon2
threads."""

import datetime as dt
import os
import sys
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from src.auth import exceptions, service, utils
from src.auth.config import settings
from src.auth.models import login_throttle_table, refresh_token_table, user_table
from tests.auth.fixtures import PASSWORD, MakeUser

ADDRESS = "192.0.2.1"


async def test_create_user_returns_the_row_without_the_hash(connection: AsyncConnection, password_hash: str) -> None:
    row = await service.create_user(connection, "ada@example.com", password_hash, is_superuser=True)
    assert set(row) == {"id", "email", "is_active", "is_superuser", "created_at", "updated_at"}
    assert (row["email"], row["is_active"], row["is_superuser"]) == ("ada@example.com", True, True)
    assert await service.get_by_id(connection, row["id"]) == row


async def test_create_user_with_a_taken_email_raises(connection: AsyncConnection, user: dict[str, Any]) -> None:
    with pytest.raises(exceptions.EmailTakenError):
        async with connection.begin_nested():
            await service.create_user(connection, user["email"], "hash")


async def test_register_leaves_a_taken_email_as_it_was(connection: AsyncConnection, user: dict[str, Any]) -> None:
    await service.register(connection, user["email"], "another passphrase")
    (row,) = (await connection.execute(sa.select(user_table).where(user_table.c.email == user["email"]))).all()
    assert utils.verify_password(PASSWORD, row.password_hash)


async def test_make_superuser_promotes_only_when_told_and_signs_out(
    connection: AsyncConnection, make_user: MakeUser
) -> None:
    ordinary = await make_user()
    await service.login(connection, ordinary["email"], PASSWORD, ADDRESS)
    assert await service.make_superuser(connection, ordinary["email"], "new hash", promote=False) is None
    promoted = await service.make_superuser(connection, ordinary["email"], "new hash", promote=True)
    assert promoted is not None
    assert (promoted["is_active"], promoted["is_superuser"]) == (True, True)
    statement = sa.select(refresh_token_table.c.revoked_at).where(refresh_token_table.c.user_id == ordinary["id"])
    (revoked_at,) = (await connection.execute(statement)).scalars()
    assert revoked_at is not None
    assert await service.make_superuser(connection, "nobody@example.com", "hash", promote=True) is None


async def test_refresh_tokens_are_stored_hashed(connection: AsyncConnection, user: dict[str, Any]) -> None:
    pair = await service.login(connection, user["email"], PASSWORD, ADDRESS)
    stored = (await connection.execute(sa.select(refresh_token_table.c.token_hash))).scalars().all()
    assert stored == [utils.digest(pair["refresh_token"])]


async def test_an_expired_refresh_token_is_refused(connection: AsyncConnection, user: dict[str, Any]) -> None:
    pair = await service.login(connection, user["email"], PASSWORD, ADDRESS)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    await connection.execute(sa.update(refresh_token_table).values(expires_at=past))
    with pytest.raises(exceptions.InvalidRefreshTokenError):
        await service.refresh(connection, pair["refresh_token"])


async def test_refresh_keeps_the_family(connection: AsyncConnection, user: dict[str, Any]) -> None:
    pair = await service.login(connection, user["email"], PASSWORD, ADDRESS)
    await service.refresh(connection, pair["refresh_token"])
    families = (await connection.execute(sa.select(refresh_token_table.c.family_id))).scalars().all()
    assert len(families) == 2
    assert len(set(families)) == 1


@pytest.mark.parametrize(
    ("failures", "free", "seconds"), [(0, 5, 0), (4, 5, 0), (5, 5, 1), (6, 5, 2), (9, 5, 16), (11, 5, 60), (500, 5, 60)]
)
def test_the_delay_doubles_after_the_free_failures_up_to_the_maximum(failures: int, free: int, seconds: int) -> None:
    assert settings.LOGIN_DELAY_MAX_SECONDS == 60
    assert service.delay_after(failures, free) == seconds


async def test_failures_are_forgotten_after_a_while(
    connection: AsyncConnection, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failures older than LOGIN_FAILURES_FORGOTTEN_MINUTES no longer count (and are deleted)."""
    monkeypatch.setattr(settings, "LOGIN_DELAY_AFTER", 2)
    start = dt.datetime.now(dt.UTC)
    memory = dt.timedelta(minutes=settings.LOGIN_FAILURES_FORGOTTEN_MINUTES)

    async def fail_at(moment: dt.datetime) -> None:
        monkeypatch.setattr(service, "_now", lambda: moment)
        with pytest.raises(exceptions.InvalidCredentialsError):
            await service.login(connection, user["email"], "not the password", ADDRESS)

    await fail_at(start)
    # Forgotten: this failure starts a new count on each key, so there is no wait yet.
    await fail_at(start + memory)
    rows = (await connection.execute(sa.select(login_throttle_table))).all()
    assert {row.failures for row in rows} == {1}
    assert len(rows) == 3  # the account from this address, the account, the address
    await fail_at(start + memory + dt.timedelta(seconds=1))
    with pytest.raises(exceptions.TooManyAttemptsError):
        await service.login(connection, user["email"], PASSWORD, ADDRESS)
    monkeypatch.setattr(service, "_now", lambda: start + memory + dt.timedelta(seconds=2))
    await service.login(connection, user["email"], PASSWORD, ADDRESS)
    # A success forgets the account's failures; the address keeps its own.
    (kept,) = (await connection.execute(sa.select(login_throttle_table.c.key))).scalars()
    assert kept == utils.throttle_key("address", ADDRESS)


async def test_the_throttle_keeps_no_email_or_address(connection: AsyncConnection) -> None:
    with pytest.raises(exceptions.InvalidCredentialsError):
        await service.login(connection, "someone@example.com", "a guess", ADDRESS)
    stored = " ".join((await connection.execute(sa.select(login_throttle_table.c.key))).scalars())
    assert "someone" not in stored
    assert ADDRESS not in stored


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread priorities are Linux's")
async def test_argon2_runs_at_the_lowest_cpu_priority() -> None:
    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    assert await utils.in_hash_thread(niceness) == 19


@pytest.mark.parametrize("password", ["password", "Password1", "QWERTYUIOP", "  iloveyou  ", "1q2w3e4r5t"])
def test_the_most_common_passwords_are_known(password: str) -> None:
    assert utils.is_common_password(password)


@pytest.mark.parametrize("password", ["correct horse battery staple", "a passphrase of some length", PASSWORD])
def test_uncommon_passwords_are_not(password: str) -> None:
    assert not utils.is_common_password(password)


async def test_deactivating_revokes_the_users_refresh_tokens(
    connection: AsyncConnection, user: dict[str, Any], superuser: dict[str, Any]
) -> None:
    await service.login(connection, user["email"], PASSWORD, ADDRESS)
    await service.set_active(connection, user["id"], False, superuser["id"])
    revoked = (await connection.execute(sa.select(refresh_token_table.c.revoked_at))).scalars().all()
    assert len(revoked) == 1
    assert revoked[0] is not None
