"""External-API domains (`fastapi-domains domain NAME --external BASE_URL`): a domain with no table
that wraps a third-party HTTP API, rendered from the template's `external` kind.

Its answers file is `.copier/domain-<name>.yml` like any domain's, so `fastapi-domains update`
updates it with the others; it holds the names and the base URL, nothing about tables.
"""

import re

from fastapi_domains import names
from fastapi_domains.errors import CliError

KIND = "external"
# What every external domain's answers file holds (see domain_answers.RECORDED).
RECORDED = ("template_kind", "domain_name", "entity_name", "entity_class", "base_url")
BASE_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$")
# The URL is a default in the domain's settings, on a line of its own that must fit ruff's limit.
MAX_URL_LENGTH = 100


def is_external(answers: dict) -> bool:
    return answers.get("template_kind") == KIND


def check_base_url(url: str) -> str:
    """The base URL, or a CliError saying what a base URL looks like (copier.yml checks the same)."""
    if not BASE_URL.match(url) or len(url) > MAX_URL_LENGTH:
        raise CliError(
            f"--external {url!r} is not a base URL: give an http(s) URL of at most {MAX_URL_LENGTH} characters "
            "without query, fragment or credentials, like https://api.example.com/v1 (the key goes in the "
            "domain's <NAME>_API_KEY setting)"
        )
    return url


def answers(domain: str, base_url: str, entity: str | None = None) -> dict[str, object]:
    entity_name = entity or names.singular(domain)
    return {
        "template_kind": KIND,
        "domain_name": domain,
        "entity_name": entity_name,
        "entity_class": names.class_name(entity_name),
        "base_url": base_url,
    }
