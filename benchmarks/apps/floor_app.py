"""The floor: the least FastAPI can do for the generated service's two reads.

FastAPI routing with typed path and query parameters, an asyncpg pool, and the whole response
JSON built by PostgreSQL (`json_build_object`, `json_agg`) and handed back as it comes: no ORM,
no response model, no middleware. The JSON is the generated service's (its key order, timestamps
in UTC with six decimals and a `Z`, amounts as strings with two places); the list counts its
exact `total` in the same statement with BENCH_TOTAL=exact (the default) and answers null with
BENCH_TOTAL=none. Like the other reference apps it pages by offset only (no `next`).

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/db uvicorn floor_app:app --app-dir benchmarks/apps
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import asyncpg
from fastapi import FastAPI, Path, Query, Response
from fastapi.responses import JSONResponse

DATABASE_URL = os.environ["BENCH_DATABASE_URL"]
EXACT_TOTAL = os.environ.get("BENCH_TOTAL", "exact") == "exact"
PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX = 50, 100
BIGINT_MAX = 2**63 - 1


def _utc(column: str) -> str:
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


ORDER_JSON = f"""json_build_object(
    'id', o.id, 'created_at', {_utc("o.created_at")}, 'updated_at', {_utc("o.updated_at")},
    'customer_id', o.customer_id, 'amount', o.amount::text, 'note', o.note,
    'customer', json_build_object(
        'id', c.id, 'created_at', {_utc("c.created_at")}, 'updated_at', {_utc("c.updated_at")},
        'name', c.name, 'email', c.email))"""
ONE = f'SELECT {ORDER_JSON}::text FROM "order" o JOIN customer c ON c.id = o.customer_id WHERE o.id = $1'  # noqa: S608 - see PAGE
TOTAL = '(SELECT count(*) FROM "order")' if EXACT_TOTAL else "NULL"
# The page's keys first, then only those 50 rows joined and built.
PAGE = f"""
SELECT json_build_object('total', {TOTAL}, 'limit', $1::bigint, 'offset', $2::bigint,
                         'items', coalesce(json_agg(page.item ORDER BY page.id), '[]'))::text
FROM (
    SELECT o.id, {ORDER_JSON} AS item
    FROM (SELECT * FROM "order" ORDER BY id LIMIT $1 OFFSET $2) o JOIN customer c ON c.id = o.customer_id
) page
"""  # noqa: S608 - both statements are built from this module's constants only


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(DATABASE_URL)
    try:
        yield
    finally:
        await app.state.pool.close()


app = FastAPI(lifespan=lifespan)


def _json(body: str) -> Response:
    return Response(body.encode(), media_type="application/json")


@app.get("/orders/{order_id}")
async def get_order(order_id: Annotated[int, Path(ge=1, le=BIGINT_MAX)]) -> Response:
    body = await app.state.pool.fetchval(ONE, order_id)
    if body is None:
        error = {"code": "not_found", "message": "Order not found", "details": None, "request_id": None}
        return JSONResponse({"error": error}, status_code=404)
    return _json(body)


@app.get("/orders")
async def list_orders(
    limit: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = PAGE_SIZE_DEFAULT,
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
) -> Response:
    return _json(await app.state.pool.fetchval(PAGE, limit, offset))
