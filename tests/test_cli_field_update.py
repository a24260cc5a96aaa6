"""A later template release updates domains whose fields were added and removed, for real: a
temporary git copy of this template is tagged v0.1.0; a service made from it gets customers and
order_items, then `field add` and `field remove`; the template copy changes a domain file and
adds one and is tagged v0.2.0; `fastapi-domains update` brings both in without a conflict and
keeps the fields, the migrations and the changes' answers as they were."""

import subprocess
from pathlib import Path

import pytest
import yaml

from tests import support
from tests.test_cli_domain import cli, domain_args
from tests.test_update import BUILT_ONCE, BUILT_ONCE_V2, NEW, OLD, SERVICE_PY, edit, fastapi_domains, files_with_markers

DOMAINS = {
    "customers": domain_args("customers", "name:str", "email:str:unique"),
    "order_items": domain_args("order_items", "customer_id:ref:customers", "title:str", "note:text:optional"),
}
# The service, its migrations before the update, and the update's outcome.
Updated = tuple[Path, dict[str, bytes], subprocess.CompletedProcess]
CHANGES = (
    ("field", "add", "customers", "phone:str:optional"),
    ("field", "add", "customers", "tier:int", "--default", "1"),
    ("field", "remove", "order_items", "note", "--yes"),
)


@pytest.fixture(scope="module")
def updated(tmp_path_factory: pytest.TempPathFactory, git_identity: None) -> Updated:
    """The service after `fastapi-domains update` to v0.2.0, and its migrations from before it."""
    template = support.snapshot_template(tmp_path_factory.mktemp("releases") / "fastapi-domains", tag=OLD)
    service = support.render(template, tmp_path_factory.mktemp("v1") / "acme", vcs_ref=OLD, example_domain=False)
    for args in DOMAINS.values():
        cli("domain", *args, "--no-input", cwd=service)
    support.commit_all(service, "Add domains")
    for change in CHANGES:
        cli(*change, cwd=service)
    support.commit_all(service, "Change their fields")
    migrations = {path.name: path.read_bytes() for path in (service / "alembic" / "versions").glob("*.py")}

    edit(template / SERVICE_PY, BUILT_ONCE, BUILT_ONCE_V2)
    (template / "template/domain/src/{{domain_name}}/README.md.jinja").write_text("# The {{ domain_name }} domain\n")
    support.commit_all(template, "Release 0.2.0")
    support.git(template, "tag", NEW)
    return service, migrations, fastapi_domains("update", cwd=service)


def test_the_update_applies_without_conflict(
    updated: Updated,
) -> None:
    service, _, result = updated
    assert result.returncode == 0, result.stderr
    for step in ("project", "domain customers", "domain order_items"):
        assert f"{step}: {OLD} → {NEW}" in result.stdout
    assert files_with_markers(service) == []
    assert not list(service.rglob("*.rej"))
    assert support.git(service, "status", "--porcelain").stdout == ""


def test_the_release_arrives_and_the_fields_stay(
    updated: Updated,
) -> None:
    service, migrations, _ = updated
    for name in DOMAINS:
        assert BUILT_ONCE_V2 in (service / "src" / name / "service.py").read_text()
        assert (service / "src" / name / "README.md").is_file()
    customers = yaml.safe_load((service / ".copier/domain-customers.yml").read_text())
    order_items = yaml.safe_load((service / ".copier/domain-order_items.yml").read_text())
    assert [field["name"] for field in customers["fields"]] == ["name", "email", "phone", "tier"]
    assert [field["name"] for field in order_items["fields"]] == ["customer_id", "title"]
    assert [change["change"] for change in customers["changes"]] == ["add_fields", "add_fields"]
    assert customers["changes"][1]["defaults"] == {"tier": 1}
    assert (customers["_commit"], order_items["_commit"]) == (NEW, NEW)
    models = (service / "src/customers/models.py").read_text()
    assert "    phone: Mapped[str | None]" in models and "    tier: Mapped[int]" in models
    assert "note" not in (service / "src/order_items/models.py").read_text()
    after = {path.name: path.read_bytes() for path in (service / "alembic" / "versions").glob("*.py")}
    assert after == migrations, "the update wrote, rewrote or deleted a migration"


def test_the_updated_service_is_lint_clean_and_migrates(updated: Updated, service_env: support.ServiceEnv) -> None:
    service, _, _ = updated
    support.run(service_env.tool("ruff"), "check", "--no-cache", ".", cwd=service)
    support.run(service_env.tool("ruff"), "format", "--check", "--no-cache", ".", cwd=service)
    for step in (("upgrade", "head"), ("downgrade", "base"), ("upgrade", "head")):
        support.run(service_env.tool("python"), "-m", "alembic", *step, cwd=service)
