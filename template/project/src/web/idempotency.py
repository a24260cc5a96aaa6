"""Safe retries of create requests: the `Idempotency-Key` request header, as the IETF httpapi
draft "The Idempotency-Key HTTP Header Field" defines it.

A client that sends a key of its own (a UUID, say) with a POST may send the same request again
until it gets an answer, and the row is made once: the first success's status and body are
stored with the row, in the same transaction, and a retry with the same key (on the same route,
by the same user) gets them back. The same key with another body is a 422. An error stores
nothing (its transaction is rolled back), so a retry of it runs again. A key expires
IDEMPOTENCY_KEY_TTL seconds after its first use; then it is new again. Without the header a
request is served as always.

Two requests with one key at once: the key's row is written before the create runs, and the
primary key (route, user, key) makes the second wait for the first to commit, then replay its
answer (or take the key over if the first failed): never two rows, and no error to retry.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Header, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from src.config import settings
from src.core.schemas import ErrorDetail, ErrorResponse
from src.db.dialect import UTCDateTime
from src.exceptions import DomainError
from src.models import IdempotencyKey

T = TypeVar("T")

HEADER = "Idempotency-Key"
# The draft sets no limit; a key is an identifier, not a payload.
MAX_KEY_LENGTH = 255
# Expired keys deleted by each request that sends a key: enough to keep up, never a long delete.
PRUNE_BATCH = 100

keys: sa.Table = IdempotencyKey.__table__  # type: ignore[assignment]
_cutoff = sa.bindparam("cutoff", type_=UTCDateTime())
# One key's row. "route_", "user_" and "key_" are not column names: an UPDATE sets the columns named
# by its parameters.
_key_row = (
    (keys.c.route == sa.bindparam("route_"))
    & (keys.c.user_id == sa.bindparam("user_"))
    & (keys.c.key == sa.bindparam("key_"))
)


def _claim(insert: Any) -> sa.Insert:
    """The key's row, new or taken over from an expired one, returned when this request holds it;
    nothing when a live one exists (after its transaction ends, if it is still running)."""
    statement = insert(keys)
    return statement.on_conflict_do_update(
        index_elements=[keys.c.route, keys.c.user_id, keys.c.key],
        set_={"fingerprint": statement.excluded.fingerprint, "created_at": statement.excluded.created_at},
        where=keys.c.created_at < _cutoff,
    ).returning(keys.c.key)


# INSERT ... ON CONFLICT is spelled alike by both engines, but built by each dialect's own insert().
_CLAIM = {"postgresql": _claim(postgresql.insert), "sqlite": _claim(sqlite.insert)}
_STORED = sa.select(keys.c.fingerprint, keys.c.response_status, keys.c.response_body).where(_key_row)
_SAVE = sa.update(keys).where(_key_row)
# Rows another request is deleting are skipped (PostgreSQL), so no request waits for another here.
_PRUNE = sa.delete(keys).where(
    sa.tuple_(keys.c.route, keys.c.user_id, keys.c.key).in_(
        sa.select(keys.c.route, keys.c.user_id, keys.c.key)
        .where(keys.c.created_at < _cutoff)
        .limit(PRUNE_BATCH)
        .with_for_update(skip_locked=True)
    )
)


class KeyReusedError(DomainError):
    status_code = status.HTTP_422_UNPROCESSABLE_CONTENT
    code = "validation_error"
    message = f"This {HEADER} was sent before with a different request body; use a new key for a new request"

    def __init__(self) -> None:
        super().__init__(details=[ErrorDetail(field=HEADER, message="already used with a different body")])


class Idempotency:
    """A create route's key (None without the header), and the route it was sent to."""

    def __init__(self, key: str | None, route: str, status_code: int) -> None:
        self.key, self.route, self.status_code = key, route, status_code

    async def __call__(
        self, connection: AsyncConnection, data: BaseModel, create: Callable[[], Awaitable[T]], *, user: Any = None
    ) -> T | JSONResponse:
        """What `create()` returns, made once per key: a retry gets the stored answer instead.
        `user` is the signed-in user's id on routes that have one: keys are per user. A key costs
        three statements (prune, claim, save) besides the create's."""
        if self.key is None:
            return await create()
        user_id = "" if user is None else str(user)
        row = {"route_": self.route, "user_": user_id, "key_": self.key}
        fingerprint = hashlib.sha256(json.dumps(jsonable_encoder(data), sort_keys=True).encode()).hexdigest()
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL)
        await connection.execute(_PRUNE, {"cutoff": cutoff})
        claim = {"route": self.route, "user_id": user_id, "key": self.key, "fingerprint": fingerprint, "cutoff": cutoff}
        # A live key that expires and is pruned by another request meanwhile is claimed again.
        while (await connection.execute(_CLAIM[connection.dialect.name], claim)).first() is None:
            stored = (await connection.execute(_STORED, row)).first()
            if stored is None:
                continue
            if stored.fingerprint != fingerprint:
                raise KeyReusedError
            return JSONResponse(stored.response_body, status_code=stored.response_status)
        created = await create()
        answer = {"response_status": self.status_code, "response_body": jsonable_encoder(created)}
        await connection.execute(_SAVE, {**row, **answer})
        return created


async def _idempotency(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            min_length=1,
            max_length=MAX_KEY_LENGTH,
            description=(
                "A unique value of the client's (a UUID, say) that makes retrying this request safe: "
                "a retry with the same key gets the first answer again instead of creating a second row, "
                f"for {settings.IDEMPOTENCY_KEY_TTL} seconds. The same key with a different body is a 422."
            ),
        ),
    ] = None,
) -> Idempotency:
    # The key is the header's value as sent (the draft quotes it, "8e03..."; clients often do not).
    route = request.scope["route"]
    return Idempotency(key, f"{request.method} {route.path}", route.status_code)


# A create route's parameter: `return await idempotent(connection, data, lambda: service.create(...))`.
Idempotent = Annotated[Idempotency, Depends(_idempotency)]
# Its 422 says the key may be why.
IDEMPOTENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    status.HTTP_422_UNPROCESSABLE_CONTENT: {
        "model": ErrorResponse,
        "description": f"Invalid input, or an {HEADER} sent before with a different body",
    },
}
