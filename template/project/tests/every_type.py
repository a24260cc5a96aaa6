"""A domain made for the shared tests only: a field of every type, each as a generated domain
declares it, and the routes every domain has. Its tables live in their own metadata (never in the
migrations), made in the test database once per run.

What every domain shares (`src/db/lists.py`, `src/db/crud.py`, `src/db/conflicts.py`, `src/core/inputs.py`,
`src/web/idempotency.py`) is tested against it once, in tests/test_lists.py, tests/test_refusals.py,
tests/test_crud.py and tests/test_idempotency.py, so a domain's own tests hold only what is its own.
"""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Response, status
from pydantic import Field
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from src.core import inputs
from src.core.schemas import (
    Decimal2,
    EntityId,
    EntityIdParam,
    PageBase,
    PatchSchema,
    ReadSchema,
    RequestSchema,
    RowId,
    UTCDatetime,
)
from src.database import NAMING_CONVENTION, DbConnection, ReadConnection
from src.db.crud import Crud
from src.db.dialect import UTCDateTime
from src.db.lists import Filter, ListSettings, list_params
from src.exceptions import NotFoundError, register_exception_handlers
from src.models import IdMixin, TimestampMixin
from src.web import operation_ids
from src.web.idempotency import Idempotent
from src.web.json_body import JsonBody


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Parent(IdMixin, TimestampMixin, Base):
    __tablename__ = "every_type_parent"

    name: Mapped[str] = mapped_column(sa.String(40))


class Row(IdMixin, TimestampMixin, Base):
    __tablename__ = "every_type"
    __table_args__ = (sa.CheckConstraint(sa.column("status").in_(["draft", "paid"]), name="status"),)

    name: Mapped[str] = mapped_column(sa.String(40), unique=True)
    note: Mapped[str | None] = mapped_column(sa.Text())
    quantity: Mapped[int | None] = mapped_column(sa.Integer())
    ratio: Mapped[float | None] = mapped_column(sa.Float())
    price: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    active: Mapped[bool | None] = mapped_column(sa.Boolean())
    start_date: Mapped[dt.date | None] = mapped_column(sa.Date())
    seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    token: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid())
    extra: Mapped[dict[str, Any] | list[Any] | None] = mapped_column(sa.JSON())
    email: Mapped[str | None] = mapped_column(sa.String(254))
    website: Mapped[str | None] = mapped_column(sa.String(2048))
    status: Mapped[str | None] = mapped_column(sa.String(5))
    parent_id: Mapped[Any] = mapped_column(
        Parent.__table__.c.id.type, sa.ForeignKey("every_type_parent.id"), index=True, nullable=True
    )


table: sa.Table = Row.__table__  # type: ignore[assignment]
parents: sa.Table = Parent.__table__  # type: ignore[assignment]


class RowCreate(RequestSchema):
    name: Annotated[inputs.Text, Field(min_length=1, max_length=40, examples=["Ada Lovelace"])]
    note: Annotated[inputs.Text, Field(min_length=1, max_length=10000)] | None = None
    quantity: Annotated[inputs.Integer, Field(ge=-(2**31), le=2**31 - 1), inputs.Whole] | None = None
    ratio: inputs.Number | None = None
    price: inputs.Numeric | None = None
    active: inputs.Boolean | None = None
    start_date: inputs.Date | None = None
    seen_at: inputs.Datetime | None = None
    token: inputs.Uuid | None = None
    extra: inputs.JsonDocument | None = None
    email: inputs.Email | None = None
    website: inputs.Url | None = None
    status: Literal["draft", "paid"] | None = None
    parent_id: EntityId | None = None


class RowUpdate(PatchSchema):
    name: Annotated[inputs.Text, Field(min_length=1, max_length=40)] = None
    note: Annotated[inputs.Text, Field(min_length=1, max_length=10000)] | None = None
    quantity: Annotated[inputs.Integer, Field(ge=-(2**31), le=2**31 - 1), inputs.Whole] | None = None
    ratio: inputs.Number | None = None
    price: inputs.Numeric | None = None
    active: inputs.Boolean | None = None
    start_date: inputs.Date | None = None
    seen_at: inputs.Datetime | None = None
    token: inputs.Uuid | None = None
    extra: inputs.JsonDocument | None = None
    email: inputs.Email | None = None
    website: inputs.Url | None = None
    status: Literal["draft", "paid"] | None = None
    parent_id: EntityId | None = None


