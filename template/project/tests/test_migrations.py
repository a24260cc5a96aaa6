"""pytest-alembic's checks: upgrade, up/down consistency, models match migrations; one head."""

from pytest_alembic import MigrationContext
from pytest_alembic.tests import (
    test_model_definitions_match_ddl,
    test_up_down_consistency,
    test_upgrade,
)

__all__ = [
    "test_model_definitions_match_ddl",
    "test_up_down_consistency",
    "test_upgrade",
]


def test_single_head_revision(alembic_runner: MigrationContext) -> None:
    """One head once there are migrations; a service without domains yet has none."""
    assert len(alembic_runner.heads) <= 1, f"diverged history, merge these heads: {alembic_runner.heads}"
