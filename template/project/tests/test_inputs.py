"""The input contract's text, email and URL values: real addresses and URLs are taken, the rest
refused, and the OpenAPI schema admits everything the validators take (so a client or fuzzer
following the schema is never refused a value it was promised)."""

import re

import pytest
from pydantic import TypeAdapter, ValidationError

from src.core import inputs
from tests.input_samples import INVALID_EMAILS, INVALID_URLS, VALID_EMAILS, VALID_URLS

EMAIL = TypeAdapter(inputs.Email)
URL = TypeAdapter(inputs.Url)
TEXT = TypeAdapter(inputs.Text)


@pytest.mark.parametrize(("sent", "stored"), VALID_EMAILS.items())
def test_real_email_addresses_are_taken_normalised(sent: str, stored: str) -> None:
    assert EMAIL.validate_python(sent) == stored
    schema = EMAIL.json_schema()
    assert re.fullmatch(schema["pattern"], sent) and len(sent) <= schema["maxLength"]


@pytest.mark.parametrize("sent", INVALID_EMAILS)
def test_what_is_no_email_address_is_refused(sent: str) -> None:
    with pytest.raises(ValidationError, match="must be an email address"):
        EMAIL.validate_python(sent)


@pytest.mark.parametrize("sent", VALID_URLS)
def test_urls_a_browser_opens_are_taken_as_sent(sent: str) -> None:
    assert URL.validate_python(sent) == sent
    schema = URL.json_schema()
    assert re.fullmatch(schema["pattern"], sent) and len(sent) <= schema["maxLength"]


@pytest.mark.parametrize("sent", INVALID_URLS)
def test_what_is_no_http_url_is_refused(sent: str) -> None:
    with pytest.raises(ValidationError, match="must"):
        URL.validate_python(sent)


def test_email_and_url_schemas_name_their_format() -> None:
    assert EMAIL.json_schema()["format"] == "idn-email"
    assert URL.json_schema()["format"] == "iri"
    # The special-use names email-validator refuses are ruled out by the pattern too.
    assert not re.fullmatch(inputs.EMAIL, "ada@example.TEST")
    assert re.fullmatch(inputs.EMAIL, "ada@example.testing")


@pytest.mark.parametrize("value", [5, None, ["ada@example.com"], b"ada@example.com"])
def test_an_email_or_url_must_be_a_string(value: object) -> None:
    for adapter in (EMAIL, URL):
        with pytest.raises(ValidationError):
            adapter.validate_python(value)


def test_text_refuses_nul_without_a_pattern() -> None:
    """No `pattern` for "no NUL": Swagger UI would invent random examples from it."""
    with pytest.raises(ValidationError, match="NUL"):
        TEXT.validate_python("a\x00b")
    assert TEXT.validate_python("Grüße, 世界 🌍") == "Grüße, 世界 🌍"
    schema = TEXT.json_schema()
    assert "pattern" not in schema
    assert "NUL" in schema["description"]


def test_a_list_of_texts_refuses_nul_without_a_pattern() -> None:
    texts = TypeAdapter(inputs.comma_separated(r"[^,]+", str, max_length=20))
    assert texts.validate_python("draft,paid") == ["draft", "paid"]
    with pytest.raises(ValidationError, match="NUL"):
        texts.validate_python("draft,pa\x00id")
    assert "x00" not in texts.json_schema()["pattern"]
