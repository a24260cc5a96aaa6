"""`fastapi-domains field add DOMAIN SPEC... [--default VALUE]` and `field remove DOMAIN NAME`:
a domain's fields changed as if they had been there (or not) from the start, with one migration."""

import argparse
from pathlib import Path

from fastapi_domains import access, domain_answers, field_shape, migrations, names, renamed_or_new, rows
from fastapi_domains.add_domain import FIELD_GRAMMAR, resolve_references
from fastapi_domains.domain_change import Domain, change_fields, load_domain, named, new_change, references_to
from fastapi_domains.errors import CliError
from fastapi_domains.field_defaults import DefaultError, parse_default
from fastapi_domains.fields import REF, Field, FieldError, parse_fields
from fastapi_domains.project import Project, load_project

# The grammar part of `domain`'s help (its examples add domains).
GRAMMAR = FIELD_GRAMMAR.partition("examples:")[0]
ADD_HELP = f"""\
{GRAMMAR}
A required field needs --default VALUE: the table may have rows, and the migration fills them
with it (then drops the column's default, as the model has none). With `unique`, the migration
fails on a table whose rows would then hold duplicates.

Right after `field remove` of a field with the same spec but its name, whose migration is not
applied yet, one field added may be that field renamed: the command asks "Was DOMAIN.OLD renamed
to NEW?". Yes turns the pair into one rename, the values kept (the removal's migration is replaced
by the rename's); without a terminal, answer with --yes or --no-rename.

examples:
  fastapi-domains field add customers phone:str:optional
  fastapi-domains field add customers tier:int --default 1
  fastapi-domains field add order_items coupon_id:ref:customers:optional

"""
CHANGE_HELP = """\
The domain is re-rendered by `copier update` at its own template version, with your edits (even
uncommitted ones) merged in; a conflict stops with the files to resolve. One new migration is
written, chained onto the single head; --dry-run prints the files and the migration instead.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "field",
        help="add fields to a domain, or remove, rename or change one (code, tests and a migration)",
        description="Add fields to a domain, or remove, rename or change one: its code, tests and answers follow, and "
        "one migration changes its table.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add",
        help="add fields to a domain",
        description="Add fields to a domain, as if they had been there from the start.",
        epilog=ADD_HELP + CHANGE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add.add_argument("domain", metavar="DOMAIN", help="the domain, e.g. customers")
    add.add_argument("specs", nargs="+", metavar="SPEC", help="a field as in `domain --field`, e.g. phone:str:optional")
    add.add_argument("--default", metavar="VALUE", help="the value a required field gets in the rows the table has")
    answer = add.add_mutually_exclusive_group()
    answer.add_argument(
        "--yes",
        action="store_true",
        help="right after `field remove` of a field like it: it was renamed, keep its values",
    )
    answer.add_argument(
        "--no-rename", action="store_true", help="right after `field remove` of a field like it: it is a new field"
    )
    add.set_defaults(handler=handle_add)
    remove = actions.add_parser(
        "remove",
        help="remove a field from a domain",
        description="Remove a field from a domain: its column is dropped (a downgrade brings the column back empty).",
        epilog=CHANGE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    remove.add_argument("domain", metavar="DOMAIN", help="the domain, e.g. customers")
    remove.add_argument("name", metavar="NAME", help="the field, e.g. phone")
    remove.add_argument(
        "--yes", action="store_true", help="drop the column and its values without asking (needed without a terminal)"
    )
    remove.set_defaults(handler=handle_remove)
    for action in (add, remove, *field_shape.register(actions, CHANGE_HELP)):
        add_common_options(action)


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=Path, default=Path(), metavar="DIR", help="the service (default: .)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the files it would change and the migration; change nothing"
    )


def handle_add(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    domain = load_domain(project, args.domain)
    try:
        added = parse_fields(args.specs)
        check_clashes(domain, added)
        references = resolve_references(
            project, added, referencing=domain.name, level=access.level(domain.answers), adding=False
        )
        foreign_keys = {field.name: references[field.ref]["table"] for field in added if field.type == REF}
        names.check_identifier_lengths(domain.table, [field.name for field in added], foreign_keys)
    except (FieldError, names.InvalidNameError) as error:
        raise CliError(str(error)) from error
    removal = None if args.no_rename else renamed_or_new.removal_to_undo(project, domain, added)
    if removal is not None and renamed_or_new.was_renamed(
        domain, removal, added[0].name, yes=args.yes, no_rename=args.no_rename
    ):
        return add_as_rename(project, domain, removal, added[0].name, args)
    defaults = fill_defaults(added, args.default, str(domain.answers["pk_type"]))
    answers = domain_answers.field_answers(added, references, str(domain.answers["pk_type"]))
    slug = f"add_{domain.table}_{'_'.join(field.name for field in added)}"
    extra = {"defaults": defaults} if defaults else {}
    change = new_change(project, "add_fields", answers, domain=domain, slug=slug, **extra)
    doing = f"adding {', '.join(field.name for field in added)} to the domain {domain.name}"
    fields = [*domain.answers["fields"], *answers]
    return change_fields(project, domain, fields, change, doing=doing, dry_run=args.dry_run)


def add_as_rename(project: Project, domain: Domain, removal: dict, name: str, args: argparse.Namespace) -> int:
    """The removal the domain's latest change made, and this addition, as one rename: the field
    back under its new name, and the rename's migration in place of the removal's."""
    if args.default is not None:
        raise CliError("--default fills a new column; a rename keeps the column's values: leave --default out")
    before = Domain(domain.name, domain.answers | {"changes": domain.answers["changes"][:-1]})
    old = removal["fields"][0]
    new = field_shape.renamed_field(before, old, name)
    slug = f"rename_{domain.table}_{old['name']}"
    change = new_change(project, "rename_field", [new], domain=before, slug=slug, renamed_from=named(before, old))
    change |= {"down_revision": removal["down_revision"]}
    doing = f"renaming {old['name']} to {name} in the domain {domain.name} (instead of removing it)"
    replacing = f"{migrations.VERSIONS_DIR.as_posix()}/{removal['migration_file']}"
    fields = [*domain.answers["fields"], new]
    return change_fields(project, before, fields, change, doing=doing, dry_run=args.dry_run, replacing=replacing)


def check_clashes(domain: Domain, added: list[Field]) -> None:
    """New names must be free in the domain, and no reference may nest its row under a field's name."""
    fields = domain.fields
    owned = access.level(domain.answers) == access.OWNER
    for field in added:
        if field.name in {old.name for old in fields}:
            raise FieldError(f"the domain {domain.name} has a field {field.name!r} already")
        if owned and field.name == access.OWNER_COLUMN:
            raise FieldError(
                f"the domain {domain.name} has an {access.OWNER_COLUMN} column already (access owner: the user whose "
                "row it is)"
            )
        if field.type == REF and field.ref == domain.name:
            raise FieldError(f"field {field.name!r}: a domain cannot reference itself")
    every = [*fields, *added]
    for field in every:
        if field.type == REF and field.nested in {other.name for other in every}:
            raise FieldError(f"field {field.nested!r} clashes with the row {field.name!r} nests under that key")


