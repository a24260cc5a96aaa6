"""Migration step of the template (stage "after"), and a task of a new project: the
`idempotency_key` table, where create routes keep the answers to requests sent with an
`Idempotency-Key` (src/web/idempotency.py).

A service gets the table from one static, revertable migration chained onto its single head,
written once: by the project's copy (before any domain's migration) or, for a service made
before the table existed, by `fastapi-domains update`. Once a migration makes the table, nothing.
"""

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from fastapi_domains import migrations
from fastapi_domains.errors import CliError

TABLE = "idempotency_key"
TEMPLATE = '''"""create {table}

Revision ID: {revision_id}
Revises:{revises}
Create Date: {migration_date}

The answers of create requests sent with an Idempotency-Key (src/web/idempotency.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "{revision_id}"
down_revision: str | Sequence[str] | None = {down_revision_literal}
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "{table}",
        sa.Column("route", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("route", "user_id", "key", name=op.f("pk_{table}")),
    )
    op.create_index(op.f("ix_{table}_created_at"), "{table}", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_{table}_created_at"), table_name="{table}")
    op.drop_table("{table}")
'''


def migration(change: dict[str, str]) -> str:
    return TEMPLATE.format(table=TABLE, **change)


def write_migration(root: Path) -> Path | None:
    """The table's migration, chained onto the service's single head; None when one exists."""
    return migrations.write_once(root, f'"{TABLE}"', f"create_{TABLE}", migration)


def main(answers_file: str) -> int:
    path = Path(answers_file)
    answers = yaml.safe_load(path.read_text()) if path.is_file() else None
    if not isinstance(answers, dict) or answers.get("template_kind", "project") != "project":
        return 0
    try:
        written = write_migration(Path())
    except CliError as error:
        sys.exit(f"fastapi-domains: cannot add the {TABLE} table: {error}")
    if written is not None:
        print(
            f"fastapi-domains: create routes take an Idempotency-Key now; run `uv run alembic upgrade head` "
            f"for its table ({written}).",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
