"""`fastapi-domains rename OLD NEW`: a domain renamed as if it had always had the new name. Its
folders move (src/OLD -> src/NEW, tests/OLD -> tests/NEW) with the user's edits carried over, its
names are derived again from the new one (entity, table, classes, settings prefix, labels,
routes) and stored in `.copier/domain-NEW.yml`, the domains that reference it follow, and one
migration renames its table and everything the naming convention names after the table; the rows
are kept.

The edits are carried as `copier update` carries them, with each path mapped: the domain rendered
from its answers (the last render) and from the renamed answers (the new one), both at its own
template version, and the user's files where they are now.
"""

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from fastapi_domains import access, contract, domain_answers, external_domain, interrupts, names, rows, working_copy
from fastapi_domains.domain_change import (
    MIGRATIONS,
    Domain,
    change_migration,
    file_marks,
    load_domain,
    named,
    new_change,
    print_plan,
    renders,
    without_migrations,
)
from fastapi_domains.errors import CliError
from fastapi_domains.fields import REF
from fastapi_domains.free_names import check_free, held_files
from fastapi_domains.project import DOMAIN_ANSWERS_DIR, Project, load_project, read_answers
from fastapi_domains.update import EXIT_CONFLICTS, conflict_report, conflicted_files, one_line
from fastapi_domains.working_copy import Result

HELP = """\
Every name derived from the domain's name follows: the entity and table (unless --entity), the
classes, the settings' prefix (CUSTOMERS_* -> CLIENTS_*), the labels and the routes (/customers ->
/clients). The domains that reference it are re-rendered to point to the new one (their fields
keep their names). One migration renames the table, its key's sequence (int keys on PostgreSQL)
and its constraints and indexes, and the foreign keys of the tables that reference it, as the
naming convention names them; the rows are kept, and a downgrade restores the old names.

The domain is re-rendered by `copier update` at its own template version, with your edits (even
uncommitted ones) merged in and your own files in its folders moved along; a conflict stops with
the files to resolve. --dry-run prints the files and the migration instead.

examples:
  fastapi-domains rename customers clients
  fastapi-domains rename people staff --entity staff_member --yes
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "rename",
        help="rename a domain (its folders, names, routes and table; the rows are kept)",
        description="Rename a domain: its code, tests, answers and the domains that reference it follow, and one "
        "migration renames its table, rows kept.",
        epilog=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("old", metavar="OLD", help="the domain, e.g. customers")
    parser.add_argument("new", metavar="NEW", help="its new name, e.g. clients")
    parser.add_argument("--entity", metavar="SINGULAR", help="singular name of one row (default: derived from NEW)")
    parser.add_argument(
        "--yes", action="store_true", help="change the routes without asking (needed without a terminal)"
    )
    parser.add_argument("--project", type=Path, default=Path(), metavar="DIR", help="the service (default: .)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the files it would change and the migration; change nothing"
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    if args.old == args.new:
        raise CliError(f"the domain {args.old!r} has that name already")
    domain = domain_to_rename(project, args.old)
    try:
        names.check_domain_name(args.new)
        entity = args.entity or names.singular(args.new)
        names.check_identifier("entity name", entity)
    except names.InvalidNameError as error:
        raise CliError(str(error)) from error
    check_free(project, args.new, entity, keeping=domain.table)
    referencing = referencing_domains(project, domain.name)
    renamed = renamed_domain(domain, args.new, entity)
    check_lengths(domain, renamed, referencing)
    conflicted = conflicted_files(project.root)
    if conflicted:
        raise CliError(
            f"the service has unresolved conflicts ({', '.join(conflicted[:3])}): resolve and commit them first"
        )
    working_copy.require_git(project.root)
    renamed_names = constraint_renames(domain, renamed, referencing)
    extra: dict[str, object] = {
        "renamed_from": {"domain_name": domain.name, "table_name": domain.table},
        "renamed": renamed_names,
    }
    if str(domain.answers["pk_type"]) == "int" and domain.table != renamed.table:
        # PostgreSQL names an int key's sequence after its table (<table>_id_seq).
        extra["sequence"] = {"old": f"{domain.table}_id_seq", "new": f"{renamed.table}_id_seq"}
    slug = f"rename_table_{domain.table}" if domain.table != renamed.table else f"rename_domain_{domain.name}"
    change = new_change(project, "rename_domain", domain=renamed, slug=slug, **extra)
    renamed = Domain(renamed.name, renamed.answers | {"changes": [*domain.answers.get("changes", []), change]})
    doing = f"renaming the domain {domain.name} to {renamed.name}"
    if not args.dry_run:
        rows.require_a_way_to_confirm(f"rename changes the routes /{domain.name} to /{renamed.name}", yes=args.yes)
    migration, text, result = rerender(project, domain, renamed, change)
    others = [rereference(project, other, domain, renamed) for other in referencing]
    files = {**result.files, migration: text}
    conflicts = list(result.conflicts)
    for other in others:
        files |= other.files
        conflicts += other.conflicts
    if args.dry_run:
        print_plan(project, doing, files, migration, conflicts)
        return 0
    rows.say_and_confirm(what_changes(domain, renamed), f"Rename the domain {domain.name}?", yes=args.yes)
    marks = file_marks(project, files)
    interrupts.point_of_no_return()
    working_copy.apply(project.root, files)
    for folder in ("src", "tests"):
        shutil.rmtree(project.root / folder / domain.name, ignore_errors=True)  # What is left: bytecode.
    if conflicts:
        lines = conflict_report(
            f"{doing} (at its template version {domain.answers['_commit']})",
            project.root,
            conflicts,
            "check the change",
            ["uv run alembic upgrade head", "uv run pytest"],
        )
        print("\n".join(lines), file=sys.stderr)
        return EXIT_CONFLICTS
    print(f"Done {doing}, re-rendered at its template version {domain.answers['_commit']} with your edits:")
    print("\n".join(f"  {marks[name]} {name}" for name in sorted(files)))
    contract.report(project.root)
    print("Next: `uv run alembic upgrade head`, then `uv run pytest`.")
    return 0


def domain_to_rename(project: Project, name: str) -> Domain:
    """The domain's answers, or why it cannot be renamed."""
    answers_file = project.root / DOMAIN_ANSWERS_DIR / f"domain-{name}.yml"
    if answers_file.is_file():
        answers = read_answers(answers_file)
        if access.is_auth(answers):
            # The template renders the auth domain at src/auth whatever its answers say, and the
            # service's own code (owner-scoped domains, the seed command) imports it from there.
            raise CliError(
                "the domain 'auth' is the service's users and tokens, rendered by the template's auth kind at "
                "src/auth, where the service's own code imports it: it cannot be renamed"
            )
        if external_domain.is_external(answers):
            raise CliError(
                f"the domain {name!r} wraps an external API and has no table: add it again under the new name "
                f"(`fastapi-domains domain NEW --external URL`) and move your code over"
            )
    return load_domain(project, name)


