"""Names a domain derives from its folder name, derived here once and stored as answers (the
template only substitutes them). The template's copy-time hook imports this module too, in
Copier's own Python: it passes its example domain's names, so only the CLI needs inflect."""

import contextlib
import functools
import keyword
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi_domains import interrupts

IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


@functools.cache
def _inflect() -> Any:
    # Imported on first use: the copy hook imports this module where inflect is not installed.
    with interrupts.deferred(), _typechecks_off():
        import inflect  # noqa: PLC0415

    return inflect.engine()


@contextlib.contextmanager
def _typechecks_off() -> Iterator[None]:
    """inflect decorates its engine with typeguard's @typechecked, which re-parses and recompiles
    inflect's whole module once per decorated method while it is imported (2-4 s); under
    `python -O` the decorator returns the function as it is, as typeguard documents, and so it
    does here for that one import (0.1 s). The checks guard inflect's callers against wrong
    types; this module passes it strings."""
    try:
        import typeguard  # noqa: PLC0415
    except ImportError:  # An inflect without typeguard: nothing to switch off.
        yield
        return
    checked = typeguard.typechecked
    typeguard.typechecked = _unchecked
    try:
        yield
    finally:
        typeguard.typechecked = checked


def _unchecked(target: Any = None, **_: object) -> Any:
    """@typechecked as `python -O` makes it: the function itself (or, called with options, this)."""
    return _unchecked if target is None else target


def singular(word: str) -> str:
    """`order_items` -> `order_item`, `categories` -> `category`, `analyses` -> `analysis`,
    `people` -> `person`: the last word made singular; one that is already (`status`) is kept."""
    head, _, last = word.rpartition("_")
    found = _inflect().singular_noun(last)
    if not found:
        return word
    return f"{head}_{found}" if head else found


def with_article(entity: str) -> str:
    """`order_item` -> `an order item`, `book` -> `a book`: the entity in running text."""
    return _inflect().a(entity.replace("_", " "))


