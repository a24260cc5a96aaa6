"""Asking for a domain's fields on a terminal, with questionary: one field at a time, each
answer validated as it is typed, then a summary to confirm."""

from collections.abc import Callable
from typing import Any

import questionary

from fastapi_domains import names
from fastapi_domains.fields import (
    DEFAULT_STR_LENGTH,
    ENUM,
    NOT_UNIQUE,
    REF,
    TYPES,
    Field,
    FieldError,
    check_choices,
    check_name,
    check_ref,
)

TYPE_HELP = {
    "str": "short text, up to 255 characters",
    "text": "long text",
    "int": "whole number",
    "float": "floating-point number",
    "decimal": "exact number, 2 decimal places",
    "bool": "true or false",
    "date": "calendar date (name ends in _date)",
    "datetime": "timestamp with timezone (name ends in _at)",
    "uuid": "UUID",
    "json": "JSON object or array",
    "email": "email address, stored lowercased",
    "url": "http(s) URL",
    "enum": "one of a fixed set of values",
    REF: "reference to a row of another domain (a foreign key)",
}


def _answer(question: questionary.Question) -> Any:
    # questionary returns None when the user presses Ctrl-C; the CLI reports it as an interrupt.
    answer = question.ask()
    if answer is None:
        raise KeyboardInterrupt
    return answer


def _type_choices(name: str, domains: list[str]) -> list[questionary.Choice]:
    """Every type the name allows: datetimes end in `_at`, dates in `_date`, references in `_id`
    (when there is a domain to point to)."""
    allowed = [
        type_
        for type_ in TYPES
        if (type_ != "datetime" or name.endswith("_at")) and (type_ != "date" or name.endswith("_date"))
    ]
    if name.endswith("_id") and domains:
        allowed.append(REF)
    return [questionary.Choice(f"{type_:<9} {TYPE_HELP[type_]}", value=type_) for type_ in allowed]


def _default_type(name: str, domains: list[str]) -> str:
    if name.endswith("_id") and domains:
        return REF
    return "datetime" if name.endswith("_at") else "date" if name.endswith("_date") else "str"


def ask_fields(check_field_name: Callable[[str], None], domains: list[str]) -> list[Field]:
    """Fields until an empty name; `check_field_name` adds the service's own rules; `domains`
    are those a reference may point to."""
    fields: list[Field] = []

    def validate(text: str) -> bool | str:
        name = text.strip()
        if not name:
            return True if fields else "a domain needs at least one field"
        if name in {field.name for field in fields}:
            return f"field {name!r} is already added"
        try:
            check_name(name)
            check_field_name(name)
        except (FieldError, ValueError) as error:
            return str(error)
        return True

    while True:
        prompt = "Field name" + (" (empty to finish)" if fields else "")
        name = _answer(questionary.text(f"{prompt}:", validate=validate)).strip()
        if not name:
            return fields
        choices = _type_choices(name, domains)
        default = next(choice for choice in choices if choice.value == _default_type(name, domains))
        type_ = _answer(questionary.select(f"Type of {name}:", choices=choices, default=default))
        optional = _answer(questionary.confirm(f"Can {name} be empty (optional)?", default=False))
        if type_ == REF:
            target = _answer(
                questionary.select(
                    f"Which domain does {name} point to?", choices=domains, default=pointed_domain(name, domains)
                )
            )
            try:
                fields.append(check_ref(name, target, ["optional"] if optional else []))
            except FieldError as error:
                print(f"  {error}")
            continue
        enum_values = None
        if type_ == ENUM:
            typed = _answer(questionary.text(f"Values of {name}, separated by |:", validate=_valid_choices(name)))
            enum_values = check_choices(name, typed.strip())
        unique = type_ not in NOT_UNIQUE and _answer(questionary.confirm(f"Must {name} be unique?", default=False))
        fields.append(
            Field(
                name=name,
                type=type_,
                optional=optional,
                unique=unique,
                max_length=DEFAULT_STR_LENGTH if type_ == "str" else None,
                choices=enum_values,
            )
        )


def pointed_domain(name: str, domains: list[str]) -> str | None:
    """The domain a reference's name points to, if there is one: `book_id` -> `books`."""
    entity = name.removesuffix("_id")
    return next((domain for domain in domains if names.singular(domain) == entity), None)


def _valid_choices(name: str) -> Callable[[str], bool | str]:
    def validate(text: str) -> bool | str:
        try:
            check_choices(name, text.strip())
        except FieldError as error:
            return str(error)
        return True

    return validate


def confirm(summary: str, question: str, *, default: bool = True) -> bool:
    print(summary)
    return _answer(questionary.confirm(question, default=default))
