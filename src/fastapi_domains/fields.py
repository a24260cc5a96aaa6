"""Field specs of a domain: `FIELD:TYPE[:optional][:unique]`. Standard library only."""

import keyword
from dataclasses import dataclass

from fastapi_domains.names import IDENTIFIER

TYPES = ("str", "text", "int", "float", "decimal", "bool", "date", "datetime", "uuid", "json")
MODIFIERS = ("optional", "unique")
DEFAULT_STR_LENGTH = 255
# Columns every table has, and names that would shadow SQLAlchemy, Pydantic or list parameters.
RESERVED = frozenset(
    {"id", "created_at", "updated_at", "metadata", "model_config", "registry", "limit", "offset", "sort"}
)


class FieldError(ValueError):
    """A field spec that cannot be used; the message says why."""


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    optional: bool = False
    unique: bool = False
    max_length: int | None = None

    def answer(self) -> dict[str, object]:
        """The field as stored in the domain's answers file (every key, always)."""
        return {
            "name": self.name,
            "type": self.type,
            "optional": self.optional,
            "unique": self.unique,
            "max_length": self.max_length,
        }


def check_name(name: str) -> None:
    if not IDENTIFIER.match(name):
        raise FieldError(f"field name {name!r} must be lowercase snake_case, starting with a letter")
    if keyword.iskeyword(name):
        raise FieldError(f"field name {name!r} is a Python keyword")
    if name in RESERVED:
        raise FieldError(f"field name {name!r} is reserved ({', '.join(sorted(RESERVED))})")


def check_type(name: str, type_: str) -> None:
    if type_ not in TYPES:
        raise FieldError(f"field {name!r}: unknown type {type_!r} (choose from {', '.join(TYPES)})")
    if type_ == "datetime" and not name.endswith("_at"):
        raise FieldError(f"datetime field {name!r} must end in '_at' (e.g. {name}_at)")
    if type_ == "date" and not name.endswith("_date"):
        raise FieldError(f"date field {name!r} must end in '_date' (e.g. {name}_date)")


def parse_spec(spec: str) -> Field:
    """`email:str:unique` -> Field(name="email", type="str", unique=True)."""
    name, _, rest = spec.strip().partition(":")
    check_name(name)
    if not rest:
        raise FieldError(f"field {spec!r} needs a type: {name}:TYPE (one of {', '.join(TYPES)})")
    type_, *modifiers = rest.split(":")
    check_type(name, type_)
    for modifier in modifiers:
        if modifier not in MODIFIERS:
            raise FieldError(f"field {name!r}: unknown modifier {modifier!r} (choose from {', '.join(MODIFIERS)})")
    if len(set(modifiers)) != len(modifiers):
        raise FieldError(f"field {name!r}: a modifier is repeated")
    return Field(
        name=name,
        type=type_,
        optional="optional" in modifiers,
        unique="unique" in modifiers,
        max_length=DEFAULT_STR_LENGTH if type_ == "str" else None,
    )


def parse_fields(specs: list) -> list[Field]:
    """Specs as strings (`name:str`) or dicts (`{"name": ..., "type": ...}`); names unique."""
    parsed = []
    for spec in specs:
        if isinstance(spec, dict):
            check_name(spec["name"])
            check_type(spec["name"], spec["type"])
            field = Field(**{"max_length": DEFAULT_STR_LENGTH if spec["type"] == "str" else None, **spec})
        else:
            field = parse_spec(spec)
        parsed.append(field)
    names = [field.name for field in parsed]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise FieldError(f"field {duplicates[0]!r} is given more than once")
    if not parsed:
        raise FieldError("a domain needs at least one field (--field NAME:TYPE)")
    return parsed
