"""A service made by the release before lean domains, updated to this working tree.

The release is rebuilt from its commit (tagged v0.1.0 in a temporary repository, with its own CLI
adding the domains), this working tree is tagged v0.2.0 on top of it. The service has a public
domain, one that references it and an owner domain with a unique field, and its team's edits in a
domain's service.py, in src/config.py and in a test. `fastapi-domains update` (and plain Copier)
brings every domain to the new templates with the edits kept, one commit per step, and the flat
infrastructure modules into src/core, src/db and src/web; the suite, ruff and migrations are green
after, on PostgreSQL (tests/test_release_chain.py updates SQLite services from every release).
"""

import io
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from tests import support

# The release before lean domains (main when they were written).
RELEASE = "3242940273da4490862021608e70b20f80699228"
OLD, NEW = "v0.1.0", "v0.2.0"
DOMAINS = {
    "customers": ["name:str", "email:email:unique"],
    "orders": ["customer_id:ref:customers", "amount:decimal", "note:text:optional"],
    "notes": ["title:str:unique", "body:text:optional"],
}
ACCESS = {"notes": "owner"}
# The team's edits, each where the new templates keep the lines around it.
SERVICE_CONSTANT = '# Customers of these domains are staff.\nSTAFF_DOMAINS = ("acme.example",)\n\n'
BUILT_ONCE = "# Built once: statement construction costs as much as a small query.\n"
CONFIG_SETTING = '    SUPPORT_EMAIL: str = "support@acme.example"\n'
TEST_FILE = "tests/test_log.py"
TEAM_TEST = (
    "\n\ndef test_the_access_log_has_its_own_logger() -> None:\n"
    '    assert logging.getLogger("src.access").name == "src.access"\n'
)
# The migrations an update writes (each with a revision of its own) name their step so.
WRITTEN_BY_UPDATE = ("_unique_per_owner_", "_rework_login_throttle", "_create_idempotency_key")
NEW_ANSWERS = ("entity_text", "domain_class", "domain_label", "env_prefix", "migration_file")


def release_repository(destination: Path) -> Path | None:
    """RELEASE tagged OLD, then this working tree tagged NEW, in one repository."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", RELEASE],
        cwd=support.REPO,
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        return None
    destination.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as files:
        files.extractall(destination, filter="data")
    support.commit_all(destination, "Release before lean domains")
    support.git(destination, "tag", OLD)
    support.git(destination, "rm", "-rq", ".")
    current = support.snapshot_template(destination.parent / "current")
    for name in support.tracked_files(current):
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((current / name).read_bytes())
    support.commit_all(destination, "Lean domains")
    support.git(destination, "tag", NEW)
    return destination


def old_cli(template: Path, *args: str, cwd: Path) -> None:
    """The release's own CLI, run from its checkout."""
    code = "import sys; from fastapi_domains.cli import main; sys.exit(main())"
    env = {"PYTHONPATH": str(template / "src")}
    support.run(sys.executable, "-c", code, *args, cwd=cwd, env=env)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path} no longer holds {old!r} exactly once"
    path.write_text(text.replace(old, new))


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory, git_identity: None) -> Path:
    template = release_repository(tmp_path_factory.mktemp("releases") / "fastapi-domains")
    if template is None:
        pytest.skip(f"this clone lacks the release commit {RELEASE[:7]}")
    return template


def make_service(template: Path, destination: Path, database: str, env: dict[str, str]) -> Path:
    service = support.render(template, destination, vcs_ref=OLD, database=database, auth="jwt")
    for name, specs in DOMAINS.items():
        access = ["--access", ACCESS[name]] if name in ACCESS else []
        fields = [argument for spec in specs for argument in ("--field", spec)]
        old_cli(template, "domain", name, *fields, *access, "--no-input", cwd=service)
        support.commit_all(service, f"Add domain {name}")
    edit(service / "src/customers/service.py", BUILT_ONCE, SERVICE_CONSTANT + BUILT_ONCE)
    edit(service / "src/config.py", "    APP_NAME: str", CONFIG_SETTING + "    APP_NAME: str")
    with (service / TEST_FILE).open("a") as test:
        test.write(TEAM_TEST)
    support.commit_all(service, "Acme edits")
    return service


