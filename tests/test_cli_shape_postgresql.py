"""`fastapi-domains field rename` and `field change` on a PostgreSQL service with uuid keys: the acceptance steps of
tests/shape_scenario.py (a file per database, so the two run side by side)."""

import pytest

from tests import field_scenario, shape_scenario

# The service of the field scenario, and the steps, in the order they run: each builds on the one before.
shop = field_scenario.shop
test_field_rename = shape_scenario.test_field_rename
test_nested_reads_follow_the_renames = shape_scenario.test_nested_reads_follow_the_renames
test_field_change = shape_scenario.test_field_change
test_field_rename_after_the_changes = shape_scenario.test_field_rename_after_the_changes
test_every_check_passes_after_the_field_changes = shape_scenario.test_every_check_passes_after_the_field_changes
test_domain_rename_refusals = shape_scenario.test_domain_rename_refusals
test_domain_rename = shape_scenario.test_domain_rename
test_a_field_added_right_after_its_removal_may_be_a_rename = (
    shape_scenario.test_a_field_added_right_after_its_removal_may_be_a_rename
)
test_every_check_passes_at_the_end = shape_scenario.test_every_check_passes_at_the_end


@pytest.fixture(scope="module")
def database_kind() -> str:
    return "postgresql"