def referencing_domains(project: Project, name: str) -> list[Domain]:
    """The other domains with a field that references the domain `name`."""
    found = []
    for answers_file in project.domain_answer_files():
        answers = read_answers(answers_file)
        other = str(answers.get("domain_name"))
        if other != name and any(
            field.get("type") == REF and (field.get("ref") or {}).get("domain") == name
            for field in answers.get("fields") or []
        ):
            found.append(load_domain(project, other))
    return found


def renamed_domain(domain: Domain, name: str, entity: str) -> Domain:
    """The domain's answers under its new name: every name derived from it derived again, and a
    reference to itself (a tree) pointing to the new name."""
    answers = domain.answers | {
        "domain_name": name,
        "entity_name": entity,
        "entity_class": names.class_name(entity),
        "entity_label": names.with_article(entity),
        "table_name": entity,
        **domain_answers.derived_names(name, entity),
    }
    answers["fields"] = pointed(domain.answers["fields"], domain.name, domain_answers.reference(answers))
    return Domain(name, answers)


def pointed(fields: list[dict], old: str, reference: dict[str, str]) -> list[dict]:
    """`fields` with each reference to the domain `old` pointing to `reference` instead."""
    return [
        answer | {"ref": reference} if answer["type"] == REF and answer["ref"]["domain"] == old else answer
        for answer in fields
    ]


def check_lengths(domain: Domain, renamed: Domain, referencing: list[Domain]) -> None:
    """Every name derived from the new table must fit PostgreSQL's identifiers."""
    columns = [field.name for field in renamed.fields]
    foreign_keys = {field["name"]: field["ref"]["table"] for field in renamed.answers["fields"] if field["type"] == REF}
    if access.level(renamed.answers) == access.OWNER:
        foreign_keys[access.OWNER_COLUMN] = access.USER_TABLE
        columns += [access.OWNER_COLUMN] + [
            f"{access.OWNER_COLUMN}_{field.name}" for field in renamed.fields if field.unique
        ]
    try:
        names.check_identifier_lengths(renamed.table, columns, foreign_keys)
        for other in referencing:
            pointing = {
                field.name: renamed.table for field in other.fields if field.type == REF and field.ref == domain.name
            }
            names.check_identifier_lengths(other.table, [], pointing)
    except names.InvalidNameError as error:
        raise CliError(str(error)) from error


def constraint_renames(domain: Domain, renamed: Domain, referencing: list[Domain]) -> list[dict[str, Any]]:
    """Each constraint and index whose name the naming convention derives from the renamed table:
    its table (by its new name), kind, columns, and its name before and after, for the migration."""
    found = [
        {
            "table": renamed.table,
            "kind": "primary",
            "columns": ["id"],
            "old": f"pk_{domain.table}",
            "new": f"pk_{renamed.table}",
        }
    ]
    columns = list(zip(domain.answers["fields"], renamed.answers["fields"], strict=True))
    if access.level(domain.answers) == access.OWNER:
        owner = {"name": access.OWNER_COLUMN, "type": REF, "ref": {"table": access.USER_TABLE}}
        columns.append((owner, owner))
    for before, after in columns:
        found += field_renames(
            renamed.table,
            named(domain, before),
            named(renamed, after),
            owner=access.level(domain.answers) == access.OWNER,
        )
    for other in referencing:
        for answer in other.answers["fields"]:
            if answer["type"] == REF and answer["ref"]["domain"] == domain.name:
                moved = answer | {"ref": domain_answers.reference(renamed.answers)}
                found += field_renames(other.table, named(other, answer), named(other, moved))
    return [item for item in found if item["old"] != item["new"]]


