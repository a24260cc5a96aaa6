"""Field specs of a domain: `FIELD:TYPE[:optional][:unique]`, `FIELD:enum:VALUE|VALUE...[:optional]`
and `FIELD:ref:DOMAIN[:optional]`. Standard library only."""

import keyword
import re
from dataclasses import dataclass

from fastapi_domains.names import IDENTIFIER, MAX_NAME_LENGTH

TYPES = ("str", "text", "int", "float", "decimal", "bool", "date", "datetime", "uuid", "json", "email", "url", "enum")
# One of a fixed set of values (a CHECK constraint), given in the spec: `status:enum:draft|paid`.
ENUM = "enum"
# Enum values are stored as written and spelled in URLs and code, hence identifiers.
ENUM_VALUE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
# A reference to another domain's rows: a foreign key, read back with that row nested.
REF = "ref"
MODIFIERS = ("optional", "unique")
DEFAULT_STR_LENGTH = 255
# Columns every table has, and names that would shadow SQLAlchemy, Pydantic or list parameters.
RESERVED = frozenset(
    {"id", "created_at", "updated_at", "metadata", "model_config", "registry", "limit", "offset", "sort", "q"}
)
# Also refused: the list query's count column, module names the generated class bodies use after
# the fields (a field of that name would hide them), and Pydantic's BaseModel attributes.
_GENERATED_CODE_NAMES = {"total", "sa", "dt", "uuid", "mapped_column", "constants", "settings"}
_BASE_MODEL_ATTRIBUTES = {"construct", "copy", "dict", "from_orm", "json", "parse_file", "parse_obj", "parse_raw"}
_BASE_MODEL_ATTRIBUTES |= {"schema", "schema_json", "update_forward_refs", "validate"}
SHADOWING = frozenset(_GENERATED_CODE_NAMES | _BASE_MODEL_ATTRIBUTES)


class FieldError(ValueError):
    """A field spec that cannot be used; the message says why."""


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    optional: bool = False
    unique: bool = False
    max_length: int | None = None
    # The domain a `ref` field points to.
    ref: str | None = None
    # The values an `enum` field may hold, in the order given.
    choices: tuple[str, ...] | None = None

    @classmethod
    def from_answer(cls, answer: dict) -> "Field":
        """A field as a domain's answers file stores it (a ref's details reduced to its domain)."""
        ref, choices = answer.get("ref"), answer.get("choices")
        # What the answers derive from a field (its example, a reference's nested key) is not a spec.
        answer = {key: value for key, value in answer.items() if key in cls.__dataclass_fields__}
        return cls(
            **{
                **answer,
                "ref": ref["domain"] if isinstance(ref, dict) else ref,
                "choices": tuple(choices) if choices else None,
            }
        )

    def answer(self) -> dict[str, object]:
        """The field as stored in the domain's answers file (every key, always; refs add theirs)."""
        return {
            "name": self.name,
            "type": self.type,
            "optional": self.optional,
            "unique": self.unique,
            "max_length": self.max_length,
            **({"choices": list(self.choices or ())} if self.type == ENUM else {}),
        }

    @property
    def nested(self) -> str:
        """Key of the referenced row in a read: `customer_id` -> `customer`."""
        return self.name.removesuffix("_id")

    def spec(self) -> str:
        """The field in the command-line grammar: `email:str:unique`, `customer_id:ref:customers`."""
        modifiers = [name for name, on in (("optional", self.optional), ("unique", self.unique)) if on]
        type_ = [self.type]
        if self.type == REF:
            type_.append(self.ref or "")
        elif self.type == ENUM:
            type_.append("|".join(self.choices or ()))
        return ":".join([self.name, *type_, *modifiers])


def check_name(name: str) -> None:
    if not IDENTIFIER.match(name):
        raise FieldError(f"field name {name!r} must be lowercase snake_case, starting with a letter")
    if keyword.iskeyword(name):
        raise FieldError(f"field name {name!r} is a Python keyword")
    if name in RESERVED:
        raise FieldError(f"field name {name!r} is reserved ({', '.join(sorted(RESERVED))})")
    if name in SHADOWING or name.startswith("model_"):
        raise FieldError(f"field name {name!r} would shadow a name the generated code uses; choose another")
    if len(name) > MAX_NAME_LENGTH:
        raise FieldError(f"field name {name!r} is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}")


def check_type(name: str, type_: str) -> None:
    if type_ not in TYPES:
        raise FieldError(f"field {name!r}: unknown type {type_!r} (choose from {', '.join(TYPES)}, or ref:DOMAIN)")
    if type_ == "datetime" and not name.endswith("_at"):
        raise FieldError(f"datetime field {name!r} must end in '_at' (e.g. {name}_at)")
    if type_ == "date" and not name.endswith("_date"):
        raise FieldError(f"date field {name!r} must end in '_date' (e.g. {name}_date)")


