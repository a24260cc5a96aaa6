"""Background jobs switched on in a living service: `copier update --trust --defaults --data
jobs=redis` on a service with a domain adds them with one migration (a second update changes
nothing), `fastapi-domains task` adds a domain's tasks and refuses in one line what it cannot add,
and the service passes its own suite, ruff and the migration cycle on SQLite (in-memory broker)
and on PostgreSQL with the real Redis behind its jobs."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fastapi_domains import add_task, new_service
from tests import support
from tests.test_cli_errors import files

REDIS_URL = "redis://127.0.0.1:6379/0"


def cli(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return support.run(sys.executable, "-m", "fastapi_domains.cli", *args, cwd=project, check=check)


@pytest.fixture(scope="module")
def switched(tmp_path_factory: pytest.TempPathFactory, git_identity: None) -> Path:
    """A default service with customers, switched to jobs by an update at the same template
    version, then given a task and a scheduled one."""
    template = support.snapshot_template(tmp_path_factory.mktemp("tagged") / "template", tag="v0.1.0")
    project = support.shared_render(template, tmp_path_factory.mktemp("switched") / "shop")
    cli(project, "domain", "customers", "--field", "name:str", "--no-input")
    support.commit_all(project, "Customers")
    support.copier_cli("update", "--trust", "--defaults", "--data", "jobs=redis", cwd=project)
    support.commit_all(project, "Jobs")
    return project


def migrations(project: Path) -> list[str]:
    return sorted(path.name for path in (project / "alembic" / "versions").glob("*.py"))


def test_the_update_adds_jobs_with_one_migration_on_the_single_head(switched: Path) -> None:
    assert yaml.safe_load((switched / ".copier-answers.yml").read_text())["jobs"] == "redis"
    (migration,) = (switched / "alembic" / "versions").glob("*_create_background_job.py")
    customers = yaml.safe_load((switched / ".copier" / "domain-customers.yml").read_text())
    assert f'down_revision: str | Sequence[str] | None = "{customers["revision_id"]}"' in migration.read_text()
    assert (switched / "src" / "core" / "jobs" / "__main__.py").is_file()
    assert (switched / "tests" / "test_jobs.py").is_file()
    assert "taskiq-redis" in (switched / "pyproject.toml").read_text()


def test_a_second_update_changes_nothing(switched: Path) -> None:
    head = support.git(switched, "rev-parse", "HEAD").stdout
    before = migrations(switched)
    cli(switched, "update", "--vcs-ref", "HEAD")
    assert support.git(switched, "status", "--porcelain").stdout == ""
    assert support.git(switched, "rev-parse", "HEAD").stdout == head
    assert migrations(switched) == before


@pytest.fixture(scope="module")
def with_tasks(switched: Path) -> Path:
    added = cli(switched, "task", "customers", "send_welcome")
    assert "Added the task customers.send_welcome" in added.stdout
    cli(switched, "task", "customers", "weekly_digest", "--schedule", "0 9 * * 1")
    support.commit_all(switched, "Tasks")
    return switched


def test_task_writes_a_typed_task_and_its_test(with_tasks: Path) -> None:
    tasks = (with_tasks / "src" / "customers" / "tasks.py").read_text()
    assert "@jobs.task()\nasync def send_welcome(connection: AsyncConnection, customer_id: int) -> None:" in tasks
    assert '@jobs.task(schedule="0 9 * * 1")\nasync def weekly_digest(connection: AsyncConnection) -> None:' in tasks
    tests = (with_tasks / "tests" / "customers" / "test_tasks.py").read_text()
    assert "tasks.send_welcome, customer_id=1)" in tests
    assert "async def test_weekly_digest(connection: AsyncConnection) -> None:" in tests


def test_task_dry_run_writes_nothing(with_tasks: Path) -> None:
    before = files(with_tasks)
    result = cli(with_tasks, "task", "customers", "send_invoice", "--dry-run")
    assert "async def send_invoice(connection: AsyncConnection, customer_id: int) -> None:" in result.stdout
    assert files(with_tasks) == before


REFUSALS = {
    "unknown domain": (
        ("orders", "send_receipt"),
        "the service has no domain 'orders' (its domains: customers, items)",
    ),
    "taken name": (("customers", "send_welcome"), "the domain customers has a task (or a name) 'send_welcome'"),
    "a module's name": (("customers", "logger"), "the domain customers has a task (or a name) 'logger'"),
    "not an identifier": (("customers", "send-welcome"), "task name 'send-welcome' is not a snake_case Python"),
    "a keyword": (("customers", "class"), "task name 'class' is not a snake_case Python identifier"),
    "capitals": (("customers", "SendWelcome"), "task name 'SendWelcome' is not a snake_case Python identifier"),
    "bad schedule": (
        ("customers", "hourly", "--schedule", "every hour"),
        "--schedule 'every hour' is not a cron expression of five fields",
    ),
    "missing name": (("customers",), "the following arguments are required: NAME"),
}


@pytest.mark.parametrize(("args", "message"), REFUSALS.values(), ids=REFUSALS.keys())
def test_task_refusals_are_one_line_and_write_nothing(with_tasks: Path, args: tuple[str, ...], message: str) -> None:
    before = files(with_tasks)
    result = cli(with_tasks, "task", *args, check=False)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith("fastapi-domains: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert files(with_tasks) == before


def test_task_is_refused_without_jobs(template: Path, tmp_path: Path) -> None:
    project = support.shared_render(template, tmp_path / "plain")
    before = files(project)
    result = cli(project, "task", "items", "send_receipt", check=False)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "fastapi-domains: error: the service has no background jobs (its answer jobs is none): switch them on "
        "with `copier update --trust --defaults --data jobs=redis` (or jobs=rabbitmq), then add tasks\n"
    )
    assert files(project) == before


def test_switched_service_passes_its_checks_on_sqlite(with_tasks: Path, service_env: support.ServiceEnv) -> None:
    service_env.checks(with_tasks)


def test_switched_service_passes_its_checks_on_postgresql_with_redis(
    with_tasks: Path, service_env: support.ServiceEnv, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generated suite's jobs go through the real Redis: a worker listens in its process."""
    monkeypatch.setenv("TEST_BROKER_URL", REDIS_URL)
    service_env.checks(
        with_tasks, database_url=pg_database, test_database_url=support.pg_url(support.unique_name("fd_jobs"))
    )


@pytest.mark.parametrize("jobs", ["none", "redis", "rabbitmq"])
def test_new_says_how_to_start_a_worker(tmp_path: Path, jobs: str) -> None:
    (tmp_path / ".copier-answers.yml").write_text(f"template_kind: project\njobs: {jobs}\n")
    commands = new_service.next_commands(tmp_path)
    assert any("python -m src.core.jobs worker" in command for command in commands) == (jobs != "none")
    assert commands[-1] == "uv run uvicorn src.main:app --reload"


def test_a_task_test_imports_its_domain_in_isort_order() -> None:
    """`auth` sorts before `core`, `customers` after: ruff accepts both tests as written."""
    assert add_task.first_party_imports("auth") == "from src.auth import tasks\nfrom src.core import jobs"
    assert add_task.first_party_imports("customers") == "from src.core import jobs\nfrom src.customers import tasks"
