"""Jobs as reliable as the rows they are about, on the real Redis and RabbitMQ: a PostgreSQL
service whose create route enqueues a task (`fastapi-domains task items count_sale`, its body
adding 1 to the item's price, so the database counts each run), served by uvicorn, with a real
worker process (`python -m src.core.jobs worker`) reaching the broker through a TCP proxy.

A created row's job runs; with the broker down the request still answers 201 and the job runs
once the broker is back; a job published again and again (a relay stopped between publishing and
marking, a broker redelivering) runs once; a stopped worker exits cleanly. With RabbitMQ, the
service's own suite, ruff and migrations pass with the real broker behind its jobs.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests import support
from tests.test_faults import FaultyProxy

BROKERS = {"redis": ("127.0.0.1", 6379), "rabbitmq": ("127.0.0.1", 5672)}
TASK_BODY = (
    '    logger.info("count_sale: item %s", item_id)\n',
    '    await connection.execute(sa.text("UPDATE item SET price = price + 1 WHERE id = :id"), {"id": item_id})\n',
)


def broker_url(broker: str, port: int) -> str:
    return f"redis://127.0.0.1:{port}/0" if broker == "redis" else f"amqp://guest:guest@127.0.0.1:{port}/"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture(scope="module", params=sorted(BROKERS))
def broker(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def project(broker: str, template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The items domain's create enqueues `count_sale` in its transaction, as a user would write it."""
    project = support.render(
        template, tmp_path_factory.mktemp(f"jobs-{broker}") / "acme", database="postgresql", jobs=broker
    )
    support.run(sys.executable, "-m", "fastapi_domains.cli", "task", "items", "count_sale", cwd=project)
    tasks = project / "src" / "items" / "tasks.py"
    edit(tasks, *TASK_BODY)
    edit(tasks, "from sqlalchemy.ext", "import sqlalchemy as sa\nfrom sqlalchemy.ext")
    service = project / "src" / "items" / "service.py"
    edit(service, "from src.core.schemas", "from src.core import jobs\nfrom src.core.schemas")
    edit(service, "from src.items.models", "from src.items import tasks\nfrom src.items.models")
    edit(
        service,
        "    return await rows.insert(connection, data.model_dump())\n",
        "    item = await rows.insert(connection, data.model_dump())\n"
        "    await jobs.enqueue(connection, tasks.count_sale, item_id=item.id)\n"
        "    return item\n",
    )
    return project


@pytest.fixture(scope="module")
def database(project: Path) -> Iterator[str]:
    name = support.unique_name("fd_jobs")
    support.create_pg_database(name)
    yield name
    support.drop_pg_database(name)


