"""`fastapi-domains field add|remove` and `remove` on a PostgreSQL with uuid keys service: the acceptance
steps of tests/field_scenario.py (a file per database, so the two run side by side)."""

import pytest

from tests import field_scenario as scenario

# The scenario's fixture and tests, in the order they run: each step builds on the one before.
shop = scenario.shop
test_field_change = scenario.test_field_change
test_defaults_of_every_type_fill_the_rows = scenario.test_defaults_of_every_type_fill_the_rows
test_every_check_passes_after_the_changes = scenario.test_every_check_passes_after_the_changes
test_removing_a_referenced_domain_is_refused = scenario.test_removing_a_referenced_domain_is_refused
test_removing_the_domains_leaves_a_passing_service = scenario.test_removing_the_domains_leaves_a_passing_service


@pytest.fixture(scope="module")
def database_kind() -> str:
    return "postgresql"
