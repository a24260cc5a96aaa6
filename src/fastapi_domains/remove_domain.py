"""`fastapi-domains remove NAME`: remove a domain, its code, tests and answers, and write one
migration that drops its table. Its earlier migrations stay: they are the schema's history.

The domain's answers go with it, so its drop migration is rendered once, from the domain's
template at its version, into a staging folder, with the drop as the domain's latest change.
"""

import argparse
import shutil

from fastapi_domains import contract, interrupts, rows, working_copy
from fastapi_domains.domain_change import (
    Domain,
    file_marks,
    load_domain,
    new_change,
    print_plan,
    references_to,
    render_migration,
)
from fastapi_domains.errors import CliError
from fastapi_domains.field_commands import add_common_options
from fastapi_domains.project import Project, load_project


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "remove",
        help="remove a domain (its code, tests and answers) and write a migration that drops its table",
        description="Remove a domain: src/NAME, tests/NAME and its answers file go, and one migration drops "
        "its table (a downgrade brings the table back, empty). Its earlier migrations stay.",
    )
    parser.add_argument("name", metavar="NAME", help="the domain, e.g. order_items")
    parser.add_argument(
        "--yes", action="store_true", help="drop the table and its rows without asking (needed without a terminal)"
    )
    add_common_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    domain = load_domain(project, args.name)
    referencing = references_to(project, domain.name)
    if referencing:
        raise CliError(
            f"the domain {domain.name} is referenced by {', '.join(referencing)}: remove those fields "
            "(`fastapi-domains field remove`) or domains first"
        )
    change = new_change(project, "drop_table", domain=domain, slug=f"drop_table_{domain.table}")
    if not args.dry_run:
        what = f"remove drops the table {domain.table} and every row in it"
        rows.require_a_way_to_confirm(what, yes=args.yes)
    data = domain.data(changes=[*domain.answers.get("changes", []), change])
    migration, text = render_migration(project, domain, data, change)
    folders = [project.root / "src" / domain.name, project.root / "tests" / domain.name]
    removed = sorted(
        path.relative_to(project.root).as_posix()
        for folder in folders
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )
    files: dict[str, bytes | None] = dict.fromkeys([*removed, domain.answers_file]) | {migration: text}
    if args.dry_run:
        print_plan(project, f"removing the domain {domain.name}", files, migration, [])
        return 0
    rows.say_and_confirm(dropped_rows(project, domain), f"Remove the domain {domain.name}?", yes=args.yes)
    marks = file_marks(project, files)
    interrupts.point_of_no_return()
    working_copy.apply(project.root, files)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)  # What is left: bytecode and empty folders.
    contract.report(project.root)
    print(f"Removed the domain {domain.name}; its table is dropped by the new migration:")
    print("\n".join(f"  {marks[name]} {name}" for name in sorted(files)))
    print("Next: `uv run alembic upgrade head`, then `uv run pytest`.")
    return 0


def dropped_rows(project: Project, domain: Domain) -> list[str]:
    """What dropping the table loses, and what rolling the change back needs."""
    counted = rows.count(project.root, domain.table)
    if counted.rows is None:
        found = f"its rows could not be counted ({counted.problem})"
    else:
        found = f"it holds {rows.plural(counted.rows, 'row')} in {counted.where}"
    return [
        f"remove drops the table {domain.table}: {found}.",
        f"A rollback (`uv run alembic downgrade -1`) recreates {domain.table} empty, which the code before this "
        f"change reads as an empty list: its rows are gone unless you keep a copy first "
        f"(`{rows.copy_query(domain.table)}`).",
    ]