def test_update_from_the_release_keeps_edits_and_ends_green(
    releases: Path, tmp_path: Path, service_env: support.ServiceEnv
) -> None:
    name = support.unique_name("fd_lean")
    for suffix in ("", "_test"):
        support.create_pg_database(name + suffix)
    env = {"DATABASE_URL": support.pg_url(name), "TEST_DATABASE_URL": support.pg_url(name + "_test")}
    try:
        service = make_service(releases, tmp_path / "acme", "postgresql", env)
        result = support.run(Path(sys.executable).parent / "fastapi-domains", "update", cwd=service, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        log = support.git(service, "log", "--format=%s").stdout.splitlines()
        steps = ["project", *(f"domain {domain}" for domain in ["auth", "customers", "items", "notes", "orders"])]
        # The steps, then the API's contract the updated code makes (the release had none).
        assert log[0] == "Rewrite openapi.json, the API's contract, after the update"
        assert sorted(log[1 : len(steps) + 1]) == sorted(f"Update {step} from template {OLD} → {NEW}" for step in steps)
        assert support.git(service, "status", "--porcelain").stdout == ""
        assert_edits_kept(service)
        assert_lean(service)
        assert_throttle_migrated(service)
        # Written once: the step run again finds the table's migration and writes nothing.
        hook = releases / "hooks" / "idempotency_key.py"
        support.run(sys.executable, str(hook), ".copier-answers.yml", cwd=service)
        assert support.git(service, "status", "--porcelain").stdout == ""
        service_env.checks(service, env["DATABASE_URL"], env["TEST_DATABASE_URL"])
    finally:
        for suffix in ("", "_test"):
            support.drop_pg_database(name + suffix)


def assert_throttle_migrated(service: Path) -> None:
    """The auth domain's reworked sign-in throttle table comes with one migration of its own."""
    (migration,) = (service / "alembic/versions").glob("*_rework_login_throttle.py")
    assert '"last_failure_at"' in migration.read_text()


def assert_edits_kept(service: Path) -> None:
    assert SERVICE_CONSTANT + BUILT_ONCE in (service / "src/customers/service.py").read_text()
    assert CONFIG_SETTING in (service / "src/config.py").read_text()
    assert (service / TEST_FILE).read_text().endswith(TEAM_TEST)
    marked = [path for path in service.rglob("*.py") if re.search(r"^(<<<<<<<|>>>>>>>) ", path.read_text(), re.M)]
    assert marked == []


def assert_lean(service: Path) -> None:
    for domain in DOMAINS:
        answers = yaml.safe_load((service / f".copier/domain-{domain}.yml").read_text())
        assert answers["_commit"] == NEW
        assert all(name in answers for name in NEW_ANSWERS), answers
        assert (service / "alembic/versions" / answers["migration_file"]).is_file()
        assert all("example" in field for field in answers["fields"])
        # The old per-domain test machinery is gone; the factory took its place.
        assert not (service / f"tests/{domain}/payloads.py").exists()
        assert (service / f"tests/{domain}/factories.py").is_file()
        assert "from src.db.crud import Crud" in (service / f"src/{domain}/service.py").read_text()
    (migration,) = (service / "alembic/versions").glob("*_unique_per_owner_note.py")
    assert "uq_note_owner_id_title" in migration.read_text()
    # The flat infrastructure modules moved into src/core, src/db and src/web; none is left behind.
    top = {path.name for path in (service / "src").iterdir() if path.name != "__pycache__"}
    globals_ = {"__init__.py", "config.py", "models.py", "exceptions.py", "database.py", "main.py", "seed.py"}
    assert top == globals_ | {"core", "db", "web", "auth", "items", *DOMAINS}
    assert (service / "src/db/queries.py").is_file() and (service / "src/web/discovery.py").is_file()
    # The service's own table came with the project's step, once, chained onto the head it had.
    (idempotency,) = (service / "alembic/versions").glob("*_create_idempotency_key.py")
    assert 'op.create_table(\n        "idempotency_key"' in idempotency.read_text()


def test_plain_copier_gives_the_same_update(releases: Path, tmp_path: Path) -> None:
    """`copier update`, then `copier update -a` for each domain, committing after each: the same
    files as `fastapi-domains update` (the revisions of the migrations the update writes aside)."""
    by_cli = make_service(releases, tmp_path / "cli" / "acme", "sqlite", {})
    by_copier = Path(shutil.copytree(by_cli, tmp_path / "copier" / "acme", symlinks=True))
    result = support.run(Path(sys.executable).parent / "fastapi-domains", "update", cwd=by_cli, check=False)
    assert result.returncode == 0, result.stderr
    support.copier_cli("update", "--trust", "--defaults", cwd=by_copier)
    support.commit_all(by_copier, "Update project")
    for answers_file in sorted((by_copier / ".copier").glob("domain-*.yml")):
        support.copier_cli(
            "update", "--trust", "--defaults", "-a", str(answers_file.relative_to(by_copier)), cwd=by_copier
        )
        support.commit_all(by_copier, f"Update {answers_file.stem}")
    # Copier leaves openapi.json to the CLI, which writes it from the updated code.
    support.run(sys.executable, "-m", "fastapi_domains.cli", "openapi", cwd=by_copier)
    support.commit_all(by_copier, "Write openapi.json")
    assert_edits_kept(by_copier)
    assert_lean(by_copier)
    assert_throttle_migrated(by_copier)

    def files(service: Path) -> dict[str, bytes]:
        return {
            name: (service / name).read_bytes()
            for name in support.tracked_files(service)
            if not any(step in name for step in WRITTEN_BY_UPDATE)
        }

    assert files(by_copier) == files(by_cli)
