"""`fastapi-domains field rename DOMAIN OLD NEW`: a field renamed as if it had always had its new
name (schemas, service, tests and answers re-rendered, the user's edits merged in), with one
migration that renames its column, values kept, and its constraints and index after it."""

import argparse
import dataclasses

from fastapi_domains import access, domain_answers, names
from fastapi_domains.domain_change import Domain, change_fields, load_domain, new_change
from fastapi_domains.errors import CliError
from fastapi_domains.fields import REF, Field, FieldError, parse_spec
from fastapi_domains.project import load_project

# Columns every table has besides its fields; other domains' references point to `id`.
TABLE_COLUMNS = ("id", "created_at", "updated_at")
RENAME_HELP = """\
The column keeps its values: one migration renames it, and its unique constraint, index, foreign
key or CHECK constraint take the names the naming convention gives them after the new name. Other
domains that nest this domain's rows read the new name through its schemas.

examples:
  fastapi-domains field rename customers phone mobile
  fastapi-domains field rename order_items customer_id buyer_id

"""


def register(actions: argparse._SubParsersAction, change_help: str) -> argparse.ArgumentParser:
    rename = actions.add_parser(
        "rename",
        help="rename a field of a domain (its column keeps its values)",
        description="Rename a field of a domain: its code, tests and answers follow, and one migration renames "
        "its column, values kept.",
        epilog=RENAME_HELP + change_help,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rename.add_argument("domain", metavar="DOMAIN", help="the domain, e.g. customers")
    rename.add_argument("old", metavar="OLD", help="the field's name, e.g. phone")
    rename.add_argument("new", metavar="NEW", help="its new name, e.g. mobile")
    rename.set_defaults(handler=handle_rename)
    return rename


def handle_rename(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    domain = load_domain(project, args.domain)
    old = find_field(domain, args.old, doing="renamed")
    new = renamed_field(domain, old, args.new)
    change = new_change(project, "rename_field", [new], renamed_from=old)
    change["migration_file"] = names.migration_file(
        change["migration_date"], change["revision_id"], f"rename_{domain.table}_{old['name']}"
    )
    fields = [new if answer["name"] == old["name"] else answer for answer in domain.answers["fields"]]
    doing = f"renaming {old['name']} to {new['name']} in the domain {domain.name}"
    return change_fields(project, domain, fields, change, doing=doing, dry_run=args.dry_run)


def find_field(domain: Domain, name: str, *, doing: str) -> dict:
    """The field's answer, or the reason there is none to change."""
    for answer in domain.answers["fields"]:
        if answer["name"] == name:
            return answer
    if name in TABLE_COLUMNS:
        raise CliError(f"{name!r} is a column every table has, not a field: it cannot be {doing}")
    if name == access.OWNER_COLUMN and access.level(domain.answers) == access.OWNER:
        raise CliError(
            f"{name!r} is the owner column of {domain.name} (access owner: the user whose row it is), not a field: "
            f"it cannot be {doing}"
        )
    known = ", ".join(answer["name"] for answer in domain.answers["fields"])
    raise CliError(f"the domain {domain.name} has no field {name!r} (its fields: {known})")


def renamed_field(domain: Domain, old: dict, name: str) -> dict:
    """The field's answer under its new name, checked as `field add` checks a name."""
    if name == old["name"]:
        raise CliError(f"the field {name!r} of {domain.name} has that name already")
    field = dataclasses.replace(Field.from_answer(old), name=name)
    others = [other for other in domain.fields if other.name != old["name"]]
    try:
        parse_spec(field.spec())  # the name's own rules, and those of its type (`_at`, `_id`...)
        if name in {other.name for other in others}:
            raise FieldError(f"the domain {domain.name} has a field {name!r} already")
        if name == access.OWNER_COLUMN and access.level(domain.answers) == access.OWNER:
            raise FieldError(f"the domain {domain.name} has an {name} column already (access owner)")
        for other in [*others, field]:
            if other.type == REF and other.nested in {every.name for every in [*others, field]}:
                raise FieldError(f"field {other.nested!r} clashes with the row {other.name!r} nests under that key")
        foreign_keys = {name: old["ref"]["table"]} if field.type == REF else {}
        names.check_identifier_lengths(domain.table, [name], foreign_keys)
    except (FieldError, names.InvalidNameError) as error:
        raise CliError(str(error)) from error
    reference = old.get("ref") if isinstance(old.get("ref"), dict) else None
    return domain_answers.described(field.answer(), reference, str(domain.answers["pk_type"]))
