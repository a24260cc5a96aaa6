"""Data access of the auth domain, in SQLAlchemy Core: users, refresh tokens, login throttling.

Statements are built once, at import. Times are the app server's clock in UTC, as the tokens'
expiry is. Hashing and verifying passwords run in a worker thread (see `utils`).
"""

import asyncio
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from src import dialect, queries
from src.auth import constants, exceptions, utils
from src.auth.config import settings
from src.auth.models import login_throttle_table as throttle
from src.auth.models import refresh_token_table as tokens
from src.auth.models import user_table as users
from src.auth.schemas import UserListParams, UserPaging
from src.dialect import UTCDateTime
from src.exceptions import NotFoundError
from src.schemas import EntityId, ErrorDetail

# A user as the API shows it: every column but the password hash.
_READ = sa.select(*(column for column in users.c if column.name != "password_hash"))
_USER_BY_ID = _READ.where(users.c.id == sa.bindparam("user_id_"))
_CREDENTIALS = sa.select(users.c.id, users.c.password_hash, users.c.is_active).where(
    users.c.email == sa.bindparam("email_")
)
_PASSWORD_HASH = sa.select(users.c.password_hash).where(users.c.id == sa.bindparam("user_id_"))
_INSERT_USER = sa.insert(users).returning(*_READ.selected_columns)
_SET_ACTIVE = (
    sa.update(users)
    .where(users.c.id == sa.bindparam("user_id_"))
    .values(is_active=sa.bindparam("active"))
    .returning(*_READ.selected_columns)
)
_SET_PASSWORD = (
    sa.update(users).where(users.c.id == sa.bindparam("user_id_")).values(password_hash=sa.bindparam("hash"))
)
_PROMOTE = (
    sa.update(users)
    .where(users.c.email == sa.bindparam("email_"))
    .values(is_superuser=True, is_active=True)
    .returning(*_READ.selected_columns)
)

_INSERT_TOKEN = sa.insert(tokens)
# A refresh token with what a refresh needs of its user, in one statement.
_TOKEN_WITH_USER = sa.select(
    tokens.c.id, tokens.c.family_id, tokens.c.expires_at, tokens.c.revoked_at, tokens.c.user_id, users.c.is_active
).select_from(tokens.join(users, users.c.id == tokens.c.user_id))
_TOKEN_BY_HASH = _TOKEN_WITH_USER.where(tokens.c.token_hash == sa.bindparam("token_hash_"))
# Spends a token once: of two requests racing with it, only one gets its row back.
_SPEND = (
    sa.update(tokens)
    .where(tokens.c.id == sa.bindparam("token_id"), tokens.c.revoked_at.is_(None))
    .values(revoked_at=sa.bindparam("now", type_=UTCDateTime()))
    .returning(tokens.c.id)
)
_REVOKE = (
    sa.update(tokens).where(tokens.c.revoked_at.is_(None)).values(revoked_at=sa.bindparam("now", type_=UTCDateTime()))
)
_REVOKE_FAMILY = _REVOKE.where(tokens.c.family_id == sa.bindparam("family_id_"))
_REVOKE_USER = _REVOKE.where(tokens.c.user_id == sa.bindparam("user_id_"))
_family = tokens.alias("family")
_REVOKE_FAMILY_OF_TOKEN = _REVOKE.where(
    tokens.c.family_id
    == sa.select(_family.c.family_id).where(_family.c.token_hash == sa.bindparam("token_hash_")).scalar_subquery()
)

_THROTTLE = sa.select(throttle.c.unlocks_at).where(throttle.c.account_key == sa.bindparam("key"))
_CLEAR_THROTTLE = sa.delete(throttle).where(throttle.c.account_key == sa.bindparam("key"))


def _count_failure(insert: Any) -> sa.Insert:
    """One more failure of an account, in one atomic statement: the first one of a window starts
    it; the one that reaches the limit locks the account until `lock_end`."""
    now, lock_end = sa.bindparam("now", type_=UTCDateTime()), sa.bindparam("lock_end", type_=UTCDateTime())
    stale = throttle.c.window_started_at <= sa.bindparam("window_start", type_=UTCDateTime())
    failures = sa.case((stale, 1), else_=throttle.c.failures + 1)
    statement = insert(throttle).values(
        account_key=sa.bindparam("key"), failures=1, window_started_at=now, unlocks_at=sa.bindparam("first_lock")
    )
    return statement.on_conflict_do_update(
        index_elements=[throttle.c.account_key],
        set_={
            "failures": failures,
            "window_started_at": sa.case((stale, now), else_=throttle.c.window_started_at),
            "unlocks_at": sa.case((failures >= sa.bindparam("max_failures"), lock_end), else_=sa.null()),
        },
    )


