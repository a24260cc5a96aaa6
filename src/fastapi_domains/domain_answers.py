"""The answers a domain is rendered with. Standard library only (the template's hook uses it).

Everything a domain's files depend on is an answer, so `copier update -a
.copier/domain-<name>.yml` re-renders the same files and never falls back to a default.
"""

import datetime as dt
import uuid

from fastapi_domains import names
from fastapi_domains.fields import REF, Field, parse_fields

__all__ = ["ADDED_LATER", "RECORDED", "build", "parse_fields"]

# What every domain's answers file holds, whatever the release it was made at: without one of
# these, `copier update` would take the question's default (other fields, table or migration).
# An answer a later release adds stays out: domains made before it lack it and take its default.
RECORDED = (
    "template_kind",
    "domain_name",
    "entity_name",
    "entity_class",
    "table_name",
    "fields",
    "database",
    "pk_type",
    "revision_id",
    "down_revision",
    "migration_date",
)


# Answers a release added after RECORDED, each with a Copier default: a service whose template
# predates one renders its domains without it (`access` then only as public, its default).
ADDED_LATER = ("entity_label", "access")


def build(
    domain: str,
    fields: list[Field],
    *,
    database: str,
    pk_type: str,
    down_revision: str,
    entity: str | None = None,
    references: dict[str, dict[str, str]] | None = None,
    label: str | None = None,
    access: str = "public",
) -> dict[str, object]:
    """`references` describes each domain a `ref` field points to (see `reference`); `access` says
    who may call the domain's routes (see `fastapi_domains.access`)."""
    entity_name = entity or names.singular(domain)
    return {
        "template_kind": "domain",
        "domain_name": domain,
        "entity_name": entity_name,
        "entity_class": names.class_name(entity_name),
        "entity_label": label or names.with_article(entity_name),
        "table_name": entity_name,
        "fields": field_answers(fields, references or {}),
        "database": database,
        "pk_type": pk_type,
        "access": access,
        **new_revision(down_revision),
    }


def field_answers(fields: list[Field], references: dict[str, dict[str, str]]) -> list[dict[str, object]]:
    """The fields as the answers store them: a reference with what it needs of the other domain."""
    return [
        {**field.answer(), "ref": references[field.ref]} if field.type == REF else field.answer() for field in fields
    ]


def new_revision(down_revision: str) -> dict[str, str]:
    """A new migration's revision, parent and date, derived once and stored with the answers, so
    every render of it is the same file."""
    return {
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
        # Domains made before labels were stored have none: derived as the CLI derives it.
        "label": str(answers.get("entity_label") or names.with_article(str(answers["entity_name"]))),
    }