def fill_defaults(added: list[Field], default: str | None, pk_type: str) -> dict[str, object]:
    """The value of each required field in the rows the table has: `--default`, checked for each."""
    required = [field for field in added if not field.optional]
    if default is None:
        for field in required:
            raise CliError(
                f"field {field.name!r} is required and the table may have rows: give --default VALUE to fill them, "
                f"or add it as {field.spec()}:optional"
            )
        return {}
    if not required:
        raise CliError("--default fills a required field in the rows the table has; the fields given are all optional")
    defaults = {}
    for field in required:
        try:
            defaults[field.name] = parse_default(field, default, pk_type)
        except DefaultError as error:
            raise CliError(f"{error} (for the field {field.spec()})") from error
    return defaults


def handle_remove(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    domain = load_domain(project, args.domain)
    fields = domain.answers["fields"]
    removed = [answer for answer in fields if answer["name"] == args.name]
    if not removed:
        if args.name in field_shape.TABLE_COLUMNS:
            referencing = references_to(project, domain.name) if args.name == "id" else []
            used = f"; other domains' references point to it: {', '.join(referencing)}" if referencing else ""
            raise CliError(f"{args.name!r} is a column every table has, not a field: it cannot be removed{used}")
        known = ", ".join(answer["name"] for answer in fields)
        raise CliError(f"the domain {domain.name} has no field {args.name!r} (its fields: {known})")
    if len(fields) == 1:
        raise CliError(
            f"{args.name!r} is the only field of {domain.name}, and a domain needs one; "
            f"remove the domain instead: fastapi-domains remove {domain.name}"
        )
    change = new_change(project, "drop_field", removed, domain=domain, slug=f"drop_{domain.table}_{args.name}")
    if not args.dry_run:
        column = f"{domain.table}.{args.name}"
        rows.require_a_way_to_confirm(f"field remove drops the column {column} and every value in it", yes=args.yes)
        rows.say_and_confirm(dropped_values(project, domain, removed[0]), f"Drop {column}?", yes=args.yes)
    doing = f"removing {args.name} from the domain {domain.name}"
    remaining = [answer for answer in fields if answer["name"] != args.name]
    return change_fields(project, domain, remaining, change, doing=doing, dry_run=args.dry_run)


def dropped_values(project: Project, domain: Domain, answer: dict) -> list[str]:
    """What dropping the field loses, and what rolling the change back needs."""
    table, name = domain.table, answer["name"]
    counted = rows.count(project.root, table, name)
    if counted.rows is None:
        found = f"the rows holding a value could not be counted ({counted.problem})"
    else:
        holding = "holds" if counted.rows == 1 else "hold"
        found = f"{rows.plural(counted.rows, 'row')} of {table} {holding} a value in {counted.where}"
    keep = f"keep a copy first (`{rows.copy_query(table, f'id, {name}')}`)"
    rollback = f"A rollback (`uv run alembic downgrade -1`) adds {table}.{name} back, nullable and empty"
    if answer["optional"]:
        rollback += f": the code before this change reads it as null, and the values are gone unless you {keep}."
    else:
        nesting = sorted({reference.split(".")[0] for reference in references_to(project, domain.name)})
        readers = f"{domain.name} and the domains that nest its rows ({', '.join(nesting)})" if nesting else domain.name
        rollback += (
            f", and the code before this change answers 500 on {readers} for every row until {name} holds a value "
            f"again: {keep} and write it back after the downgrade."
        )
    return [f"field remove drops the column {table}.{name}: {found}.", rollback]
