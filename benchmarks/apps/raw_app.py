"""The ceiling: the generated service's two reads written by hand with Starlette and asyncpg.

GET /orders/{id} and GET /orders?limit=&offset= answer the same JSON as the generated service
(its key order, datetimes in UTC with six decimals and a `Z`, amounts as strings with two places). One statement
per request from asyncpg's default pool; the list pages the keys first and joins the customers
of those 50 rows only. With BENCH_TOTAL=exact (the default) the page carries the exact `total`,
counted in the same statement; with BENCH_TOTAL=none it is null, as the generated service's is
unless a client asks for it. Neither reference app pages by cursor (no `next`).

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/db uvicorn raw_app:app --app-dir benchmarks/apps
"""

import datetime as dt
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

DATABASE_URL = os.environ["BENCH_DATABASE_URL"]
EXACT_TOTAL = os.environ.get("BENCH_TOTAL", "exact") == "exact"
PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX = 50, 100
BIGINT_MAX = 2**63 - 1

ONE = """
SELECT o.id, o.created_at, o.updated_at, o.customer_id, o.amount, o.note,
       c.created_at AS customer_created_at, c.updated_at AS customer_updated_at, c.name, c.email
FROM "order" o JOIN customer c ON c.id = o.customer_id
WHERE o.id = $1
"""
PAGE = """
SELECT o.id, o.created_at, o.updated_at, o.customer_id, o.amount, o.note,
       c.created_at AS customer_created_at, c.updated_at AS customer_updated_at, c.name, c.email
FROM (SELECT * FROM "order" ORDER BY id LIMIT $1 OFFSET $2) o JOIN customer c ON c.id = o.customer_id
ORDER BY o.id
"""
# The same page with the exact total as a column: an InitPlan, counted once per statement.
COUNTED_PAGE = """
SELECT (SELECT count(*) FROM "order") AS total,
       o.id, o.created_at, o.updated_at, o.customer_id, o.amount, o.note,
       c.created_at AS customer_created_at, c.updated_at AS customer_updated_at, c.name, c.email
FROM (SELECT * FROM "order" ORDER BY id LIMIT $1 OFFSET $2) o JOIN customer c ON c.id = o.customer_id
ORDER BY o.id
"""
COUNT = 'SELECT count(*) FROM "order"'


def utc(value: dt.datetime) -> str:
    text = value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def order_json(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "created_at": utc(row["created_at"]),
        "updated_at": utc(row["updated_at"]),
        "customer_id": row["customer_id"],
        "amount": str(row["amount"]),
        "note": row["note"],
        "customer": {
            "id": row["customer_id"],
            "created_at": utc(row["customer_created_at"]),
            "updated_at": utc(row["customer_updated_at"]),
            "name": row["name"],
            "email": row["email"],
        },
    }


def error(status: int, code: str, message: str) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": None, "request_id": None}}
    return JSONResponse(body, status_code=status)


async def get_order(request: Request) -> JSONResponse:
    order_id = request.path_params["order_id"]
    row = await request.app.state.pool.fetchrow(ONE, order_id) if 1 <= order_id <= BIGINT_MAX else None
    if row is None:
        return error(404, "not_found", "Order not found")
    return JSONResponse(order_json(row))


async def list_orders(request: Request) -> JSONResponse:
    try:
        limit = int(request.query_params.get("limit", PAGE_SIZE_DEFAULT))
        offset = int(request.query_params.get("offset", 0))
    except ValueError:
        return error(422, "validation_error", "limit and offset must be integers")
    if not 1 <= limit <= PAGE_SIZE_MAX or not 0 <= offset <= BIGINT_MAX:
        return error(422, "validation_error", f"limit must be 1-{PAGE_SIZE_MAX}, offset 0 or more")
    pool = request.app.state.pool
    rows = await pool.fetch(COUNTED_PAGE if EXACT_TOTAL else PAGE, limit, offset)
    total = (rows[0]["total"] if rows else await pool.fetchval(COUNT)) if EXACT_TOTAL else None
    return JSONResponse({"total": total, "limit": limit, "offset": offset, "items": [order_json(row) for row in rows]})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(DATABASE_URL)
    try:
        yield
    finally:
        await app.state.pool.close()


app = Starlette(
    routes=[Route("/orders", list_orders), Route("/orders/{order_id:int}", get_order)],
    lifespan=lifespan,
)
