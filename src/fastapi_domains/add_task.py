"""`fastapi-domains task DOMAIN NAME [--schedule CRON]`: a background task in `src/<domain>/tasks.py`
(made on first use; workers find it as the app finds routers) and its test in
`tests/<domain>/test_tasks.py`. The task's body is the user's: it gets a typed signature taking
ids (never rows), a docstring and a test that runs it as a worker would.
"""

import argparse
import ast
import keyword
import re
from pathlib import Path

from fastapi_domains import access, external_domain, interrupts, working_copy
from fastapi_domains.errors import CliError
from fastapi_domains.project import Project, load_project, read_answers

NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
# minute hour day-of-month month day-of-week, each a number, a range, a list, a step or `*`.
CRON_FIELD = re.compile(r"^(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?(,(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?)*$")
NO_JOBS = (
    "the service has no background jobs (its answer jobs is none): switch them on with "
    "`copier update --trust --defaults --data jobs=redis` (or jobs=rabbitmq), then add tasks"
)

TASKS_HEADER = '''"""Background tasks of the {domain} domain, run by a worker (`python -m src.core.jobs worker`).

Enqueue one from a service, on the request's connection, so it runs only if the request's
transaction commits: `await jobs.enqueue(connection, tasks.{example}, ...)`.
"""

import logging

from sqlalchemy.ext.asyncio import AsyncConnection

from src.core import jobs

logger = logging.getLogger(__name__)
'''
TASK = '''

@jobs.task({schedule})
async def {name}({parameters}) -> None:
    """{summary}

    Delivered at least once: its writes on `connection` commit with the job's completion, so they
    happen once. Raise to fail the attempt: it runs again after JOBS_RETRY_BACKOFF seconds (doubled
    each time) and is dead after JOBS_MAX_ATTEMPTS (`python -m src.core.jobs dead`).
    """
    logger.info("{name}{log_format}"{log_arguments})
'''
TESTS_HEADER = '''"""The {domain} domain's background tasks, each enqueued and run as a worker runs it."""

from sqlalchemy.ext.asyncio import AsyncConnection

{imports}
'''
TEST = """

async def test_{name}(connection: AsyncConnection) -> None:
    job_id = await jobs.enqueue(connection, tasks.{name}{arguments})
    assert job_id is not None
    assert await jobs.execute(connection, job_id) == jobs.task_name(tasks.{name})
    # Done: the same job delivered again does nothing.
    assert await jobs.execute(connection, job_id) is None
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "task",
        help="add a background task to a domain (src/DOMAIN/tasks.py) and its test",
        description="Add an async background task to a domain: src/DOMAIN/tasks.py (made on first use) and "
        "tests/DOMAIN/test_tasks.py. Enqueue it from the domain's service with "
        "`await jobs.enqueue(connection, tasks.NAME, ...)`; a worker runs it once the request commits.",
    )
    parser.add_argument("domain", metavar="DOMAIN", help="the domain, e.g. orders")
    parser.add_argument("name", metavar="NAME", help="the task, a snake_case identifier, e.g. send_receipt")
    parser.add_argument(
        "--schedule",
        metavar="CRON",
        help="run it periodically: a cron expression in UTC (minute hour day month weekday), e.g. '0 3 * * *'",
    )
    parser.add_argument("--project", type=Path, default=Path(), metavar="DIR", help="the service (default: .)")
    parser.add_argument("--dry-run", action="store_true", help="print the code it would add; change nothing")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    if project.answers.get("jobs", "none") == "none":
        raise CliError(NO_JOBS)
    name = check_name(args.name)
    schedule = check_schedule(args.schedule)
    answers = load_domain(project, args.domain)
    domain = args.domain
    tasks_path, tests_path = f"src/{domain}/tasks.py", f"tests/{domain}/test_tasks.py"
    tasks_text = read(project.root / tasks_path)
    tests_text = read(project.root / tests_path)
    if name in defined_names(tasks_text, tasks_path) or f"test_{name}" in defined_names(tests_text, tests_path):
        raise CliError(f"the domain {domain} has a task (or a name) {name!r} already ({tasks_path}); choose another")
    entity, id_type = identity(project, answers)
    new_tasks = (tasks_text or TASKS_HEADER.format(domain=domain, example=name)) + task_code(
        name, schedule, entity, id_type
    )
    tests_header = TESTS_HEADER.format(domain=domain, imports=first_party_imports(domain))
    new_tests = (tests_text or tests_header) + test_code(name, schedule, entity, id_type)
    if id_type == "uuid.UUID" and schedule is None:
        new_tasks = with_uuid_import(new_tasks, "import logging\n", "import logging\nimport uuid\n")
        new_tests = with_uuid_import(new_tests, '"""\n\nfrom sqlalchemy', '"""\n\nimport uuid\n\nfrom sqlalchemy')
    files: dict[str, bytes | None] = {tasks_path: new_tasks.encode(), tests_path: new_tests.encode()}
    if args.dry_run:
        print(f"Dry run: adding the task {domain}.{name} would write (nothing was written):")
        for path, text in ((tasks_path, tasks_text), (tests_path, tests_text)):
            print(f"  {'M' if text is not None else 'A'} {path}")
        print(f"The task it would add to {tasks_path}:")
        print(task_code(name, schedule, entity, id_type).strip("\n"))
        return 0
    interrupts.point_of_no_return()
    working_copy.apply(project.root, files)
    when = f"every time `{schedule}` matches (UTC)" if schedule else "once per enqueue"
    print(f"Added the task {domain}.{name} ({when}):")
    print(f"  {'M' if tasks_text is not None else 'A'} {tasks_path}")
    print(f"  {'M' if tests_text is not None else 'A'} {tests_path}")
    if schedule is None:
        print(f"Enqueue it in a service: `await jobs.enqueue(connection, tasks.{name}, {entity}_id=...)`.")
    print(f"Write its body, then `uv run pytest tests/{domain}`; `uv run python -m src.core.jobs worker` runs it.")
    return 0


def check_name(name: str) -> str:
    if not NAME.match(name) or keyword.iskeyword(name) or name.startswith("test"):
        raise CliError(
            f"task name {name!r} is not a snake_case Python identifier (lowercase letters, digits and underscores, "
            "not a keyword, not starting with test), e.g. send_receipt"
        )
    return name


def check_schedule(schedule: str | None) -> str | None:
    if schedule is None:
        return None
    fields = schedule.split()
    if len(fields) != 5 or not all(CRON_FIELD.match(field) for field in fields):
        raise CliError(
            f"--schedule {schedule!r} is not a cron expression of five fields (minute hour day month weekday, "
            "each a number, range, list, step or *), e.g. '0 3 * * *'"
        )
    return " ".join(fields)


def load_domain(project: Project, domain: str) -> dict:
    """The domain's answers, when the service has the domain (its answers file and its package)."""
    answers_file = project.root / ".copier" / f"domain-{domain}.yml"
    known = [path.stem.removeprefix("domain-") for path in project.domain_answer_files()]
    if not NAME.match(domain) or not answers_file.is_file() or not (project.root / "src" / domain).is_dir():
        raise CliError(f"the service has no domain {domain!r} (its domains: {', '.join(known) or 'none yet'})")
    return read_answers(answers_file)


