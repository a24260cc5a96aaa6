"""Migration step of the template (stage "after"), and a task of a new project: the `job` table,
the outbox of background jobs (src/core/jobs/), for a service whose answers say `jobs: redis`
or `jobs: rabbitmq`.

One static, revertable migration chained onto the service's single head, written once: by the
project's copy, or by the update that switches jobs on (`copier update --data jobs=redis`).
Once a migration makes the table, or without jobs, nothing.
"""

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from fastapi_domains import migrations
from fastapi_domains.errors import CliError

TABLE = "background_job"
TEMPLATE = '''"""create {table}

Revision ID: {revision_id}
Revises:{revises}
Create Date: {migration_date}

The outbox of background jobs (src/core/jobs/).
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
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("task", sa.String(length=255), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("key", sa.String(length=255), nullable=True),
        sa.Column("trace_parent", sa.String(length=55), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_{table}")),
        sa.UniqueConstraint("key", name=op.f("uq_{table}_key")),
    )
    op.create_index(op.f("ix_{table}_status_due_at"), "{table}", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_{table}_status_due_at"), table_name="{table}")
    op.drop_table("{table}")
'''


def migration(change: dict[str, str]) -> str:
    return TEMPLATE.format(table=TABLE, **change)


def write_migration(root: Path) -> Path | None:
    """The table's migration, chained onto the service's single head; None when one exists."""
    return migrations.write_once(root, f'"{TABLE}",', f"create_{TABLE}", migration)


def main(answers_file: str) -> int:
    path = Path(answers_file)
    answers = yaml.safe_load(path.read_text()) if path.is_file() else None
    if not isinstance(answers, dict) or answers.get("template_kind", "project") != "project":
        return 0
    if answers.get("jobs", "none") == "none":
        return 0
    try:
        written = write_migration(Path())
    except CliError as error:
        sys.exit(f"fastapi-domains: cannot add the {TABLE} table: {error}")
    if written is not None:
        print(
            f"fastapi-domains: background jobs are on; run `uv sync`, `uv run alembic upgrade head` for the "
            f"{TABLE} table ({written}), then start a worker: `uv run python -m src.core.jobs worker`.",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
