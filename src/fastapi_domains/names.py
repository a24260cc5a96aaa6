"""Names a domain derives from its folder name, derived here once and stored as answers (the
template only substitutes them). The template's copy-time hook imports this module too, in
Copier's own Python: it passes its example domain's names, so only the CLI needs inflect."""

import contextlib
import functools
import keyword
import re
from collections.abc import Iterator
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


def is_identifier(name: str) -> bool:
    return bool(IDENTIFIER.match(name)) and not keyword.iskeyword(name)


# Domain, entity and field names are capped so every generated line stays under ruff's 120.
MAX_NAME_LENGTH = 30
# PostgreSQL truncates identifiers longer than this many bytes (NAMEDATALEN - 1).
MAX_IDENTIFIER_BYTES = 63
# Folders and modules a service has besides its domains (the template's, whether or not present).
_FOLDERS = {"src", "tests", "alembic", "contract", "conftest", "databases", "live_server"}
_MODULES = {"main", "config", "database", "dialect", "discovery", "exceptions", "health", "models", "queries"}
_MORE_MODULES = {"request_id", "schemas", "log", "inputs", "body_size", "database_faults", "unhandled_errors"}
_MORE_MODULES |= {"development_database", "ids", "metrics", "tracing", "observability"}
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
RESERVED_DOMAINS = frozenset(_FOLDERS | _MODULES | _MORE_MODULES | set(SERVED_PATHS))


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
    if name in RESERVED_DOMAINS:
        raise InvalidNameError(f"domain name {name!r} is reserved: the service has (or may have) a module of that name")


def constraint_names(table: str, field: str) -> list[str]:
    """The names the service's naming convention gives a field's unique constraint and index."""
    return [f"uq_{table}_{field}", f"ix_{table}_{field}"]


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
