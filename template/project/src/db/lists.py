"""List endpoints, declared as data and handled once.

A domain says which fields filter how (`{"price": Filter.EXACT | Filter.RANGE}`) and which sort;
`list_params` builds its query model from the domain's create schema, so every filter value is
validated as the field itself is, and `fetch_page` runs it (see `src/db/queries.py`) and builds the
page. The query a list takes:

- `limit`, `offset`, `cursor` (a page's `next`), `sort` (`field` or `-field`), `total=true`;
- `FIELD` (exact), `FIELD__gt|gte|lt|lte` (a range), `FIELD__in=a,b` (one of a list);
- `q`, a case-insensitive substring of any of the searched fields.
"""

import enum
import json
import types
import typing
import uuid
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal

import sqlalchemy as sa
from annotated_types import Le, MaxLen
from pydantic import BaseModel, Field, create_model
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncConnection

from src.core import inputs
from src.core.schemas import ErrorDetail, RequestSchema
from src.db import queries
from src.exceptions import NotFoundError
from src.web.json_body import JsonBody


class Filter(enum.Flag):
    """How a field filters a list."""

    EXACT = enum.auto()  # FIELD=value
    RANGE = enum.auto()  # FIELD__gt, __gte, __lt, __lte
    IN = enum.auto()  # FIELD__in=a,b
    SEARCH = enum.auto()  # q: a case-insensitive substring of this or another searched field


RANGES = ("gt", "gte", "lt", "lte")
# Columns every table has, always sortable.
ALWAYS_SORTABLE = ("id", "created_at", "updated_at")
SEARCH_MAX_LENGTH = 255
# A filter's text is at most this long (a list's, all its values together), however long its
# column's values may be: percent-encoded, two such values of 4-byte characters would make a URL
# past 64 KB, which the server refuses before the app sees it (not in the error shape). Search
# for a substring of a longer value with `q`.
QUERY_TEXT_MAX_LENGTH = 4096
# Longer than any cursor a list hands out: the sort, one value (at most 255 characters) and an
# id, base64-encoded.
CURSOR_MAX_LENGTH = 4096


