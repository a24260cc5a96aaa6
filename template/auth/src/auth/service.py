"""Data access of the auth domain, in SQLAlchemy Core: users, refresh tokens, login throttling.

Statements are built once, at import. Times are the app server's clock in UTC, as the tokens'
expiry is. Hashing and verifying passwords run in the argon2 threads (see `utils`).
"""

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from src.auth import constants, exceptions, utils
from src.auth.config import settings
from src.auth.models import login_throttle_table as throttle
from src.auth.models import refresh_token_table as tokens
from src.auth.models import user_table as users
from src.auth.schemas import UserListParams, UserPaging
from src.core.schemas import EntityId, ErrorDetail
from src.db import dialect, queries
from src.db.dialect import UTCDateTime
from src.exceptions import NotFoundError

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
# An existing user made (or kept) an active superuser with a new password; only a superuser
# already, unless `promote` says an ordinary account may be promoted.
_MAKE_SUPERUSER = (
    sa.update(users)
    .where(
        users.c.email == sa.bindparam("email_"),
        sa.or_(users.c.is_superuser, sa.bindparam("promote", type_=sa.Boolean())),
    )
    .values(is_superuser=True, is_active=True, password_hash=sa.bindparam("hash"))
    .returning(*_READ.selected_columns)
)
_IS_SUPERUSER = sa.select(users.c.is_superuser).where(users.c.email == sa.bindparam("email_"))

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

_THROTTLE = sa.select(throttle.c.key, throttle.c.failures, throttle.c.last_failure_at).where(
    throttle.c.key.in_(sa.bindparam("keys", expanding=True))
)
_CLEAR_THROTTLE = sa.delete(throttle).where(throttle.c.key.in_(sa.bindparam("keys", expanding=True)))
_FORGET_OLD_FAILURES = sa.delete(throttle).where(
    throttle.c.last_failure_at <= sa.bindparam("forget_before", type_=UTCDateTime())
)


def _count_failure(insert: Any) -> sa.Insert:
    """One more failure of a key, in one atomic statement: the first one after the earlier ones
    were forgotten starts the count again."""
    now = sa.bindparam("now", type_=UTCDateTime())
    forgotten = throttle.c.last_failure_at <= sa.bindparam("forget_before", type_=UTCDateTime())
    statement = insert(throttle).values(key=sa.bindparam("key"), failures=1, last_failure_at=now)
    return statement.on_conflict_do_update(
        index_elements=[throttle.c.key],
        set_={"failures": sa.case((forgotten, 1), else_=throttle.c.failures + 1), "last_failure_at": now},
    )


# INSERT ... ON CONFLICT is spelled alike by both engines, but built by each dialect's own insert().
_COUNT_FAILURE = {"postgresql": _count_failure(postgresql.insert), "sqlite": _count_failure(sqlite.insert)}
# A new user, or nothing when the email is taken: registration answers the same either way.
_INSERT_NEW_USER = {
    name: insert(users).on_conflict_do_nothing(index_elements=[users.c.email])
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}


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


async def register(connection: AsyncConnection, email: str, password: str) -> None:
    """A new active user, or nothing when the email is taken: both cost one hash and one
    statement, so neither the answer nor its time tells whether the email was registered."""
    password_hash = await utils.in_hash_thread(utils.hash_password, password)
    values = {"email": email, "password_hash": password_hash, "is_active": True, "is_superuser": False}
    await connection.execute(_INSERT_NEW_USER[connection.dialect.name], values)


async def is_superuser(connection: AsyncConnection, email: str) -> bool | None:
    """Whether the user with this email is a superuser; None when there is none."""
    return (await connection.execute(_IS_SUPERUSER, {"email_": email})).scalar_one_or_none()


async def make_superuser(
    connection: AsyncConnection, email: str, password_hash: str, *, promote: bool
) -> Mapping[str, Any] | None:
    """Give the superuser with this email the new password (and, with `promote`, make an
    ordinary user one), signing out their sessions; None when there is no such user."""
    values = {"email_": email, "hash": password_hash, "promote": promote}
    row = (await connection.execute(_MAKE_SUPERUSER, values)).mappings().one_or_none()
    if row is not None:
        await connection.execute(_REVOKE_USER, {"user_id_": row["id"], "now": _now()})
    return row


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


def delay_after(failures: int, free: int) -> float:
    """Seconds the next attempt waits after `failures` of a key allowed `free` ones: none, then
    1, 2, 4, ... up to LOGIN_DELAY_MAX_SECONDS."""
    if failures < free:
        return 0.0
    return float(min(settings.LOGIN_DELAY_MAX_SECONDS, 2 ** min(failures - free, 16)))


