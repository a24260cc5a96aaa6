"""Request bodies that read like real data, from a domain's create schema (polyfactory).

Each domain's `tests/<domain>/factories.py` subclasses `BodyFactory` for its create schema.
Values follow the field's type and name (names, emails, URLs, text...), stay within its limits
as the OpenAPI schema states them, and never repeat, so unique fields never collide. A reference
has no value of its own (`Require()` in the domain's factory): pass the id of a row that exists
(`OrderFactory.json(customer_id=...)`).
"""

import datetime as dt
import functools
from typing import Any, Generic, TypeVar

from faker import Faker
from polyfactory.factories.pydantic_factory import ModelFactory
from polyfactory.field_meta import FieldMeta
from pydantic import BaseModel

from src.core import inputs

T = TypeVar("T", bound=BaseModel)

faker = Faker()
Faker.seed(1843)

# Faker's provider for a text field, by the field's name (its last word).
_TEXT_BY_NAME = {
    "name": "name",
    "title": "catch_phrase",
    "city": "city",
    "country": "country",
    "company": "company",
    "phone": "phone_number",
    "address": "street_address",
    "username": "user_name",
    "color": "color_name",
    "colour": "color_name",
    "code": "ean8",
    "sku": "ean8",
    "slug": "slug",
}


def text_value(name: str, longest: int) -> str:
    """Text for a field called `name`, distinct from every other value made."""
    provider = _TEXT_BY_NAME.get(name) or _TEXT_BY_NAME.get(name.rsplit("_", 1)[-1])
    value = getattr(faker.unique, provider)() if provider else faker.unique.sentence(nb_words=4).rstrip(".")
    return value[:longest]


def json_value(name: str, schema: dict[str, Any]) -> Any:
    """A value of the JSON type `schema` (a field's OpenAPI schema) for the field `name`."""
    if "enum" in schema:
        return faker.random_element(schema["enum"])
    if "anyOf" in schema:  # A JSON document: an object or an array.
        return {"size": faker.random_element(["S", "M", "L"]), "tags": faker.words(2)}
    kind, spelled = schema.get("type"), schema.get("format")
    if kind == "integer":
        low, high = max(schema.get("minimum", 0), 0), min(schema.get("maximum", 10**6), 10**6)
        return faker.unique.random_int(low, high)
    if kind == "number":
        return faker.pyfloat(min_value=0, max_value=1000, right_digits=2)
    if kind == "boolean":
        return faker.pybool()
    if spelled == "date":
        return faker.date_between("-30y").isoformat()
    if spelled == "date-time":
        return faker.date_time_between("-30y", tzinfo=dt.UTC).isoformat()
    if spelled == "uuid":
        return str(faker.unique.uuid4())
    pattern = schema.get("pattern")
    if spelled == "email" or pattern == getattr(inputs, "EMAIL", None):
        return faker.unique.safe_email()
    if spelled == "uri" or pattern == getattr(inputs, "URL", None):
        return f"https://{faker.domain_name()}/{faker.unique.slug()}"
    if pattern == inputs.DECIMAL:
        return str(faker.pydecimal(left_digits=4, right_digits=2, positive=True))
    if schema.get("maxLength", 255) > 255:
        return faker.paragraph(nb_sentences=3)[: schema["maxLength"]]
    return text_value(name, schema.get("maxLength", 255))


class BodyFactory(ModelFactory[T], Generic[T]):
    """Bodies of a create schema; `json(**values)` is one to POST, `values` taken as given. (No field
    is called `json`: the CLI refuses the name.)"""

    __is_base_factory__ = True
    __faker__ = faker
    # Optional fields are filled too: a body shows every field, as a client would send it.
    __allow_none_optionals__ = False

    @classmethod
    def json(cls, **values: Any) -> dict[str, Any]:
        return cls.build(**values).model_dump(mode="json")

    @classmethod
    def get_field_value(cls, field_meta: FieldMeta, *args: Any, **kwargs: Any) -> Any:
        return json_value(field_meta.name, _properties(cls.__model__)[field_meta.name])


@functools.cache
def _properties(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    """Each field's JSON schema, without null (optional fields get a value)."""
    properties = model.model_json_schema()["properties"]
    found = {}
    for name, schema in properties.items():
        options = [option for option in schema.get("anyOf", []) if option != {"type": "null"}]
        if len(options) == 1:
            schema = {key: value for key, value in schema.items() if key != "anyOf"} | options[0]
        if "$ref" in str(schema):  # Only a JSON document's schema refers to others.
            schema = {"anyOf": []}
        found[name] = schema
    return found
