"""Names a domain derives from its folder name. Standard library only: the template's
copy-time hook imports this module too, so every name is derived in this one place."""

import keyword
import re

IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_IRREGULAR = {"people": "person", "children": "child", "men": "man", "women": "woman", "mice": "mouse"}
# Words that end in "s" in the singular already.
_KEEP = ("ss", "us", "is", "news", "series", "species")


def singular(word: str) -> str:
    """`order_items` -> `order_item`, `categories` -> `category`: the last word is made singular."""
    head, _, last = word.rpartition("_")
    prefix = f"{head}_" if head else ""
    if last in _IRREGULAR:
        return prefix + _IRREGULAR[last]
    if last.endswith(_KEEP):
        return word
    if last.endswith("ies") and len(last) > 3:
        return prefix + last[:-3] + "y"
    if last.endswith(("sses", "xes", "zes", "ches", "shes")):
        return prefix + last[:-2]
    if last.endswith("s") and len(last) > 1:
        return prefix + last[:-1]
    return word


def class_name(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def is_identifier(name: str) -> bool:
    return bool(IDENTIFIER.match(name)) and not keyword.iskeyword(name)


# Domain, entity and field names are capped so every generated line stays under ruff's 120.
MAX_NAME_LENGTH = 30
# PostgreSQL truncates identifiers longer than this many bytes (NAMEDATALEN - 1).
MAX_IDENTIFIER_BYTES = 63
# Folders and modules a service has besides its domains (the template's, whether or not present).
_FOLDERS = {"src", "tests", "alembic", "contract", "conftest", "databases"}
_MODULES = {"main", "config", "database", "dialect", "discovery", "exceptions", "health", "models", "queries"}
RESERVED_DOMAINS = frozenset(_FOLDERS | _MODULES | {"request_id", "schemas"})


class InvalidNameError(ValueError):
    """A domain or entity name that cannot be used; the message says why."""


def check_identifier(kind: str, name: str) -> None:
    """`name` must be a lowercase snake_case identifier of at most MAX_NAME_LENGTH characters."""
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
