"""Migration step of the template (stage "after"): migrate the auth domain's reworked
`login_throttle` table in a service that made it the old way.

The sign-in throttle once kept one row per account with a lockout (`account_key`, `unlocks_at`);
it now keeps one row per account, address or both with a growing delay (`key`,
`last_failure_at`). When the updated auth models have the new table and no migration of the
service makes it, this writes one static, revertable migration chained onto the service's single
head; otherwise nothing. Throttle rows are transient (minutes), so it remakes the table.
"""

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from fastapi_domains import migrations
from fastapi_domains.errors import CliError

NEW_COLUMN = "last_failure_at"
TEMPLATE = '''"""login_throttle: a growing delay per account, address or both, not a lockout

Revision ID: {revision_id}
Revises: {down_revision}
Create Date: {migration_date}

The sign-in throttle's rows last minutes, so the table is remade, in both directions.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "{revision_id}"
down_revision: str | None = "{down_revision}"


def upgrade() -> None:
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    op.create_index(op.f("ix_login_throttle_last_failure_at"), "login_throttle", ["last_failure_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_login_throttle_last_failure_at"), table_name="login_throttle")
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("account_key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unlocks_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("account_key", name=op.f("pk_login_throttle")),
    )
'''


def main(answers_file: str) -> int:
    path = Path(answers_file)
    answers = yaml.safe_load(path.read_text()) if path.is_file() else None
    models = Path("src/auth/models.py")
    if not isinstance(answers, dict) or answers.get("template_kind") != "auth" or not models.is_file():
        return 0
    written = migrations.history_text(Path())
    if NEW_COLUMN not in models.read_text() or NEW_COLUMN in written or '"login_throttle"' not in written:
        return 0
    try:
        path = migrations.write_chained(Path(), "rework_login_throttle", lambda change: TEMPLATE.format(**change))
    except CliError as error:
        sys.exit(f"fastapi-domains: cannot migrate the auth domain's login_throttle table: {error}")
    print(
        f"fastapi-domains: the auth domain's sign-in throttle changed its table; "
        f"run `uv run alembic upgrade head` ({path}).",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