class ListSettings(BaseSettings):
    """Page sizes of a domain's lists; each domain reads its own `<DOMAIN>_*` variables."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    PAGE_SIZE_DEFAULT: int = 50
    PAGE_SIZE_MAX: int = 100
    # Deeper pages cost a scan of every skipped row: past this, narrow the list with filters.
    OFFSET_MAX: int = 10_000


class ListParams(RequestSchema):
    """Paging, sorting and filters of a list (`list_params` makes each domain's)."""

    SEARCHED: ClassVar[tuple[str, ...]] = ()
    _PAGING: ClassVar[frozenset[str]] = frozenset({"limit", "cursor", "offset", "sort", "total"})
    # What `list_params` made the model from, for `under`.
    _MADE_FROM: ClassVar[tuple[Any, ...]] = ()

    limit: int
    cursor: str | None
    offset: int
    sort: str
    total: bool

    @classmethod
    def under(cls, parent: str) -> type["ListParams"]:
        """The same list under a parent's route (`/customers/{id}/orders`): the path gives the
        `parent` reference's value, so the query does not filter by it."""
        create, filters, sort, settings, exclude = cls._MADE_FROM
        return list_params(create, filters, sort, settings, exclude=(*exclude, parent))

    def filters(self) -> dict[str, Any]:
        """The filters the request sent (by their query names), without paging and sorting."""
        return self.model_dump(exclude_none=True, exclude=set(self._PAGING))


def list_params(
    create: type[BaseModel],
    filters: Mapping[str, Filter],
    sort: Sequence[str],
    settings: ListSettings,
    *,
    exclude: Sequence[str] = (),
) -> type[ListParams]:
    """The query model of a list: paging, `sort` over `sort` and the columns every table has, and
    each field's `filters`, typed as `create` types the field (a field in `exclude` comes from the
    path instead, as a parent's id does)."""
    sortable = [*ALWAYS_SORTABLE, *sort]
    # Literal of a runtime list: mypy cannot follow it, pydantic and OpenAPI can.
    sort_values = Literal[tuple(value for field in sortable for value in (field, f"-{field}"))]  # type: ignore[valid-type]
    fields: dict[str, Any] = {
        "limit": (
            Annotated[inputs.Integer, Field(ge=1, le=settings.PAGE_SIZE_MAX), inputs.Whole, inputs.FromQuery],
            settings.PAGE_SIZE_DEFAULT,
        ),
        "cursor": (
            Annotated[inputs.Text, Field(min_length=1, max_length=CURSOR_MAX_LENGTH)] | None,
            Field(default=None, description="The `next` of the previous page, to read the page after it"),
        ),
        "offset": (Annotated[inputs.Integer, Field(ge=0, le=settings.OFFSET_MAX), inputs.Whole, inputs.FromQuery], 0),
        "sort": (sort_values, Field(default="id", description="A field, or `-field` to sort descending")),
        "total": (
            Annotated[inputs.Boolean, inputs.FromQuery],
            Field(default=False, description="Also count every matching row (a scan of all of them)"),
        ),
    }
    searched = tuple(field for field, kinds in filters.items() if Filter.SEARCH in kinds)
    for field, kinds in filters.items():
        if field in exclude:
            continue
        value = _value_type(create.model_fields[field])
        if Filter.EXACT in kinds:
            fields[field] = (value | None, None)
        if Filter.RANGE in kinds:
            fields.update({f"{field}__{bound}": (value | None, None) for bound in RANGES})
        if Filter.IN in kinds:
            fields[f"{field}__in"] = (_list_type(value), None)
    if searched:
        fields["q"] = (
            Annotated[inputs.Text, Field(min_length=1, max_length=SEARCH_MAX_LENGTH)] | None,
            Field(default=None, description=f"Case-insensitive substring of any of: {', '.join(searched)}"),
        )
    # The model's name shows in validation errors only (FastAPI lists its fields as parameters).
    name = f"{create.__name__.removesuffix('Create')}ListParams"
    model = create_model(name, __base__=ListParams, __doc__=ListParams.__doc__, **fields)
    model.SEARCHED = searched
    model._MADE_FROM = (create, filters, sort, settings, tuple(exclude))
    return model


def _value_type(field: FieldInfo) -> Any:
    """A field's type in a query: as the body types it (without null), and a number or boolean
    read from the JSON literal its text spells."""
    annotation = field.rebuild_annotation()
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        (annotation,) = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    base, *metadata = typing.get_args(annotation) if typing.get_origin(annotation) is Annotated else (annotation,)
    if base in (int, float, bool):
        return Annotated[annotation, inputs.FromQuery]
    longest = min((item.max_length for item in _flat(metadata) if isinstance(item, MaxLen)), default=None)
    if base is str and longest is not None and longest > QUERY_TEXT_MAX_LENGTH:
        return Annotated[annotation, Field(max_length=QUERY_TEXT_MAX_LENGTH)]
    return annotation


def _list_type(value: Any) -> Any:
    """`FIELD__in`: 1 to 50 comma-separated values, each spelled as one of the field's values."""
    base, *metadata = typing.get_args(value) if typing.get_origin(value) is Annotated else (value,)
    if typing.get_origin(base) is Annotated:  # A number's FromQuery wraps its own Annotated.
        base, *metadata = typing.get_args(base)
    if typing.get_origin(base) is Literal:
        return inputs.comma_separated(inputs.choice_item(typing.get_args(base)), str)
    if base is uuid.UUID:
        return inputs.comma_separated(inputs.UUID_ITEM, uuid.UUID)
    if base is int:
        # Ids (up to 2**53 - 1) take up to 15 digits; 32-bit integers up to 9.
        largest = max((item.le for item in _flat(metadata) if isinstance(item, Le)), default=2**31)
        return inputs.comma_separated(inputs.ID_ITEM if largest > 2**31 else inputs.INT_ITEM, int)
    # Text without comma (NUL is refused by the list's validator): a value longer than the column
    # matches no row. The list as a whole is bounded, not each item: a bounded repetition inside a
    # repeated group makes the pattern costly for every client and fuzzer that compiles it.
    return inputs.comma_separated(r"[^,]+", str, max_length=QUERY_TEXT_MAX_LENGTH)


def _flat(metadata: list[Any]) -> list[Any]:
    """Constraints, with those a `Field(...)` holds taken out of it."""
    return [item for entry in metadata for item in (entry.metadata if isinstance(entry, FieldInfo) else [entry])]


async def fetch_page(
    connection: AsyncConnection,
    read: sa.Select[Any],
    table: sa.Table,
    params: ListParams,
    **path_filters: Any,
) -> dict[str, Any]:
    """One page of `read` (the rows as the API shows them) matching the request's filters and
    those of the path (a parent's id, an owner): `{"items", "total", "limit", "offset", "next"}`."""
    filters = {**params.filters(), **path_filters}
    try:
        items, next_cursor = await queries.fetch_page(
            connection,
            read,
            table,
            sort=params.sort,
            filters=filters,
            limit=params.limit,
            offset=params.offset,
            cursor=params.cursor,
            search=params.SEARCHED,
        )
    except queries.CursorError as error:
        # Well-formed text that points at no page of this list: like an unknown id, a 404.
        details = [ErrorDetail(field="cursor", message=str(error))]
        raise NotFoundError("No page at this cursor", details=details) from error
    total = await queries.count(connection, table, filters, params.SEARCHED) if params.total else None
    return {"items": items, "total": total, "limit": params.limit, "offset": params.offset, "next": next_cursor}


def page_json(page: dict[str, Any]) -> JsonBody:
    """A page from `fetch_page` of rows read as JSON (`json_read_statement`), in the page's shape."""
    items = [row["json_"] for row in page["items"]]
    head = {name: page[name] for name in ("total", "limit", "offset", "next")}
    # The head's object, left open for the rows' JSON.
    body = json.dumps(head)[:-1] + ', "items": [' + ", ".join(items) + "]}"
    return JsonBody(body, items=len(items))
