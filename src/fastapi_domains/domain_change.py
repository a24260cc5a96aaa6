"""A change to a domain that exists: its answers rewritten to describe it as it now is, its code
and tests re-rendered at the domain's own template version as Copier's update does it (the last
render, the new one, and the user's edits, committed or not, carried over: see working_copy.py),
and one new migration, rendered by the template from the answers and chained onto the service's
single head.

A domain's answers list its changes (`changes`), each with its migration's revision, parent and
date, derived here once. The template renders only the latest change's migration, and never on
an update (copier.yml excludes migrations there), so earlier migrations are never rewritten,
duplicated or deleted: the CLI renders the new one into a staging folder and writes it once.
"""

import copy
import fnmatch
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi_domains import (
    access,
    contract,
    domain_answers,
    external_domain,
    interrupts,
    migrations,
    names,
    working_copy,
)
from fastapi_domains.add_domain import existing_domains
from fastapi_domains.errors import CliError
from fastapi_domains.fields import REF, Field
from fastapi_domains.list_domains import load
from fastapi_domains.project import DOMAIN_ANSWERS_DIR, Project, read_answers
from fastapi_domains.template_source import template_source
from fastapi_domains.update import EXIT_CONFLICTS, check_domain_answers, conflict_report, one_line
from fastapi_domains.working_copy import Result

MIGRATIONS = f"{migrations.VERSIONS_DIR.as_posix()}/*.py"


@dataclass(frozen=True)
class Domain:
    name: str
    answers: dict[str, Any]

    @property
    def answers_file(self) -> str:
        return f"{DOMAIN_ANSWERS_DIR}/domain-{self.name}.yml"

    @property
    def fields(self) -> list[Field]:
        return [Field.from_answer(answer) for answer in self.answers["fields"]]

    @property
    def table(self) -> str:
        return str(self.answers["table_name"])

    def data(self, **changes: object) -> dict[str, Any]:
        """The answers to render the domain with (Copier's own `_` keys left out), with `changes`."""
        return {key: value for key, value in self.answers.items() if not key.startswith("_")} | changes


def load_domain(project: Project, name: str) -> Domain:
    """The domain's answers, complete enough to render it again, or a CliError."""
    answers_file = project.root / DOMAIN_ANSWERS_DIR / f"domain-{name}.yml"
    if not answers_file.is_file():
        known = ", ".join(existing_domains(project)) or "none yet"
        raise CliError(f"the service has no domain {name!r} (its domains: {known})")
    answers = read_answers(answers_file)
    if access.is_auth(answers):
        raise CliError(access.NOT_A_DOMAIN_TO_CHANGE)
    check_domain_answers(answers_file)
    if external_domain.is_external(answers):
        raise CliError(
            f"the domain {name!r} wraps an external API: it has no table, fields or migrations to change "
            f"(its files are src/{name}/, tests/{name}/ and {DOMAIN_ANSWERS_DIR}/domain-{name}.yml)"
        )
    return Domain(name, answers)


def references_to(project: Project, domain: str) -> list[str]:
    """The fields of other domains that reference `domain`, as `order_items.customer_id`."""
    found = []
    for answers_file in project.domain_answer_files():
        answers, fields = load(answers_file)
        other = answers["domain_name"]
        found += [f"{other}.{field.name}" for field in fields if field.type == REF and field.ref == domain != other]
    return found


def new_change(
    project: Project,
    change: str,
    fields: list[dict[str, Any]] | None = None,
    *,
    domain: Domain | None = None,
    slug: str = "",
    **extra: object,
) -> dict:
    """A change as the answers store it, with its migration's revision chained onto the single
    head; given the `domain` and the migration's `slug`, also the migration's file name and each
    field's constraint names (`names`), derived here once for the template to substitute."""
    head = migrations.single_head(project.root)
    # A copy of the fields: shared with the domain's `fields`, the answers file would write YAML aliases.
    described = {"fields": copy.deepcopy(fields)} if fields is not None else {}
    stored = {"change": change, **described, **extra} | domain_answers.new_revision(head)
    if domain is not None:
        stored["fields"] = [named(domain, field) for field in stored.get("fields", [])]
        stored["migration_file"] = names.migration_file(stored["migration_date"], stored["revision_id"], slug)
    return stored


def named(domain: Domain, field: dict[str, Any]) -> dict[str, Any]:
    """A copy of a field's answer with the names of its constraints and index in `domain`'s table
    (`names`: `uq`, `ix`, `fk`, `ck`, as it has them), for a change's migration to substitute."""
    return copy.deepcopy(field) | {
        "names": names.field_constraints(
            domain.table,
            field["name"],
            unique=bool(field.get("unique")),
            referenced=(field.get("ref") or {}).get("table", ""),
            enum=field["type"] == "enum",
            owner=access.level(domain.answers) == access.OWNER,
        )
    }


@contextmanager
def renders(project: Project, domain: Domain) -> Iterator[Callable[..., Path]]:
    """`render(name, data, exclude=(), answers_file=...)`: the domain rendered with `data` at its
    template version into a scratch folder `name` (its answers in `answers_file`, the domain's own
    by default), until the block ends. Its answers keep recording its template's location as
    they do."""
    # Copier is loaded only now, once every check has passed: a refusal answers without it.
    with interrupts.deferred():
        from fastapi_domains import render  # noqa: PLC0415

    source = template_source(Project(project.root, domain.answers))
    answers = domain.answers
    with (
        render.template_at(source, answers["_commit"], "domain", answers["_src_path"]) as template,
        tempfile.TemporaryDirectory(prefix="fastapi-domains-") as scratch,
    ):

        def render_into(
            name: str, data: dict[str, Any], exclude: Sequence[str] = (), answers_file: str = domain.answers_file
        ) -> Path:
            render.render(template, Path(scratch) / name, data, answers_file=answers_file, exclude=exclude)
            return Path(scratch) / name

        yield render_into