class ParentRow(ReadSchema):
    name: str


class RowRead(ReadSchema):
    name: str
    note: str | None
    quantity: int | None
    ratio: float | None
    price: Decimal2 | None
    active: bool | None
    start_date: dt.date | None
    seen_at: UTCDatetime | None
    token: uuid.UUID | None
    extra: dict[str, Any] | list[Any] | None
    email: str | None
    website: str | None
    status: Literal["draft", "paid"] | None
    parent_id: RowId | None
    parent: ParentRow | None


class RowPage(PageBase):
    items: list[RowRead]


class ParentPage(PageBase):
    items: list[ParentRow]


# As a generated domain declares them (see its constants.py): every type filters as it can.
FILTERS = {
    "name": Filter.EXACT | Filter.IN | Filter.SEARCH,
    "note": Filter.EXACT | Filter.SEARCH,
    "quantity": Filter.EXACT | Filter.RANGE | Filter.IN,
    "ratio": Filter.EXACT | Filter.RANGE,
    "price": Filter.EXACT | Filter.RANGE,
    "active": Filter.EXACT,
    "start_date": Filter.EXACT | Filter.RANGE,
    "seen_at": Filter.EXACT | Filter.RANGE,
    "token": Filter.EXACT,
    "email": Filter.EXACT | Filter.SEARCH,
    "website": Filter.EXACT | Filter.SEARCH,
    "status": Filter.EXACT | Filter.IN,
    "parent_id": Filter.EXACT | Filter.IN,
}
SORT_FIELDS = tuple(name for name in FILTERS if name not in ("note", "parent_id"))
settings = ListSettings(PAGE_SIZE_DEFAULT=50, PAGE_SIZE_MAX=100, OFFSET_MAX=10_000)
RowListParams = list_params(RowCreate, FILTERS, SORT_FIELDS, settings)


rows = Crud(table, RowRead, RowPage, refs={"parent_id": parents})
parent_rows = Crud(parents, ParentRow, ParentPage)

URL = "/every_types"
RowId_ = Annotated[EntityIdParam, Path(description="Id of the row")]
router = APIRouter(prefix=URL, tags=["every_types"], generate_unique_id_function=operation_ids.without("rows", "row"))


async def valid_row(row_id: RowId_, connection: ReadConnection) -> JsonBody:
    row = await rows.get_json(connection, row_id)
    if row is None:
        raise NotFoundError("No such row")
    return row


@router.get("", response_model=RowPage)
async def list_rows(connection: ReadConnection, params: Annotated[RowListParams, Query()]) -> JsonBody:
    return await rows.page_json(connection, params)


@router.post("", response_model=RowRead, status_code=status.HTTP_201_CREATED)
async def create_row(connection: DbConnection, data: RowCreate, idempotent: Idempotent) -> RowRead | Response:
    return await idempotent(connection, data, lambda: rows.insert(connection, data.model_dump()))


@router.get("/{row_id}", response_model=RowRead)
async def get_row(row: Annotated[JsonBody, Depends(valid_row)]) -> JsonBody:
    return row


@router.patch("/{row_id}", response_model=RowRead)
async def update_row(connection: DbConnection, row_id: RowId_, data: RowUpdate) -> RowRead:
    row = await rows.update(connection, row_id, data.model_dump(exclude_unset=True))
    if row is None:
        raise NotFoundError("No such row")
    return row


@router.delete("/{row_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_row(connection: DbConnection, row_id: RowId_) -> None:
    if not await rows.delete(connection, row_id):
        raise NotFoundError("No such row")


def make_app() -> FastAPI:
    """An app with these routes only, answering errors as the service does."""
    app = FastAPI()
    register_exception_handlers(app)
    app.include_router(router)
    return app
