"""The answers a domain is rendered with. Standard library only (the template's hook uses it).

Everything a domain's files depend on is an answer, so `copier update -a
.copier/domain-<name>.yml` re-renders the same files and never falls back to a default.
"""

import datetime as dt
import uuid

from fastapi_domains import names
from fastapi_domains.fields import REF, Field, parse_fields

__all__ = ["build", "parse_fields"]


def build(
    domain: str,
    fields: list[Field],
    *,
    database: str,
    pk_type: str,
    down_revision: str,
    entity: str | None = None,
    references: dict[str, dict[str, str]] | None = None,
) -> dict[str, object]:
    """`references` describes each domain a `ref` field points to (see `reference`)."""
    entity_name = entity or names.singular(domain)
    return {
        "template_kind": "domain",
        "domain_name": domain,
        "entity_name": entity_name,
        "entity_class": names.class_name(entity_name),
        "table_name": entity_name,
        "fields": [
            {**field.answer(), "ref": (references or {})[field.ref]} if field.type == REF else field.answer()
            for field in fields
        ],
        "database": database,
        "pk_type": pk_type,
        "revision_id": uuid.uuid4().hex[:12],
        "down_revision": down_revision,
        "migration_date": dt.datetime.now(dt.UTC).date().isoformat(),
    }


def reference(answers: dict[str, object]) -> dict[str, str]:
    """What a domain that points to another needs of it, from that domain's answers."""
    return {
        "domain": str(answers["domain_name"]),
        "entity": str(answers["entity_name"]),
        "entity_class": str(answers["entity_class"]),
        "table": str(answers["table_name"]),
    }
