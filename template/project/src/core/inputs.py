"""The input contract: strict types for every value a request may carry.

A value is accepted only when its column can hold it and the OpenAPI schema says so, so the
schema predicts every 422 and no input reaches the database as a 500:

- no lax coercion: a JSON body's `"1"` is not an integer, `1` is not a string or a boolean
  (but `5.0` is the integer 5, as JSON Schema has it);
- a query or path value is read as the JSON literal it spells (`5`, `true`, `2.5`), then held to
  the same strict type (pydantic alone would take `1_000`, ` 1` or `yes`);
- text never holds NUL (PostgreSQL refuses it), numbers are finite, decimals fit NUMERIC(12, 2),
  dates and datetimes are spelled as ISO 8601 / RFC 3339 strings in years 2 to 9998 (so a
  datetime converts to UTC on both databases whatever its offset, and no date becomes
  PostgreSQL's infinity);
- a JSON document is an object or array of those same values;
- an email address is one email-validator takes (syntax only, no DNS), stored normalised and
  lowercased; a URL is an absolute http(s) URL a browser's parser takes (WHATWG, through
  pydantic), spelled as an IRI and stored as sent.

NUL is refused by the validators and said in each text field's description, not by an OpenAPI
`pattern`: a pattern makes Swagger UI invent random example strings. The email and URL patterns
only rule out what the validators refuse anyway, so the schema never admits less than they take.
"""

import datetime as dt
import json
import math
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Annotated, Any

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    HttpUrl,
    PlainValidator,
    RootModel,
    Strict,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)

