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
ADDED_LATER = ("entity_label", "access", "entity_text", "domain_class", "domain_label", "env_prefix", "migration_file")


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
    revision = new_revision(down_revision)
    return {
        "template_kind": "domain",
        "domain_name": domain,
        "entity_name": entity_name,
        "entity_class": names.class_name(entity_name),
        "entity_label": label or default_label(entity_name),
        "table_name": entity_name,
        "fields": field_answers(fields, references or {}, pk_type),
        "database": database,
        "pk_type": pk_type,
        "access": access,
        **derived_names(domain, entity_name),
        **revision,
        "migration_file": create_migration_file(revision, entity_name),
    }


def default_label(entity: str) -> str:
    """One row in running text when the domain's author gave no label: the entity with its article."""
    return names.with_article(entity)


def create_migration_file(revision: dict[str, str], entity: str) -> str:
    """The file name of a domain's create migration (its table is named after the entity)."""
    return names.migration_file(revision["migration_date"], revision["revision_id"], f"create_{entity}")


def auth_migration_file(revision: dict[str, str]) -> str:
    """The auth domain's migration (its user, refresh token and sign-in throttle tables)."""
    return names.migration_file(revision["migration_date"], revision["revision_id"], "create_user")


def derived_names(domain: str, entity: str) -> dict[str, str]:
    """The names the domain's files spell besides its entity's: its settings class and variables'
    prefix, and its rows in running text."""
    return {
        "entity_text": names.words(entity),
        "domain_class": names.class_name(domain),
        "domain_label": names.words(domain),
        "env_prefix": names.env_prefix(domain),
    }


def field_answers(
    fields: list[Field], references: dict[str, dict[str, str]], pk_type: str = "int"
) -> list[dict[str, object]]:
    """The fields as the answers store them, with their OpenAPI example: a reference with what it
    needs of the other domain and the key its row is nested under."""
    return [described(field.answer(), references.get(field.ref or ""), pk_type) for field in fields]


def described(answer: dict[str, object], reference: dict[str, str] | None, pk_type: str) -> dict[str, object]:
    """A field's answer with what is derived from it (also for fields stored before these were)."""
    extra: dict[str, object] = {"example": names.example(answer, pk_type)}
    if answer["type"] == REF:
        extra |= {"ref": reference or answer["ref"], "nested": names.nested_key(str(answer["name"]))}
    return {**answer, **extra}


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
        "label": str(answers.get("entity_label") or default_label(str(answers["entity_name"]))),
    }