@pytest.fixture(scope="module")
def proxy(broker: str) -> Iterator[FaultyProxy]:
    proxy = FaultyProxy(BROKERS[broker])
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def worker_env(broker: str, database: str, proxy: FaultyProxy, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return {
        "DATABASE_URL": support.pg_url(database),
        "JOBS_BROKER_URL": broker_url(broker, proxy.port),
        "JOBS_QUEUE": support.unique_name("fd_jobs"),
        "JOBS_RELAY_INTERVAL": "0.05",
        "JOBS_METRICS_PORT": str(support.free_port()),
        "JOBS_HEARTBEAT_FILE": str(tmp_path_factory.mktemp("worker") / "heartbeat"),
    }


@pytest.fixture(scope="module")
def queue(broker: str, project: Path, service_env: support.ServiceEnv, worker_env: dict) -> Iterator[None]:
    """The module's queue, deleted from RabbitMQ at the end (Redis drops an empty list itself)."""
    yield
    if broker == "rabbitmq":
        delete = (
            "import asyncio, aio_pika\nasync def main():\n"
            f"    async with await aio_pika.connect_robust({broker_url(broker, BROKERS[broker][1])!r}) as connection:\n"
            "        channel = await connection.channel()\n"
            f"        name = {worker_env['JOBS_QUEUE']!r}\n"
            "        await channel.queue_delete(name)\n"
            "        await channel.queue_delete(name + '.dead_letter')\n"
            "        await channel.exchange_delete(name)\n"
            "asyncio.run(main())\n"
        )
        support.run(service_env.tool("python"), "-c", delete, cwd=project)


@pytest.fixture(scope="module")
def api(project: Path, service_env: support.ServiceEnv, worker_env: dict) -> Iterator[str]:
    with support.served(project, service_env, {"DATABASE_URL": worker_env["DATABASE_URL"]}) as base:
        yield base


class Worker:
    """`python -m src.core.jobs worker`, its log in a file."""

    def __init__(self, project: Path, service_env: support.ServiceEnv, env: dict) -> None:
        self.command = [service_env.tool("python"), "-m", "src.core.jobs", "worker"]
        self.project, self.env = project, {**os.environ, **env}
        self.log = Path(env["JOBS_HEARTBEAT_FILE"]).with_name("worker.log")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                self.command, cwd=self.project, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def stop(self) -> tuple[int, str]:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        return self.process.returncode, self.log.read_text()


@pytest.fixture(scope="module")
def worker(project: Path, service_env: support.ServiceEnv, worker_env: dict, api: str, queue: None) -> Iterator[Worker]:
    worker = Worker(project, service_env, worker_env)
    worker.start()
    yield worker
    if worker.process is not None and worker.process.poll() is None:
        worker.stop()


def sql(database: str, query: str) -> str:
    command = ("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-tAc", query)
    return support.run(*command, cwd=support.REPO).stdout.strip()


def until(check: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def create(api: str, name: str) -> int:
    status, body = support.request("POST", f"{api}/items", {"name": name, "price": "10.00"})
    assert status == 201, body
    return body["id"]


def price(database: str, item_id: int) -> str:
    return sql(database, f"SELECT price FROM item WHERE id = {item_id}")  # noqa: S608 - our own id


def job(database: str, item_id: int) -> tuple[str, str]:
    """The job's id and status (as `id|status|attempts`), found by the item it is about."""
    row = sql(database, f"SELECT id, status, attempts FROM background_job WHERE arguments->>'item_id' = '{item_id}'")  # noqa: S608
    job_id, _, rest = row.partition("|")
    return job_id, rest


def test_a_created_rows_job_runs_in_the_worker(api: str, worker: Worker, database: str, worker_env: dict) -> None:
    item_id = create(api, "first")
    until(lambda: price(database, item_id) == "11.00")
    until(lambda: job(database, item_id)[1] == "done|1")
    alive = support.run(
        worker.command[0], "-m", "src.core.jobs", "alive", cwd=worker.project, env=worker_env, check=False
    )
    assert alive.returncode == 0, alive.stderr


def test_metrics_count_the_jobs_run(worker_env: dict) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{worker_env['JOBS_METRICS_PORT']}/metrics") as reply:
        text = reply.read().decode()
    assert 'jobs_run_total{outcome="done",task="items.count_sale"}' in text
    assert "jobs_published_total" in text


def test_with_the_broker_down_the_request_succeeds_and_the_job_runs_once_it_is_back(
    api: str, worker: Worker, database: str, proxy: FaultyProxy
) -> None:
    proxy.refuse()
    try:
        started = time.monotonic()
        item_id = create(api, "while down")
        assert time.monotonic() - started < 2
        time.sleep(1)
        assert price(database, item_id) == "10.00"
        assert job(database, item_id)[1] == "pending|0"
    finally:
        proxy.restore()
    until(lambda: price(database, item_id) == "11.00", seconds=60)
    until(lambda: job(database, item_id)[1] == "done|1")


def test_a_job_published_many_times_runs_once(
    api: str, worker: Worker, database: str, worker_env: dict, service_env: support.ServiceEnv, project: Path
) -> None:
    """The worker is stopped (it exits 0 on SIGTERM); the job is published three times by hand,
    as by relays that stopped before marking it; the worker starts, gets all three and the
    relay's own publication: the price goes up by one."""
    code, stderr = worker.stop()
    assert code == 0, stderr
    item_id = create(api, "duplicated")
    job_id, state = job(database, item_id)
    assert state == "pending|0"
    publish = (
        "import asyncio\nfrom src.core import jobs\n"
        "async def main():\n    await jobs.broker.startup()\n"
        f"    for _ in range(3):\n        await jobs.run_job.kiq({job_id})\n"
        "    await jobs.broker.shutdown()\nasyncio.run(main())\n"
    )
    support.run(service_env.tool("python"), "-c", publish, cwd=project, env=worker_env)
    worker.start()
    until(lambda: job(database, item_id)[1] == "done|1")
    time.sleep(2)  # The other deliveries arrive and find the job done.
    assert price(database, item_id) == "11.00"
    assert job(database, item_id)[1] == "done|1"


def test_a_thousand_jobs_through_two_workers_each_run_once(
    api: str,
    worker: Worker,
    database: str,
    worker_env: dict,
    service_env: support.ServiceEnv,
    project: Path,
    tmp_path: Path,
) -> None:
    """1,000 jobs on one item, enqueued in one transaction, shared by two workers: its price goes
    up by exactly 1,000 and every job was claimed once (the database counts both)."""
    item_id = create(api, "counter")
    until(lambda: job(database, item_id)[1] == "done|1")
    second = Worker(
        project,
        service_env,
        {**worker_env, "JOBS_METRICS_PORT": str(support.free_port()), "JOBS_HEARTBEAT_FILE": str(tmp_path / "beat")},
    )
    second.start()
    try:
        enqueue = (
            "import asyncio\nfrom src import database\nfrom src.core import jobs\nfrom src.items import tasks\n"
            "async def main():\n    async with database.engine.begin() as connection:\n"
            "        for _ in range(1000):\n"
            f"            await jobs.enqueue(connection, tasks.count_sale, item_id={item_id})\n"
            "    await database.engine.dispose()\nasyncio.run(main())\n"
        )
        support.run(service_env.tool("python"), "-c", enqueue, cwd=project, env=worker_env)
        about = f"FROM background_job WHERE arguments->>'item_id' = '{item_id}'"
        until(lambda: sql(database, f"SELECT count(*) {about} AND status = 'done'") == "1001", seconds=180)
        assert sql(database, f"SELECT count(*) {about} AND attempts <> 1") == "0"
        assert price(database, item_id) == "1011.00"
    finally:
        code, log = second.stop()
    assert code == 0, log


def test_the_worker_deploys_beside_the_api(broker: str, project: Path) -> None:
    """A compose service for the worker and one for its broker, a Kubernetes Deployment with a
    liveness probe; all valid against their published schemas, offline."""
    tools = Path(sys.executable).parent
    support.run(tools / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", "compose.yaml", cwd=project)
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    assert compose["services"]["worker"]["command"] == ["python", "-m", "src.core.jobs", "worker"]
    assert compose["services"]["worker"]["depends_on"][broker] == {"condition": "service_healthy"}
    assert broker in compose["services"]
    k8s = project / "deploy" / "k8s"
    support.run(tools / "kubernetes-validate", "--strict", *sorted(path.name for path in k8s.glob("*.yaml")), cwd=k8s)
    deployment = yaml.safe_load((k8s / "worker-deployment.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["python", "-m", "src.core.jobs", "worker"]
    assert container["livenessProbe"]["exec"]["command"] == ["python", "-m", "src.core.jobs", "alive"]
    shutdown = float(yaml.safe_load((k8s / "configmap.yaml").read_text())["data"]["JOBS_SHUTDOWN_TIMEOUT"])
    assert shutdown < pod["terminationGracePeriodSeconds"]


def test_the_service_passes_its_checks_with_the_real_broker(
    broker: str, project: Path, service_env: support.ServiceEnv, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if broker != "rabbitmq":
        pytest.skip("tests/test_jobs.py runs a service's checks with Redis")
    monkeypatch.setenv("TEST_BROKER_URL", broker_url(broker, BROKERS[broker][1]))
    base = support.unique_name("fd_jobs")
    service_env.checks(project, database_url=pg_database, test_database_url=support.pg_url(base))