def identity(project: Project, answers: dict) -> tuple[str, str]:
    """The entity a task of the domain is about, and the type of its id."""
    if access.is_auth(answers):
        return "user", "uuid.UUID" if project.answers.get("pk_type") == "uuid" else "int"
    entity = str(answers.get("entity_name") or answers["domain_name"])
    if external_domain.is_external(answers):
        return entity, "str"
    return entity, "uuid.UUID" if project.answers.get("pk_type") == "uuid" else "int"


def read(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(f"cannot read {path}: {getattr(error, 'strerror', None) or error}") from error


def defined_names(text: str | None, where: str) -> set[str]:
    """The names a module defines at its top level (functions, classes, assignments, imports)."""
    if text is None:
        return set()
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        raise CliError(f"{where} is not valid Python (line {error.lineno}): fix it first") from error
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            found.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            found.update(child.id for child in ast.walk(node) if isinstance(child, ast.Name))
    return found


def first_party_imports(domain: str) -> str:
    """The test's first-party imports, in isort's order (a domain may sort before `core`)."""
    return "\n".join(sorted(["from src.core import jobs", f"from src.{domain} import tasks"]))


def with_uuid_import(text: str, after: str, import_line: str) -> str:
    """`text` importing uuid (a task taking a UUID id), the import put where isort puts it."""
    return text if "\nimport uuid\n" in text else text.replace(after, import_line, 1)


def task_code(name: str, schedule: str | None, entity: str, id_type: str) -> str:
    if schedule is not None:
        return TASK.format(
            name=name,
            schedule=f"schedule={schedule!r}".replace("'", '"'),
            parameters="connection: AsyncConnection",
            summary=f"{name.replace('_', ' ').capitalize()}, at `{schedule}` (UTC).",
            log_format="",
            log_arguments="",
        )
    return TASK.format(
        name=name,
        schedule="",
        parameters=f"connection: AsyncConnection, {entity}_id: {id_type}",
        summary=f"{name.replace('_', ' ').capitalize()} for one {entity.replace('_', ' ')}.",
        log_format=f": {entity.replace('_', ' ')} %s",
        log_arguments=f", {entity}_id",
    )


def test_code(name: str, schedule: str | None, entity: str, id_type: str) -> str:
    if schedule is not None:
        arguments = ""
    else:
        value = {"int": "1", "str": '"1"', "uuid.UUID": "uuid.UUID(int=1)"}[id_type]
        arguments = f", {entity}_id={value}"
    return TEST.format(name=name, arguments=arguments)
