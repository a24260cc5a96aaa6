"""`fastapi-domains field rename DOMAIN OLD NEW` and `field change DOMAIN SPEC`: a field renamed,
or given a new type, optionality, uniqueness or enum values, as if it had always been so (schemas,
service, tests and answers re-rendered, the user's edits merged in), with one migration that keeps
the column's values. A change's migration counts the rows the new shape cannot hold first (nulls,
duplicates, a removed enum value, a value that does not fit) and stops, changing nothing, if any."""

import argparse
import dataclasses

from fastapi_domains import access, domain_answers, names, rows
from fastapi_domains.domain_change import Domain, change_fields, load_domain, named, new_change
from fastapi_domains.errors import CliError
from fastapi_domains.field_defaults import DefaultError, parse_default
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

# Type changes whose values convert as they are, both ways (the way back checks they fit); any
# other type change needs --using. An enum may gain values, or lose values no row holds.
SAFE_TYPE_CHANGES = {("int", "decimal"), ("int", "float"), ("str", "text")}
# --using is written into the migration as a string literal, on a line of its own.
MAX_USING_LENGTH = 90
CHANGE_FIELD_HELP = """\
SPEC is the field as `field add` takes it, with its new type or modifiers. What it may change:
  optional -> required   the rows holding null need --default VALUE, or the upgrade stops
  required -> optional
  unique on or off       the upgrade stops if rows would hold duplicates, naming how many
  int -> decimal or float, str -> text (the way back checks that the values fit)
  enum values            added, or removed when no row holds them (the upgrade checks)
  any other type         --using SQL: the expression that converts a value, e.g. "CAST(code AS INTEGER)"
Each check runs at upgrade time, before anything changes; a downgrade that cannot restore the values
says so in the migration's docstring and stops, changing nothing, rather than corrupt them.

examples:
  fastapi-domains field change customers phone:str --default unknown
  fastapi-domains field change customers name:str:unique
  fastapi-domains field change products stock:decimal
  fastapi-domains field change orders 'status:enum:draft|paid|sent'
  fastapi-domains field change products code:int --using "CAST(code AS INTEGER)" --yes

"""


def register(actions: argparse._SubParsersAction, change_help: str) -> list[argparse.ArgumentParser]:
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
    change = actions.add_parser(
        "change",
        help="change a field's type, optionality, uniqueness or enum values (its column keeps its values)",
        description="Change a field of a domain to a new spec: its code, tests and answers follow, and one "
        "migration alters its column, values kept.",
        epilog=CHANGE_FIELD_HELP + change_help,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    change.add_argument("domain", metavar="DOMAIN", help="the domain, e.g. customers")
    change.add_argument("spec", metavar="SPEC", help="the field's new spec, e.g. phone:str (required now)")
    change.add_argument("--default", metavar="VALUE", help="the value a field made required gets where it is null")
    change.add_argument("--using", metavar="SQL", help="the SQL expression that converts a value to the new type")
    change.add_argument(
        "--yes", action="store_true", help="convert with --using without asking (needed without a terminal)"
    )
    change.set_defaults(handler=handle_change)
    return [rename, change]


def handle_rename(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    domain = load_domain(project, args.domain)
    old = find_field(domain, args.old, doing="renamed")
    new = renamed_field(domain, old, args.new)
    slug = f"rename_{domain.table}_{old['name']}"
    change = new_change(project, "rename_field", [new], domain=domain, slug=slug, renamed_from=named(domain, old))
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


def handle_change(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    domain = load_domain(project, args.domain)
    old = find_field(domain, args.spec.strip().partition(":")[0], doing="changed")
    try:
        wanted = parse_spec(args.spec)
    except FieldError as error:
        raise CliError(str(error)) from error
    before = Field.from_answer(old)
    new = changed_field(domain, before, wanted, using=args.using)
    extra: dict[str, object] = {"changed_from": named(domain, old), "from_spec": before.spec(), "to_spec": new.spec()}
    if args.default is not None:
        extra["default"] = change_default(before, new, args.default, str(domain.answers["pk_type"]))
    if args.using is not None:
        extra["using"] = args.using
    answer = domain_answers.described(new.answer(), old.get("ref"), str(domain.answers["pk_type"]))
    slug = f"change_{domain.table}_{new.name}"
    change = new_change(project, "change_field", [answer], domain=domain, slug=slug, **extra)
    if args.using is not None and not args.dry_run:
        column = f"{domain.table}.{new.name}"
        converts = f"field change converts every value of {column} with {args.using!r}"
        rows.require_a_way_to_confirm(converts, yes=args.yes)
        lines = [f"{converts}; the downgrade cannot convert them back and stops while the table has rows."]
        rows.say_and_confirm(lines, f"Convert {column}?", yes=args.yes)
    fields = [answer if field["name"] == new.name else field for field in domain.answers["fields"]]
    doing = f"changing {new.name} of the domain {domain.name} to {new.spec()}"
    return change_fields(project, domain, fields, change, doing=doing, dry_run=args.dry_run)


def changed_field(domain: Domain, before: Field, wanted: Field, *, using: str | None) -> Field:
    """The field's new shape, or why it cannot take it."""
    if REF in (before.type, wanted.type) and (before.type, before.ref) != (wanted.type, wanted.ref):
        raise CliError(
            f"{before.spec()} cannot become {wanted.spec()}: a reference keeps its type and domain (remove the field "
            "and add another: `fastapi-domains field remove`, `field add`)"
        )
    # A str keeps its length (the grammar has none to give).
    new = dataclasses.replace(wanted, max_length=before.max_length) if wanted.type == before.type == "str" else wanted
    if new == before:
        raise CliError(f"the field {before.name!r} of {domain.name} is {before.spec()} already")
    retyped = before.type != new.type
    if retyped and (before.type, new.type) not in SAFE_TYPE_CHANGES and using is None:
        raise CliError(
            f"{before.spec()} -> {new.spec()} has no safe conversion: give --using SQL, the expression that converts "
            f'a value (e.g. --using "CAST({new.name} AS ...)")'
        )
    if using is not None:
        if not retyped:
            raise CliError(f"--using converts values to a new type; {before.name!r} keeps its type {before.type}")
        if not using.strip() or "\n" in using or "\x00" in using or len(using) > MAX_USING_LENGTH:
            raise CliError(f"--using must be one line of SQL of 1 to {MAX_USING_LENGTH} characters")
    return new


def change_default(before: Field, new: Field, text: str, pk_type: str) -> object:
    """`--default`: the value of the rows where a field made required is null."""
    if not (before.optional and not new.optional):
        raise CliError(
            f"--default fills the rows where a field made required is null; {before.spec()} -> {new.spec()} "
            "does not make it required"
        )
    try:
        return parse_default(new, text, pk_type)
    except DefaultError as error:
        raise CliError(f"{error} (for the field {new.spec()})") from error