def class_name(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def words(snake: str) -> str:
    """`order_items` -> `order items`: a name in running text."""
    return snake.replace("_", " ")


def env_prefix(domain: str) -> str:
    """`order_items` -> `ORDER_ITEMS_`: the prefix of the domain's environment variables."""
    return f"{domain.upper()}_"


def nested_key(field: str) -> str:
    """`customer_id` -> `customer`: where a read nests the row a reference field points to."""
    return field.removesuffix("_id")


# OpenAPI examples that read like real data, by a field's name (its last word), then its type.
_TEXT_EXAMPLES = {
    "name": "Ada Lovelace",
    "title": "Notes on the Analytical Engine",
    "city": "London",
    "country": "United Kingdom",
    "company": "Acme Ltd",
    "phone": "+44 20 7946 0958",
    "code": "AE-1843",
    "sku": "AE-1843",
    "slug": "analytical-engine",
    "username": "ada",
    "color": "teal",
    "colour": "teal",
    "address": "12 St James's Square",
    "description": "Hand-built in small batches, tested before it ships.",
    "note": "Leave the parcel with the concierge.",
    "body": "It weaves algebraic patterns as a loom weaves flowers.",
}
_NUMBER_EXAMPLES = {"quantity": 3, "count": 12, "age": 36, "year": 1843, "stock": 140, "rating": 4.5}
_TYPE_EXAMPLES: dict[str, object] = {
    "text": "A few sentences, as a person would write them.",
    "int": 42,
    "float": 2.5,
    "decimal": "19.99",
    "bool": True,
    "date": "2024-05-17",
    "datetime": "2024-05-17T09:30:00Z",
    "uuid": "3f2c8a9e-6b1d-4c7e-9a52-0d4b8f1e7c36",
    "json": {"size": "M", "tags": ["new", "sale"]},
    "email": "ada.lovelace@example.com",
    "url": "https://example.com/analytical-engine",
}
# Ids of the first row of either key type.
_REF_EXAMPLES = {"int": 1, "uuid": "0190a6f4-7b1c-7d3e-9a52-0d4b8f1e7c36"}


def example(field: dict[str, object], pk_type: str = "int") -> object:
    """A value of `field` (an answers file's field) that reads like real data, for OpenAPI."""
    name, type_ = str(field["name"]), str(field["type"])
    last = name.rsplit("_", 1)[-1]
    if type_ == "enum":
        return next(iter(field["choices"]))  # type: ignore[call-overload]
    if type_ == "ref":
        return _REF_EXAMPLES[pk_type]
    if type_ in ("str", "text"):
        found = _TEXT_EXAMPLES.get(name) or _TEXT_EXAMPLES.get(last)
        if found is None:
            found = _TYPE_EXAMPLES["text"] if type_ == "text" else words(name).capitalize()
        return found[: int(field.get("max_length") or 255)]  # type: ignore[call-overload]
    if type_ in ("int", "float"):
        number = _NUMBER_EXAMPLES.get(last, _TYPE_EXAMPLES[type_])
        return float(number) if type_ == "float" else int(number)  # type: ignore[arg-type]
    if type_ == "decimal" and last in ("price", "amount", "total", "cost"):
        return "19.99"
    return _TYPE_EXAMPLES[type_]


def is_identifier(name: str) -> bool:
    return bool(IDENTIFIER.match(name)) and not keyword.iskeyword(name)


# Domain, entity and field names are capped so every generated line stays under ruff's 120.
MAX_NAME_LENGTH = 30
# PostgreSQL truncates identifiers longer than this many bytes (NAMEDATALEN - 1).
MAX_IDENTIFIER_BYTES = 63
# Paths the app serves itself, which a domain's routes (`/<name>`) would shadow or be shadowed by:
# Swagger UI, ReDoc, the OpenAPI document, health probes, Prometheus metrics, the users domain.
SERVED_PATHS = {
    "docs": "/docs",
    "redoc": "/redoc",
    "openapi": "/openapi.json",
    "health": "/health",
    "metrics": "/metrics",
    "auth": "/auth",
}
# The template this CLI comes with: beside the package in a clone (and for the template's hooks,
# which import this module from it), inside the package when installed from a wheel.
_TEMPLATE = next(
    (
        folder
        for folder in (Path(__file__).parent / "template", Path(__file__).resolve().parents[2] / "template")
        if (folder / "project").is_dir()
    ),
    None,
)
# `{% if with_tracing %}tracing.py{% endif %}.jinja` -> `tracing`: a conditional entry's own name.
_CONDITION = re.compile(r"{%.*?%}")


def _entry_name(entry: Path) -> str:
    return _CONDITION.sub("", entry.name).split(".", 1)[0]


@functools.cache
def reserved_domains() -> frozenset[str]:
    """Names a domain cannot take, read from the template's own tree (conditional entries too, so a
    later `--data with_tracing=true` finds no domain in its way): the service's root folders, every
    module and package of `src/` (a domain beside a module of its name reads as a second copy of it,
    and in a service made before the infrastructure packages it would sit beside the module
    itself), the top level of `tests/`, the auth domain, and the paths the app serves."""
    if _TEMPLATE is None:
        raise InvalidNameError("the template this fastapi-domains comes with is missing; reinstall it")
    project = _TEMPLATE / "project"
    entries = [entry for entry in project.iterdir() if entry.is_dir()]
    entries += [*(project / "src").rglob("*"), *(project / "tests").iterdir(), *(_TEMPLATE / "auth" / "src").iterdir()]
    return frozenset({name for entry in entries if IDENTIFIER.match(name := _entry_name(entry))} | set(SERVED_PATHS))


class InvalidNameError(ValueError):
    """A domain or entity name that cannot be used; the message says why."""


def check_identifier(kind: str, name: str) -> None:
    """`name` must be a lowercase snake_case identifier of at most MAX_NAME_LENGTH characters."""
    if not name:
        raise InvalidNameError(f"{kind} is empty: give a lowercase snake_case name, e.g. order_items")
    if not IDENTIFIER.match(name):
        raise InvalidNameError(
            f"{kind} {name!r} must be lowercase snake_case (letters, digits and single underscores, "
            "starting with a letter)"
        )
    if keyword.iskeyword(name):
        raise InvalidNameError(f"{kind} {name!r} is a Python keyword")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidNameError(f"{kind} {name!r} is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}")


def check_domain_name(name: str) -> None:
    check_identifier("domain name", name)
    if name in SERVED_PATHS:
        raise InvalidNameError(
            f"domain name {name!r} is reserved: the service serves (or may serve) {SERVED_PATHS[name]} itself, "
            "which its routes would clash with; choose another name"
        )
    if name in reserved_domains():
        raise InvalidNameError(
            f"domain name {name!r} is reserved: the service has (or may have) a module or package of that name"
        )


def migration_file(date: str, revision: str, slug: str) -> str:
    """`2025-01-31`, `a1b2c3d4e5f6`, `create_customer` -> `20250131_a1b2c3d4e5f6_create_customer.py`."""
    return f"{date.replace('-', '')}_{revision}_{slug}.py"


def unique_name(table: str, *columns: str) -> str:
    """The name the service's naming convention gives a unique constraint on `columns`."""
    return f"uq_{table}_{'_'.join(columns)}"


def field_constraints(table: str, field: str, *, unique: bool, referenced: str = "", enum: bool = False,
                      owner: bool = False) -> dict[str, str]:  # fmt: skip
    """The names the service's naming convention (src/database.py) gives a field's constraints
    and index: `uq` (with the owner column first on an owner-scoped domain), `ix` and `fk` of a
    reference to the table `referenced`, `ck` of an enum. Migrations that add or drop a field
    name them from here."""
    derived = {"ck": f"ck_{table}_{field}"} if enum else {}
    if unique:
        derived["uq"] = unique_name(table, *(["owner_id"] if owner else []), field)
    if referenced:
        derived |= {"ix": f"ix_{table}_{field}", "fk": f"fk_{table}_{field}_{referenced}"}
    return derived


def constraint_names(table: str, field: str) -> list[str]:
    """The longest names a field's constraints and index may get (for the length check)."""
    return [unique_name(table, field), f"ix_{table}_{field}"]


def check_identifier_lengths(table: str, fields: list[str], references: dict[str, str] | None = None) -> None:
    """Every derived constraint and index name must fit PostgreSQL's identifiers; `references`
    maps each reference field to the table it points to (its foreign key is named after both)."""
    derived = [f"pk_{table}"] + [name for field in fields for name in constraint_names(table, field)]
    derived += [f"fk_{table}_{field}_{referenced}" for field, referenced in (references or {}).items()]
    for name in derived:
        if len(name.encode()) > MAX_IDENTIFIER_BYTES:
            raise InvalidNameError(
                f"the derived name {name!r} is {len(name.encode())} bytes; PostgreSQL allows "
                f"{MAX_IDENTIFIER_BYTES}: shorten the entity name ({table!r}) or the field name"
            )