NO_NUL = "Text without NUL characters."
DECIMAL = r"^-?(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$"
# Years 0001 and 9999 are left out: an offset can push a datetime outside what Python and SQLite
# store, and asyncpg writes Python's first and last date as PostgreSQL's -infinity and infinity.
YEAR = r"(000[2-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
DATE = rf"^{YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
DATETIME = (
    rf"^{YEAR}"
    r"-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def _any_case(word: str) -> str:
    # OpenAPI patterns are ECMA-262 regular expressions: no inline flags, so each letter says its cases.
    return "".join(f"[{char.lower()}{char.upper()}]" for char in word)


# The email pattern says only what every address email-validator takes has: no whitespace and no
# quotes before one @, then labels separated by dots (or the dots IDNA reads as dots) with a last
# label that is no special-use name (`.test`, `.local`, ...). So it admits every address the
# validator takes, and a fuzzer drawing from `format: idn-email` meets no refusal it was not told of.
_DOTS = r"\.\u3002\uff0e\uff61"
_SPECIAL_USE = "|".join(_any_case(name) for name in SPECIAL_USE_DOMAIN_NAMES)
EMAIL = rf'^[^\s@"]{{1,64}}@([^\s@{_DOTS}]+[{_DOTS}])+(?!({_SPECIAL_USE})$)[^\s@{_DOTS}]+$'
EMAIL_MAX_LENGTH = 254
# An absolute http(s) URL spelled as an IRI (RFC 3987): the ASCII a URL holds, `%` escapes, other
# Unicode as it is (IDN hosts, paths in any script); no spaces, no user name or password, brackets
# only around an IPv6 host, one `#`. The validator checks the rest with a browser's URL parser.
_NEVER_IN_URL = r'\x00-\x20\x7f-\x9f"<>\\^`{|}'
URL = (
    rf"^{_any_case('http')}[sS]?://[^{_NEVER_IN_URL}/?#@]+"
    rf"(/[^{_NEVER_IN_URL}?#\[\]]*)?(\?[^{_NEVER_IN_URL}#\[\]]*)?(#[^{_NEVER_IN_URL}#\[\]]*)?$"
)
URL_MAX_LENGTH = 2048


def _from_query(value: Any) -> Any:
    """A query or path string as the JSON literal it spells; anything else is left to fail."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def _whole(value: Any) -> Any:
    """JSON Schema counts 5.0 as an integer: take it as 5 (but never a boolean or a string)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _spelled(pattern: str, form: str) -> BeforeValidator:
    """Accept only a string matching `pattern` (the OpenAPI schema states the same pattern)."""
    regex = re.compile(pattern)

    def check(value: Any) -> Any:
        if not isinstance(value, str) or not regex.match(value):
            raise ValueError(f"must be {form}")
        return value

    return BeforeValidator(check)


def _in_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


_EMAIL = re.compile(EMAIL)
_EMAIL_FORM = "must be an email address like ada@example.com"


def _email(value: Any) -> str:
    """An address email-validator takes (syntax only: no DNS), normalised (Unicode NFC, the domain
    as IDNA writes it) and lowercased, so that `unique` ignores case and a filter finds it however
    it is spelled."""
    if not isinstance(value, str) or len(value) > EMAIL_MAX_LENGTH:
        raise ValueError(f"{_EMAIL_FORM}, at most {EMAIL_MAX_LENGTH} characters")
    try:
        # Strict: at most 64 characters before the @, as mail servers are bound to (RFC 5321).
        address = validate_email(value, check_deliverability=False, strict=True).normalized.lower()
    except EmailNotValidError as error:
        raise ValueError(f"{_EMAIL_FORM}: {error}") from error
    # Both hold for every address the validator takes: the schema's pattern and length never lie.
    if len(address) > EMAIL_MAX_LENGTH or not _EMAIL.fullmatch(value):
        raise ValueError(_EMAIL_FORM)
    return address


_URL = re.compile(URL)
_USERINFO = re.compile(r"^[^/?#]*//[^/?#]*@")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HTTP_URL = TypeAdapter(HttpUrl)
_URL_FORM = "must be an http or https URL like https://example.com/path"


def _url(value: Any) -> str:
    """An absolute http(s) URL, stored as sent: spelled as an IRI (see URL), without a user name or
    password, and one a browser's URL parser takes (pydantic's HttpUrl: the WHATWG URL standard)."""
    if not isinstance(value, str) or len(value) > URL_MAX_LENGTH:
        raise ValueError(f"{_URL_FORM}, at most {URL_MAX_LENGTH} characters")
    if _USERINFO.match(value):
        raise ValueError("must not hold a user name or password: keep credentials out of URLs")
    if not _URL.fullmatch(value) or _BAD_ESCAPE.search(value) or _has_invisible_characters(value):
        raise ValueError(f"{_URL_FORM}, with spaces and other reserved characters %-escaped")
    try:
        _HTTP_URL.validate_python(value)
    except ValidationError as error:
        reason = error.errors()[0]["msg"].removeprefix("Input should be a valid URL, ")
        raise ValueError(f"{_URL_FORM}: {reason}") from None
    return value


def _has_invisible_characters(value: str) -> bool:
    # Controls, format and private-use characters, unassigned code points and separators are not
    # in an IRI; nor are the replacement characters U+FFFC and U+FFFD.
    return any(unicodedata.category(char)[0] in "CZ" or char in "\ufffc\ufffd" for char in value if char > "\x7f")


# Numbers and booleans given in a query string or a path. Validators run outermost first, so a
# type's own limits come before these: `Annotated[inputs.Integer, Field(ge=1), inputs.Whole]`.
FromQuery = BeforeValidator(_from_query)
Whole = BeforeValidator(_whole)

Text = Annotated[str, Strict(), AfterValidator(_no_nul), Field(description=NO_NUL)]
Integer = Annotated[int, Strict()]
Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]
Boolean = Annotated[bool, Strict()]
Numeric = Annotated[
    Decimal,
    _spelled(DECIMAL, "a decimal string with at most 10 digits before the point and 2 after, e.g. 19.99"),
    WithJsonSchema({"type": "string", "pattern": DECIMAL, "examples": ["19.99"]}),
]
Date = Annotated[
    dt.date,
    _spelled(DATE, "a date like 2024-01-31 (years 2 to 9998)"),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE}),
]
Datetime = Annotated[
    dt.datetime,
    _spelled(DATETIME, "a datetime with a timezone, like 2024-01-31T09:30:00Z (years 2 to 9998)"),
    AfterValidator(_in_utc),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": DATETIME}),
]
Uuid = Annotated[
    uuid.UUID,
    _spelled(UUID, "a UUID like 0b6f4c2e-8a0e-4f5b-9c3d-2e1f0a9b8c7d"),
    WithJsonSchema({"type": "string", "format": "uuid", "pattern": UUID}),
]

