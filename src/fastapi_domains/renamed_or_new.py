"""Django's question, "was `old` renamed to `new`?": a `field add` of one field right after a
`field remove` of a field with the same spec but its name, in the same domain, may be a rename
done in two steps, which would drop the column's values. While the removal's migration is the
last one and not applied to the service's database yet, the command asks; a yes turns the pair
into one rename (the removal's migration is replaced by a rename's, the values kept).

`--yes` answers yes for scripts and `--no-rename` no; without a terminal and without either, the
command refuses, naming both. When the service's database cannot be read (no environment, no
database yet), nothing is asked: the removal may have been applied there, and a rename would then
leave the database at a revision that no longer exists.
"""

import dataclasses
from pathlib import Path

from fastapi_domains import interrupts, migrations, rows, terminal
from fastapi_domains.domain_change import Domain
from fastapi_domains.errors import CliError
from fastapi_domains.fields import Field
from fastapi_domains.project import Project


def removal_to_undo(project: Project, domain: Domain, added: list[Field]) -> dict | None:
    """The domain's latest change if it removed a field that `added` (one field) matches but for
    its name, and its migration is the head and not applied to the service's database; or None."""
    changes = domain.answers.get("changes") or []
    if len(added) != 1 or not changes or changes[-1]["change"] != "drop_field":
        return None
    removal = changes[-1]
    if dataclasses.replace(Field.from_answer(removal["fields"][0]), name=added[0].name) != added[0]:
        return None
    if not (project.root / migrations.VERSIONS_DIR / removal["migration_file"]).is_file():
        return None
    if migrations.single_head(project.root) != removal["revision_id"]:
        return None
    applied = rows.count(project.root, "alembic_version", "version_num", equal_to=removal["revision_id"])
    return removal if applied.rows == 0 else None


def was_renamed(domain: Domain, removal: dict, new: str, *, yes: bool, no_rename: bool) -> bool:
    """The user's answer: `--yes`, `--no-rename`, or asked on the terminal."""
    if yes or no_rename:
        return yes
    old = removal["fields"][0]["name"]
    migration = (Path(migrations.VERSIONS_DIR) / removal["migration_file"]).as_posix()
    question = f"Was {domain.name}.{old} renamed to {new}?"
    if not terminal.interactive():
        raise CliError(
            f"{domain.name}.{old} was just removed (its migration is not applied yet) and {new} has its spec: "
            f"answer {question!r} with --yes (a rename: the values kept) or --no-rename (a new, empty column)"
        )
    lines = [
        f"The last change of {domain.name} removed {old}, and {new} has the same spec; {migration} is not applied yet.",
        f"Yes: one migration renames {old} to {new} instead of dropping it, the values kept ({migration} goes).",
        f"No: {new} is a new column, empty, and {old}'s values go when {migration} runs.",
    ]
    # questionary (prompt_toolkit) is loaded only when there is a question to ask.
    with interrupts.deferred():
        from fastapi_domains import prompts  # noqa: PLC0415

    return prompts.confirm("\n".join(lines), question, default=False)