def render_migration(project: Project, domain: Domain, data: dict[str, Any], change: dict) -> tuple[str, bytes]:
    """The change's migration, rendered from the domain's template at its version into a staging
    folder: its path in the service and its content. Nothing is written to the service."""
    with renders(project, domain) as render:
        try:
            # Only the migration is needed: the code and tests are not rendered.
            staging = render("domain", data, exclude=["src", "tests"])
        except Exception as error:  # Any failure of the render: nothing has been written yet.
            raise CliError(f"rendering the migration failed, nothing was written: {one_line(error)}") from error
        return change_migration(project, domain, staging, change)


def change_migration(project: Project, domain: Domain, staging: Path, change: dict) -> tuple[str, bytes]:
    """The change's migration in a render of the domain: its path in the service and its content;
    a template version that renders none cannot change a domain."""
    rendered = sorted((staging / migrations.VERSIONS_DIR).glob(f"*_{change['revision_id']}_*.py"))
    recorded = staging / domain.answers_file
    if len(rendered) != 1 or not recorded.is_file() or "changes" not in read_answers(recorded):
        raise CliError(
            f"the domain {domain.name}'s template version ({domain.answers['_commit']}) cannot change a domain; "
            "update the service to a newer template first (`fastapi-domains update`), then run this again"
        )
    path = rendered[0].relative_to(staging).as_posix()
    if (project.root / path).exists():
        raise CliError(f"{path} exists already and is never overwritten; nothing was written")
    return path, rendered[0].read_bytes()


def rerender(project: Project, domain: Domain, changed: dict[str, Any], change: dict) -> tuple[str, bytes, Result]:
    """The domain re-rendered with the `changed` answers at its template version as `copier update
    -a` does it (its last render, the new one, the user's edits carried over), and the change's
    migration, from the new render."""
    with renders(project, domain) as render:
        try:
            # No update renders a migration (copier.yml excludes them); the new one is the change's.
            old = render("old", domain.data(), exclude=[MIGRATIONS])
            new = render("new", domain.data(**changed))
        except Exception as error:  # Copier's own errors, git's run through it...: nothing has been written yet.
            failed = f"re-rendering the domain {domain.name} failed, nothing was written"
            raise CliError(f"{failed}: {one_line(error)}") from error
        migration, text = change_migration(project, domain, new, change)
        before, after = without_migrations(working_copy.rendered(old)), without_migrations(working_copy.rendered(new))
        return migration, text, working_copy.merge(project.root, before, after, taken=[domain.answers_file])


def without_migrations(files: dict[str, bytes]) -> dict[str, bytes]:
    """A render's files but its migrations, which no update touches (copier.yml excludes them)."""
    return {name: content for name, content in files.items() if not fnmatch.fnmatch(name, MIGRATIONS)}


def change_fields(
    project: Project,
    domain: Domain,
    fields: list[dict],
    change: dict,
    *,
    doing: str,
    dry_run: bool,
    replacing: str | None = None,
) -> int:
    """Re-render the domain with `fields` and `change` appended to its changes, and write the
    change's migration (deleting the migration it is `replacing`, if any); `doing` says what it
    does (`adding phone to the domain customers`)."""
    working_copy.require_git(project.root)
    changed = {"fields": fields, "changes": [*domain.answers.get("changes", []), change]}
    migration, text, result = rerender(project, domain, changed, change)
    files: dict[str, bytes | None] = {**result.files, migration: text}
    if replacing is not None:
        files[replacing] = None
    if dry_run:
        print_plan(project, doing, files, migration, result.conflicts)
        return 0
    marks = file_marks(project, files)
    interrupts.point_of_no_return()
    working_copy.apply(project.root, files)
    if result.conflicts:
        lines = conflict_report(
            f"{doing} (at its template version {domain.answers['_commit']})",
            project.root,
            result.conflicts,
            "check the change",
            ["uv run alembic upgrade head", f"uv run pytest tests/{domain.name}"],
        )
        print("\n".join(lines), file=sys.stderr)
        return EXIT_CONFLICTS
    print(f"Done {doing}, re-rendered at its template version {domain.answers['_commit']} with your edits:")
    print("\n".join(f"  {marks[name]} {name}" for name in sorted(files)))
    contract.report(project.root)
    print(f"Next: `uv run alembic upgrade head`, then `uv run pytest tests/{domain.name}`.")
    return 0


def file_marks(project: Project, files: dict[str, bytes | None]) -> dict[str, str]:
    """`A`dded, `M`odified or `D`eleted, as git says it, for each file about to be written."""
    return {
        name: "D" if content is None else "M" if (project.root / name).exists() else "A"
        for name, content in files.items()
    }


def print_plan(
    project: Project, doing: str, files: dict[str, bytes | None], migration: str, conflicts: list[str]
) -> None:
    marks = file_marks(project, files)
    print(f"Dry run: {doing} would change these files (nothing was written):")
    print("\n".join(f"  {marks[name]} {name}" for name in sorted(files)))
    if conflicts:
        print("and would stop at conflicts with your edits in:")
        print("\n".join(f"  {name}" for name in conflicts))
    print(f"The migration it would write, {migration}:")
    print((files[migration] or b"").decode(), end="")
