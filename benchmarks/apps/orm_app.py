"""The common case: the two reads as FastAPI's SQL tutorials write them with the async ORM.

A session per request from `Depends(get_session)`, the mapped classes of the generated tables,
`selectinload` for the customer, and nested Pydantic `response_model`s read from the objects
(`from_attributes`). The engine keeps SQLAlchemy's defaults, as the tutorials do. The JSON is the
generated service's; the list counts the rows with its own query when BENCH_TOTAL=exact (the
default) and answers `"total": null` when BENCH_TOTAL=none.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/db uvicorn orm_app:app --app-dir benchmarks/apps
"""

import datetime as dt
import os
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query
from pydantic import BaseModel, ConfigDict, PlainSerializer
from sqlalchemy import ForeignKey, Numeric, String, Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

DATABASE_URL = os.environ["BENCH_DATABASE_URL"].replace("postgresql://", "postgresql+asyncpg://", 1)
EXACT_TOTAL = os.environ.get("BENCH_TOTAL", "exact") == "exact"

engine = create_async_engine(DATABASE_URL)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class Order(Base):
    __tablename__ = "order"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    customer: Mapped[Customer] = relationship()


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


# The generated service's timestamps: UTC, six decimals, a `Z`.
Timestamp = Annotated[dt.datetime, PlainSerializer(_utc, return_type=str)]


class CustomerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: Timestamp
    updated_at: Timestamp
    name: str
    email: str


class OrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: Timestamp
    updated_at: Timestamp
    customer_id: int
    amount: Decimal
    note: str | None
    customer: CustomerRead


class OrderPage(BaseModel):
    total: int | None
    limit: int
    offset: int
    items: list[OrderRead]


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
app = FastAPI()


@app.get("/orders/{order_id}", response_model=OrderRead)
async def read_order(order_id: int, session: SessionDep) -> Any:
    order = await session.get(Order, order_id, options=[selectinload(Order.customer)])
    if order is None:
        raise HTTPException(status_code=404, detail="Order not found")
    return order


@app.get("/orders", response_model=OrderPage)
async def read_orders(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Any:
    total = await session.scalar(select(func.count()).select_from(Order)) if EXACT_TOTAL else None
    statement = select(Order).options(selectinload(Order.customer)).order_by(Order.id).offset(offset).limit(limit)
    orders = (await session.scalars(statement)).all()
    return {"total": total, "limit": limit, "offset": offset, "items": orders}