async def _wait_if_throttled(connection: AsyncConnection, limits: Mapping[str, int], now: dt.datetime) -> None:
    """429 (with the seconds to wait) while any key of `limits` ({key: failures allowed before a
    delay}) has failed too often lately. A refused attempt is not counted: it checked nothing."""
    forget_before = now - dt.timedelta(minutes=settings.LOGIN_FAILURES_FORGOTTEN_MINUTES)
    result = await connection.execute(_THROTTLE, {"keys": list(limits)})
    wait = max(
        (
            (row.last_failure_at - now).total_seconds() + delay_after(row.failures, limits[row.key])
            for row in result
            if row.last_failure_at > forget_before
        ),
        default=0.0,
    )
    if wait > 0:
        raise exceptions.TooManyAttemptsError(wait)


async def _count_failure_of(connection: AsyncConnection, keys: Sequence[str], now: dt.datetime) -> None:
    """One more failure of each key; failures older than the memory are forgotten first."""
    forget_before = now - dt.timedelta(minutes=settings.LOGIN_FAILURES_FORGOTTEN_MINUTES)
    await connection.execute(_FORGET_OLD_FAILURES, {"forget_before": forget_before})
    parameters = [{"key": key, "now": now, "forget_before": forget_before} for key in keys]
    await connection.execute(_COUNT_FAILURE[connection.dialect.name], parameters)


def login_limits(email: str, address: str) -> dict[str, int]:
    """The throttle's keys of a sign-in, and the failures each allows before a delay: the
    account from this address, the account from anywhere, and this address for any account."""
    return {
        utils.throttle_key("login", email, address): settings.LOGIN_DELAY_AFTER,
        utils.throttle_key("login", email): settings.LOGIN_DELAY_AFTER_SHARED,
        utils.throttle_key("address", address): settings.LOGIN_DELAY_AFTER_SHARED,
    }


async def login(connection: AsyncConnection, email: str, password: str, address: str) -> dict[str, str]:
    """A new token pair (a new family) for the right email and password of an active user, from
    the client at `address`. An unknown email, a wrong password and a deactivated account take
    the same time, count as the same failure and raise the same InvalidCredentialsError (which
    the route answers without rolling the count back)."""
    now, limits = _now(), login_limits(email, address)
    await _wait_if_throttled(connection, limits, now)
    row = (await connection.execute(_CREDENTIALS, {"email_": email})).one_or_none()
    valid = await utils.in_hash_thread(_verify, password, row.password_hash if row is not None else None)
    if not valid or not row.is_active:
        await _count_failure_of(connection, list(limits), now)
        raise exceptions.InvalidCredentialsError
    # The account's failures are forgotten; the address keeps its own (a success proves nothing
    # about the other accounts tried from it).
    await connection.execute(_CLEAR_THROTTLE, {"keys": list(limits)[:2]})
    return await _issue_tokens(connection, row.id, uuid.uuid4())


async def change_password(
    connection: AsyncConnection, user: Mapping[str, Any], current_password: str, new_password: str
) -> None:
    """Set a new password when the current one is right, and revoke every refresh token of the
    user: each session must sign in again. Wrong current passwords are throttled on a key of
    their own, so a token's holder guessing them never delays the user's sign-ins."""
    now, key = _now(), utils.throttle_key("password", user["id"])
    await _wait_if_throttled(connection, {key: settings.LOGIN_DELAY_AFTER}, now)
    result = await connection.execute(_PASSWORD_HASH, {"user_id_": user["id"]})
    if not await utils.in_hash_thread(_verify, current_password, result.scalar_one()):
        await _count_failure_of(connection, [key], now)
        raise exceptions.WrongPasswordError
    await connection.execute(_CLEAR_THROTTLE, {"keys": [key]})
    password_hash = await utils.in_hash_thread(utils.hash_password, new_password)
    await connection.execute(_SET_PASSWORD, {"user_id_": user["id"], "hash": password_hash})
    await connection.execute(_REVOKE_USER, {"user_id_": user["id"], "now": now})


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
    if row.expires_at <= now or not row.is_active:
        raise exceptions.InvalidRefreshTokenError
    spent = await connection.execute(_SPEND, {"token_id": row.id, "now": now})
    if spent.first() is None:
        # Another request spent it since it was read: a reuse all the same.
        await connection.execute(_REVOKE_FAMILY, {"family_id_": row.family_id, "now": now})
        raise exceptions.InvalidRefreshTokenError
    return await _issue_tokens(connection, row.user_id, row.family_id)


async def logout(connection: AsyncConnection, refresh_token: str) -> None:
    """Revoke the token's family (this session's tokens); an unknown token changes nothing."""
    await connection.execute(_REVOKE_FAMILY_OF_TOKEN, {"token_hash_": utils.digest(refresh_token), "now": _now()})
