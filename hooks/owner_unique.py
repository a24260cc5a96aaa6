"""Migration step of the template (stage "after"): make `unique` per owner on an owner-scoped
domain made before it was.

A domain with `--access owner` keeps each user's rows apart, so its unique fields are unique
among one user's rows: UNIQUE(owner_id, field). Domains made earlier have UNIQUE(field), which
let one user learn (and squat) another's values. When the domain's unique fields still have the
old constraint, this writes one static, revertable migration chained onto the service's single
head that replaces it; once written (or for a domain made with the new constraint), nothing.
"""

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from fastapi_domains import migrations, names
from fastapi_domains.errors import CliError

OWNER_COLUMN = "owner_id"
TEMPLATE = '''"""unique per owner: {columns}

Revision ID: {revision_id}
Revises: {down_revision}
Create Date: {migration_date}

`unique` on an owner-scoped domain now means unique among each user's own rows. The downgrade
fails while two users hold the same value: make them distinct first.
"""

from alembic import op

revision: str = "{revision_id}"
down_revision: str | None = "{down_revision}"

# The service's naming convention (src/database.py), as it was when this migration was written.
NAMING_CONVENTION = {{
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}}


def upgrade() -> None:
    with op.batch_alter_table("{table}", naming_convention=NAMING_CONVENTION) as batch_op:
{upgrade}


def downgrade() -> None:
    with op.batch_alter_table("{table}", naming_convention=NAMING_CONVENTION) as batch_op:
{downgrade}
'''


def pending(table: str, fields: list[str], written: str) -> list[str]:
    """The unique fields whose per-owner constraint no migration of the service (`written`) makes yet."""
    return [
        field
        for field in fields
        if names.unique_name(table, OWNER_COLUMN, field) not in written
        and f'UniqueConstraint("{OWNER_COLUMN}", "{field}")' not in written
    ]


def migration(table: str, fields: list[str], change: dict[str, str]) -> str:
    def swap(old: list[str], new: list[str]) -> str:
        return "\n".join(
            f'        batch_op.drop_constraint("{names.unique_name(table, *old_columns)}", type_="unique")\n'
            f'        batch_op.create_unique_constraint("{names.unique_name(table, *new_columns)}", {new_columns!r})'
            for old_columns, new_columns in zip(old, new, strict=True)
        ).replace("'", '"')

    per_owner = [[OWNER_COLUMN, field] for field in fields]
    alone = [[field] for field in fields]
    return TEMPLATE.format(
        columns=", ".join(f"{table}.{field}" for field in fields),
        table=table,
        upgrade=swap(alone, per_owner),
        downgrade=swap(per_owner, alone),
        **change,
    )


def main(answers_file: str) -> int:
    path = Path(answers_file)
    answers = yaml.safe_load(path.read_text()) if path.is_file() else None
    if not isinstance(answers, dict) or answers.get("template_kind") != "domain" or answers.get("access") != "owner":
        return 0
    table = str(answers["table_name"])
    unique = [str(field["name"]) for field in answers.get("fields") or [] if field.get("unique")]
    fields = pending(table, unique, migrations.history_text(Path()))
    if not fields:
        return 0
    try:
        path = migrations.write_chained(
            Path(), f"unique_per_owner_{table}", lambda change: migration(table, fields, change)
        )
    except CliError as error:
        sys.exit(f"fastapi-domains: cannot make {table}'s unique fields unique per owner: {error}")
    print(
        f"fastapi-domains: {table}'s unique fields ({', '.join(fields)}) are now unique per owner; "
        f"run `uv run alembic upgrade head` ({path}).",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