# INSERT ... ON CONFLICT is spelled alike by both engines, but built by each dialect's own insert().
_COUNT_FAILURE = {"postgresql": _count_failure(postgresql.insert), "sqlite": _count_failure(sqlite.insert)}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _verify(password: str, password_hash: str | None) -> bool:
    """Whether `password` matches; without a hash (no such user) a dummy one is verified, so the
    answer takes the same time. The dummy is made by the first check, whichever it is, so that
    even the first answer's time tells nothing."""
    dummy = utils.dummy_password_hash()
    valid = utils.verify_password(password, password_hash or dummy)
    return valid and password_hash is not None


# ---------------------------------------------------------------- users


async def get_by_id(connection: AsyncConnection, user_id: EntityId) -> Mapping[str, Any] | None:
    result = await connection.execute(_USER_BY_ID, {"user_id_": user_id})
    return result.mappings().one_or_none()


async def create_user(
    connection: AsyncConnection,
    email: str,
    password_hash: str,
    *,
    is_superuser: bool = False,
    is_active: bool = True,
) -> Mapping[str, Any]:
    """A new user (the row without its hash); 409 when the email is taken. `email` is stored as
    given: `inputs.Email` has lowercased it."""
    values = {"email": email, "password_hash": password_hash, "is_active": is_active, "is_superuser": is_superuser}
    try:
        result = await connection.execute(_INSERT_USER, values)
    except IntegrityError as error:
        if dialect.unique_violation_columns(error, users) is not None:
            details = [ErrorDetail(field="email", message="This email is already taken")]
            raise exceptions.EmailTakenError(details=details) from error
        raise
    return result.mappings().one()


async def register(connection: AsyncConnection, email: str, password: str) -> Mapping[str, Any]:
    password_hash = await asyncio.to_thread(utils.hash_password, password)
    return await create_user(connection, email, password_hash)


async def promote(connection: AsyncConnection, email: str) -> Mapping[str, Any] | None:
    """Make an existing user an active superuser; None when there is none with this email."""
    result = await connection.execute(_PROMOTE, {"email_": email})
    return result.mappings().one_or_none()


async def set_active(
    connection: AsyncConnection, user_id: EntityId, active: bool, acting_user_id: Any
) -> Mapping[str, Any]:
    """(De)activate a user; deactivating also revokes their refresh tokens (their access tokens
    are refused from the next request on, as an inactive user's)."""
    if not active and user_id == acting_user_id:
        raise exceptions.DeactivateSelfError
    result = await connection.execute(_SET_ACTIVE, {"user_id_": user_id, "active": active})
    row = result.mappings().one_or_none()
    if row is None:
        raise exceptions.UserNotFoundError
    if not active:
        await connection.execute(_REVOKE_USER, {"user_id_": user_id, "now": _now()})
    return row


async def list_page(
    connection: AsyncConnection, params: UserListParams
) -> tuple[Sequence[Mapping[str, Any]], str | None]:
    try:
        return await queries.fetch_page(
            connection,
            _READ,
            users,
            sort=params.sort,
            filters=_filters(params),
            limit=params.limit,
            offset=params.offset,
            cursor=params.cursor,
        )
    except queries.CursorError as error:
        # Well-formed text that points at no page of this list: like an unknown id, a 404.
        details = [ErrorDetail(field="cursor", message=str(error))]
        raise NotFoundError("No page at this cursor", details=details) from error


async def count(connection: AsyncConnection, params: UserListParams) -> int:
    return await queries.count(connection, users, _filters(params))


_PAGING = frozenset(UserPaging.model_fields)


def _filters(params: UserListParams) -> dict[str, Any]:
    return params.model_dump(exclude_none=True, exclude=_PAGING)


# ---------------------------------------------------------------- passwords and throttling


async def _check_throttle(connection: AsyncConnection, key: str, now: dt.datetime) -> bool:
    """429 while the account is locked; otherwise whether it has failures on record."""
    result = await connection.execute(_THROTTLE, {"key": key})
    row = result.one_or_none()
    if row is not None and row.unlocks_at is not None and row.unlocks_at > now:
        raise exceptions.TooManyAttemptsError((row.unlocks_at - now).total_seconds())
    return row is not None