# Types that cannot be `unique`, and why (the prompts do not offer it for them).
NOT_UNIQUE = {
    # PostgreSQL has no equality operator for `json`, so it cannot back a unique constraint.
    "json": "a json field cannot be unique",
    # A handful of values cannot tell rows apart.
    ENUM: "an enum field cannot be unique",
    # A btree index entry holds at most 2704 bytes: a longer text would fail the insert (a 500).
    "text": "a text field cannot be unique: PostgreSQL's unique index holds values of up to about 2.7 KB, so saving "
    "a longer text would be a server error (500); use str:unique (up to 255 characters)",
}


def check_unique(name: str, type_: str) -> None:
    if type_ in NOT_UNIQUE:
        raise FieldError(f"field {name!r}: {NOT_UNIQUE[type_]}")


def check_choices(name: str, choices: object) -> tuple[str, ...]:
    """The values of an enum field: identifiers, at least two, none repeated."""
    values = tuple(choices.split("|")) if isinstance(choices, str) else tuple(choices or ())
    if not values or values == ("",):
        raise FieldError(f"enum field {name!r} needs its values: {name}:enum:VALUE|VALUE...")
    if len(values) < 2:
        # Unquoted, `rating:enum:good|bad` is a shell pipe: the command only sees `rating:enum:good`.
        raise FieldError(
            f"enum field {name!r} has one value ({values[0]!r}); an enum needs two or more, separated by | "
            f"and quoted so the shell does not read | as a pipe: '{name}:enum:{values[0]}|OTHER'"
        )
    for value in values:
        if not isinstance(value, str) or not ENUM_VALUE.match(value):
            raise FieldError(
                f"enum field {name!r}: value {value!r} must be lowercase snake_case, starting with a letter, "
                "at most 50 characters"
            )
    if len(set(values)) != len(values):
        raise FieldError(f"enum field {name!r}: a value is repeated")
    return values


def check_ref(name: str, domain: str, modifiers: list[str]) -> Field:
    if not name.endswith("_id") or name == "_id":
        raise FieldError(f"reference field {name!r} must end in '_id' (e.g. {name}_id:ref:{domain or 'customers'})")
    if not IDENTIFIER.match(domain or ""):
        raise FieldError(f"reference field {name!r} needs the domain it points to: {name}:ref:DOMAIN")
    for modifier in modifiers:
        if modifier != "optional":
            raise FieldError(f"reference field {name!r}: unknown modifier {modifier!r} (only 'optional')")
    try:
        check_name(name.removesuffix("_id"))
    except FieldError as error:
        raise FieldError(f"reference field {name!r} nests its row as {name.removesuffix('_id')!r}: {error}") from error
    return Field(name=name, type=REF, optional="optional" in modifiers, ref=domain)


def parse_spec(spec: str) -> Field:
    """`email:str:unique` -> Field(name="email", type="str", unique=True)."""
    name, _, rest = spec.strip().partition(":")
    check_name(name)
    if not rest:
        raise FieldError(f"field {spec!r} needs a type: {name}:TYPE (one of {', '.join(TYPES)}) or {name}:ref:DOMAIN")
    type_, *modifiers = rest.split(":")
    if type_ == REF:
        domain, *modifiers = modifiers or [""]
        return check_ref(name, domain, modifiers)
    choices = None
    if type_ == ENUM:
        values, *modifiers = modifiers or [""]
        choices = check_choices(name, values)
    check_type(name, type_)
    for modifier in modifiers:
        if modifier not in MODIFIERS:
            raise FieldError(f"field {name!r}: unknown modifier {modifier!r} (choose from {', '.join(MODIFIERS)})")
    if len(set(modifiers)) != len(modifiers):
        raise FieldError(f"field {name!r}: a modifier is repeated")
    if "unique" in modifiers:
        check_unique(name, type_)
    return Field(
        name=name,
        type=type_,
        optional="optional" in modifiers,
        unique="unique" in modifiers,
        max_length=DEFAULT_STR_LENGTH if type_ == "str" else None,
        choices=choices,
    )


def parse_fields(specs: list) -> list[Field]:
    """Specs as strings (`name:str`) or dicts (`{"name": ..., "type": ...}`); names unique."""
    parsed = []
    for spec in specs:
        if isinstance(spec, dict):
            check_name(spec["name"])
            check_type(spec["name"], spec["type"])
            if spec.get("unique"):
                check_unique(spec["name"], spec["type"])
            if spec["type"] == ENUM:
                spec = {**spec, "choices": check_choices(spec["name"], spec.get("choices"))}
            field = Field(**{"max_length": DEFAULT_STR_LENGTH if spec["type"] == "str" else None, **spec})
        else:
            field = parse_spec(spec)
        parsed.append(field)
    names = [field.name for field in parsed]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise FieldError(f"field {duplicates[0]!r} is given more than once")
    for field in parsed:
        if field.type == REF and field.nested in names:
            raise FieldError(f"field {field.nested!r} clashes with the row {field.name!r} nests under that key")
    if not parsed:
        raise FieldError("a domain needs at least one field (--field NAME:TYPE)")
    return parsed