def field_renames(table: str, before: dict, after: dict, *, owner: bool = False) -> list[dict[str, Any]]:
    """A field's constraints and index in `table`, under their names `before` and `after`."""
    name = after["name"]
    old, new = before["names"], after["names"]
    found = []
    if "uq" in new:
        found.append({"kind": "unique", "columns": [*([access.OWNER_COLUMN] if owner else []), name]})
    if "ck" in new:
        found.append({"kind": "check", "columns": [name], "choices": after["choices"]})
    if "fk" in new:
        found.append({"kind": "foreignkey", "columns": [name], "referred": after["ref"]["table"]})
        found.append({"kind": "index", "columns": [name]})
    keys = {"unique": "uq", "check": "ck", "foreignkey": "fk", "index": "ix"}
    return [item | {"table": table, "old": old[keys[item["kind"]]], "new": new[keys[item["kind"]]]} for item in found]


def rerender(project: Project, domain: Domain, renamed: Domain, change: dict) -> tuple[str, bytes, Result]:
    """The domain rendered as it was last (its old paths mapped to the new ones) and as renamed,
    both at its template version, merged with the user's files where they are now; and the
    rename's migration, from the new render."""
    with renders(project, domain) as render:
        try:
            old = render("old", domain.data(), exclude=[MIGRATIONS])
            new = render("new", renamed.data(), answers_file=renamed.answers_file)
        except Exception as error:  # Copier's own errors, git's run through it...: nothing has been written yet.
            failed = f"re-rendering the domain {domain.name} failed, nothing was written"
            raise CliError(f"{failed}: {one_line(error)}") from error
        migration, text = change_migration(project, renamed, new, change)
        rendered = working_copy.rendered(old)
        before = {moved_path(name, domain, renamed): content for name, content in rendered.items()}
        after = without_migrations(working_copy.rendered(new))
    moved = {moved_path(name, domain, renamed): name for name in rendered}
    result = working_copy.merge(project.root, before, after, [renamed.answers_file], moved)
    # The user's own files in the domain's folders move along, as they are.
    files = dict(result.files)
    for folder in ("src", "tests"):
        for name in held_files(project.root / folder / domain.name):
            path = f"{folder}/{domain.name}/{name}"
            if path not in rendered:
                files |= {path: None, moved_path(path, domain, renamed): (project.root / path).read_bytes()}
    return migration, text, Result(files, result.conflicts)


def moved_path(name: str, domain: Domain, renamed: Domain) -> str:
    """A file's path once the domain is renamed: its folders' and its answers file's new names."""
    if name == domain.answers_file:
        return renamed.answers_file
    for folder in ("src", "tests"):
        if name.startswith(f"{folder}/{domain.name}/"):
            return f"{folder}/{renamed.name}/{name.removeprefix(f'{folder}/{domain.name}/')}"
    return name


def rereference(project: Project, other: Domain, domain: Domain, renamed: Domain) -> Result:
    """A domain that references the renamed one, re-rendered with its references pointing to the
    new name as `copier update -a` does it (its fields and columns keep their names)."""
    fields = pointed(other.answers["fields"], domain.name, domain_answers.reference(renamed.answers))
    with renders(project, other) as render:
        try:
            old = render("old", other.data(), exclude=[MIGRATIONS])
            new = render("new", other.data(fields=fields), exclude=[MIGRATIONS])
        except Exception as error:  # Copier's own errors, git's run through it...: nothing has been written yet.
            failed = f"re-rendering the domain {other.name} failed, nothing was written"
            raise CliError(f"{failed}: {one_line(error)}") from error
        before, after = working_copy.rendered(old), working_copy.rendered(new)
    return working_copy.merge(project.root, before, after, taken=[other.answers_file])


def what_changes(domain: Domain, renamed: Domain) -> list[str]:
    """What the rename changes for the API's clients and the service's settings, and how it goes back."""
    old_class, new_class = domain.answers["entity_class"], renamed.answers["entity_class"]
    lines = [
        f"rename moves the domain {domain.name} to {renamed.name}: its routes go from /{domain.name} to "
        f"/{renamed.name} and its schemas from {old_class}* to {new_class}* (the API's clients must follow), its "
        f"settings from {domain.answers['env_prefix']}* to {renamed.answers['env_prefix']}* variables (rename any in "
        ".env and where the service runs).",
    ]
    if domain.table != renamed.table:
        lines.append(
            f"Its migration renames the table {domain.table} to {renamed.table}, rows kept; a rollback "
            "(`uv run alembic downgrade -1`) renames it back."
        )
    return lines