async def _count_failure_of(connection: AsyncConnection, key: str, now: dt.datetime) -> None:
    lock_end = now + dt.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
    parameters = {
        "key": key,
        "now": now,
        "window_start": now - dt.timedelta(minutes=settings.LOGIN_LOCK_MINUTES),
        "lock_end": lock_end,
        "first_lock": lock_end if settings.LOGIN_MAX_FAILURES <= 1 else None,
        "max_failures": settings.LOGIN_MAX_FAILURES,
    }
    await connection.execute(_COUNT_FAILURE[connection.dialect.name], parameters)


async def _check_password(
    connection: AsyncConnection, key: str, password: str, password_hash: str | None, error: Exception
) -> None:
    """Verify a password of the account `key`, throttled: 429 while it is locked; a failure is
    counted and raises `error` (which the route answers without rolling the count back)."""
    now = _now()
    has_failures = await _check_throttle(connection, key, now)
    if not await asyncio.to_thread(_verify, password, password_hash):
        await _count_failure_of(connection, key, now)
        raise error
    if has_failures:
        await connection.execute(_CLEAR_THROTTLE, {"key": key})


async def login(connection: AsyncConnection, email: str, password: str) -> dict[str, str]:
    """A new token pair (a new family) for the right email and password. An unknown email and a
    wrong password take the same time and raise the same InvalidCredentialsError."""
    result = await connection.execute(_CREDENTIALS, {"email_": email})
    row = result.one_or_none()
    password_hash = row.password_hash if row is not None else None
    error = exceptions.InvalidCredentialsError()
    await _check_password(connection, utils.account_key(email), password, password_hash, error)
    # Past the check the row exists: no password matches an unknown email.
    if not row.is_active:
        raise exceptions.InactiveUserError
    return await _issue_tokens(connection, row.id, uuid.uuid4())


async def change_password(
    connection: AsyncConnection, user: Mapping[str, Any], current_password: str, new_password: str
) -> None:
    """Set a new password when the current one is right (throttled like a login), and revoke
    every refresh token of the user: each session must sign in again."""
    result = await connection.execute(_PASSWORD_HASH, {"user_id_": user["id"]})
    key = utils.account_key(user["email"])
    await _check_password(connection, key, current_password, result.scalar_one(), exceptions.WrongPasswordError())
    password_hash = await asyncio.to_thread(utils.hash_password, new_password)
    await connection.execute(_SET_PASSWORD, {"user_id_": user["id"], "hash": password_hash})
    await connection.execute(_REVOKE_USER, {"user_id_": user["id"], "now": _now()})


# ---------------------------------------------------------------- tokens


async def _issue_tokens(connection: AsyncConnection, user_id: Any, family_id: uuid.UUID) -> dict[str, str]:
    refresh_token = utils.new_refresh_token()
    values = {
        "token_hash": utils.digest(refresh_token),
        "user_id": user_id,
        "family_id": family_id,
        "expires_at": _now() + dt.timedelta(days=settings.REFRESH_TOKEN_DAYS),
    }
    await connection.execute(_INSERT_TOKEN, values)
    return {
        "access_token": utils.create_access_token(user_id),
        "refresh_token": refresh_token,
        "token_type": constants.TOKEN_TYPE,
    }


async def refresh(connection: AsyncConnection, refresh_token: str) -> dict[str, str]:
    """Spend a refresh token for a new pair in the same family. A token spent before is a sign
    it was stolen: the whole family is revoked (the raised error's answer keeps that)."""
    now = _now()
    result = await connection.execute(_TOKEN_BY_HASH, {"token_hash_": utils.digest(refresh_token)})
    row = result.one_or_none()
    if row is None:
        raise exceptions.InvalidRefreshTokenError
    if row.revoked_at is not None:
        await connection.execute(_REVOKE_FAMILY, {"family_id_": row.family_id, "now": now})
        raise exceptions.InvalidRefreshTokenError
    if row.expires_at <= now:
        raise exceptions.InvalidRefreshTokenError
    if not row.is_active:
        raise exceptions.InactiveUserError
    spent = await connection.execute(_SPEND, {"token_id": row.id, "now": now})
    if spent.first() is None:
        # Another request spent it since it was read: a reuse all the same.
        await connection.execute(_REVOKE_FAMILY, {"family_id_": row.family_id, "now": now})
        raise exceptions.InvalidRefreshTokenError
    return await _issue_tokens(connection, row.user_id, row.family_id)


async def logout(connection: AsyncConnection, refresh_token: str) -> None:
    """Revoke the token's family (this session's tokens); an unknown token changes nothing."""
    await connection.execute(_REVOKE_FAMILY_OF_TOKEN, {"token_hash_": utils.digest(refresh_token), "now": _now()})
