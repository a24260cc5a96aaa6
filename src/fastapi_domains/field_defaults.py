"""`--default VALUE`: what a required field added to a table that may have rows fills them with.

The value is checked as the service's API checks the field's values, then stored normalised in
the change's answers (JSON-like: a string, number or bool), from which the template writes it
into the migration as a literal of the column's type.
"""

import datetime as dt
import json
import math
import re
import uuid
from collections.abc import Callable
from decimal import Decimal

from jinja2.utils import htmlsafe_json_dumps

from fastapi_domains.fields import DEFAULT_STR_LENGTH, REF, Field

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
BIGINT_MAX = 2**63 - 1
TEXT_MAX_LENGTH = 10000
DECIMAL_DIGITS, DECIMAL_PLACES = 12, 2
# The migration writes a text value alone on a line, 20 columns in: ruff allows 120.
MAX_LITERAL_WIDTH = 99
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_DECIMAL = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Plain shapes of what the service's inputs accept (src/core/inputs.py checks them for real).
_EMAIL = re.compile(r"[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+")
_URL = re.compile(r"https?://[^\s\x00/]+\.[^\s\x00]*")
EMAIL_MAX_LENGTH, URL_MAX_LENGTH = 254, 2048


class DefaultError(ValueError):
    """A default the field cannot hold; the message says why."""


def parse_default(field: Field, text: str, pk_type: str) -> object:
    """`text` as the stored value of `field`'s default, or a DefaultError."""
    if field.type == REF:
        return _key(text, pk_type)
    value = _PARSERS[field.type](field, text)
    if isinstance(value, str):
        _check_width(value)
    return value


def _fail(text: str, expected: str) -> DefaultError:
    return DefaultError(f"--default {text!r} is not {expected}")


def _text(field: Field, text: str) -> str:
    limit = (field.max_length or DEFAULT_STR_LENGTH) if field.type == "str" else TEXT_MAX_LENGTH
    if not 1 <= len(text) <= limit or "\x00" in text:
        raise _fail(text, f"a text of 1 to {limit} characters without NUL")
    return text


def _email(_: Field, text: str) -> str:
    if not _EMAIL.fullmatch(text) or len(text) > EMAIL_MAX_LENGTH:
        raise _fail(text, f"an email address such as ada@example.com, at most {EMAIL_MAX_LENGTH} characters")
    return text.lower()  # As the service stores addresses.


def _url(_: Field, text: str) -> str:
    if not _URL.fullmatch(text) or len(text) > URL_MAX_LENGTH:
        raise _fail(text, "an http(s) URL such as https://example.com/page")
    return text


def _choice(field: Field, text: str) -> str:
    if text not in (field.choices or ()):
        raise _fail(text, f"one of {', '.join(field.choices or ())}")
    return text


def _integer(_: Field, text: str) -> int:
    if not _INTEGER.fullmatch(text) or not INT_MIN <= int(text) <= INT_MAX:
        raise _fail(text, f"a whole number from {INT_MIN} to {INT_MAX}")
    return int(text)


def _float(_: Field, text: str) -> float:
    if not _NUMBER.fullmatch(text) or not math.isfinite(float(text)):
        raise _fail(text, "a finite number such as 1.5 or 2e3")
    return float(text)


def _decimal(_: Field, text: str) -> str:
    if not _DECIMAL.fullmatch(text):
        raise _fail(text, "a decimal number such as 9.99")
    digits = Decimal(text).as_tuple()
    if -int(digits.exponent) > DECIMAL_PLACES or len(digits.digits) + int(digits.exponent) > (
        DECIMAL_DIGITS - DECIMAL_PLACES
    ):
        raise _fail(text, f"a number of at most {DECIMAL_DIGITS} digits, {DECIMAL_PLACES} after the point")
    return str(Decimal(text))


def _bool(_: Field, text: str) -> bool:
    if text not in ("true", "false"):
        raise _fail(text, "true or false")
    return text == "true"


def _date(_: Field, text: str) -> str:
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise _fail(text, "a date as YYYY-MM-DD") from None


def _datetime(_: Field, text: str) -> str:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise _fail(text, "an ISO 8601 date and time with its offset, e.g. 2024-01-31T09:30:00Z")
    # Stored in UTC: SQLite keeps the wall time without its offset, as the service writes it.
    return value.astimezone(dt.UTC).isoformat()


def _uuid(_: Field, text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise _fail(text, "a UUID") from None


def _json(_: Field, text: str) -> str:
    def refuse_constant(name: str) -> None:
        raise ValueError(name)

    try:
        value = json.loads(text, parse_constant=refuse_constant)
    except ValueError:
        value = None
    if not isinstance(value, dict | list):
        raise _fail(text, "a JSON object or array")
    return json.dumps(value, ensure_ascii=False)


def _key(text: str, pk_type: str) -> object:
    """The id of the referenced row every existing row is to point to."""
    if pk_type == "uuid":
        return _uuid(Field(name="", type="uuid"), text)
    if not _INTEGER.fullmatch(text) or not 1 <= int(text) <= BIGINT_MAX:
        raise _fail(text, "the id of an existing row (a positive whole number)")
    return int(text)


def _check_width(value: str) -> None:
    # Written as the template's `py_str` writes it: JSON-escaped, double quotes as \u0022.
    width = len(str(htmlsafe_json_dumps(value)).replace('\\"', "\\u0022"))
    if width > MAX_LITERAL_WIDTH:
        raise DefaultError(
            f"--default is too long to write into the migration: {width} characters as a Python string, "
            f"at most {MAX_LITERAL_WIDTH}; fill longer values with an UPDATE of your own"
        )


_PARSERS: dict[str, Callable[[Field, str], object]] = {
    "str": _text,
    "text": _text,
    "int": _integer,
    "float": _float,
    "decimal": _decimal,
    "bool": _bool,
    "date": _date,
    "datetime": _datetime,
    "uuid": _uuid,
    "json": _json,
    "email": _email,
    "url": _url,
    "enum": _choice,
}