Email = Annotated[
    str,
    PlainValidator(_email),
    WithJsonSchema(
        {
            "type": "string",
            "format": "idn-email",
            "pattern": EMAIL,
            "maxLength": EMAIL_MAX_LENGTH,
            "examples": ["ada@example.com"],
        },
    ),
]
Url = Annotated[
    str,
    PlainValidator(_url),
    WithJsonSchema(
        {
            "type": "string",
            "format": "iri",
            "pattern": URL,
            "maxLength": URL_MAX_LENGTH,
            "examples": ["https://example.com/path"],
        },
    ),
]

# Items of an `__in` filter (`?status__in=draft,paid`), each spelled so that its pattern alone
# decides: integers of at most 9 digits fit a 32-bit column, ids of at most 15 fit a JSON number.
INT_ITEM = r"-?(0|[1-9][0-9]{0,8})"
ID_ITEM = r"[1-9][0-9]{0,14}"
UUID_ITEM = UUID.strip("^$")
IN_MAX_ITEMS = 50


def choice_item(choices: Iterable[str]) -> str:
    return "(" + "|".join(re.escape(choice) for choice in choices) + ")"


def comma_separated(item: str, convert: Callable[[str], Any], max_length: int | None = None) -> Any:
    """A query value listing 1 to IN_MAX_ITEMS values matching `item`, separated by commas (at
    most `max_length` characters in all), read as the list of `convert(value)`; the OpenAPI
    schema states the same pattern and length."""
    pattern = rf"^{item}(,{item}){{0,{IN_MAX_ITEMS - 1}}}$"
    regex = re.compile(pattern)
    longest = f", at most {max_length} characters in all" if max_length else ""

    def check(value: Any) -> list[Any]:
        if not isinstance(value, str) or not regex.fullmatch(value) or (max_length and len(value) > max_length):
            raise ValueError(f"must be 1 to {IN_MAX_ITEMS} values separated by commas{longest}, each matching {item}")
        return [convert(_no_nul(part)) for part in value.split(",")]

    schema = {"type": "string", "pattern": pattern} | ({"maxLength": max_length} if max_length else {})
    # `Any`, not `list`: FastAPI would read a list as a repeated query parameter.
    return Annotated[Any, PlainValidator(check), WithJsonSchema(schema)]


class JsonValue(RootModel[Text | Integer | Number | Boolean | list["JsonValue"] | dict[str, "JsonValue"] | None]):
    """One JSON value as the contract takes it, text and object keys without NUL characters: the
    OpenAPI schema of `JsonDocument`'s contents."""


_JsonDocumentSchema = list[JsonValue] | dict[str, JsonValue]
_MAX_DEPTH = 32


def _json_document(value: Any) -> dict[str, Any] | list[Any]:
    """One error naming the field (not one per union member) for anything that is not a JSON
    object or array of finite numbers and NUL-free text, nested at most `_MAX_DEPTH` deep."""
    if not isinstance(value, dict | list):
        raise ValueError("must be a JSON object or array")
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > _MAX_DEPTH:
            raise ValueError(f"must not nest deeper than {_MAX_DEPTH} levels")
        if isinstance(item, dict):
            if any(not isinstance(key, str) or "\x00" in key for key in item):
                raise ValueError("object keys must be text without NUL characters")
            pending += [(child, depth + 1) for child in item.values()]
        elif isinstance(item, list):
            pending += [(child, depth + 1) for child in item]
        elif isinstance(item, str) and "\x00" in item:
            raise ValueError("text must not contain NUL characters")
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValueError("numbers must be finite (no NaN or Infinity)")
        elif item is not None and not isinstance(item, str | int | float):
            raise ValueError("must hold only JSON values")
    return value


JsonDocument = Annotated[Any, PlainValidator(_json_document, json_schema_input_type=_JsonDocumentSchema)]
