"""Operating a generated service as production does: a PostgreSQL service served by uvicorn with
two workers reports per-route metrics summed over both; its readiness follows the database (reached
through a proxy that fails it) while its liveness does not; a request is traced as a server span
over its SQL spans; SIGTERM lets the requests in flight finish; migrations are a step of their
own; the compose file, the CI workflow and the Kubernetes manifests match their published schemas;
and `copier update --data with_tracing=true` adds tracing to a living service.
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import support
from tests.test_faults import FaultyProxy
from tests.test_production import PRODUCTION_PASSWORD, dockerfile_start

WORKERS = 2
READINESS_TIMEOUT = 0.5
# A probe answers within its timeout; the rest is slack for a loaded machine.
WITHIN = READINESS_TIMEOUT + 1
POOL_SIZE = 20  # DATABASE_POOL_SIZE's default, per worker
TOOLS = Path(sys.executable).parent  # check-jsonschema and kubernetes-validate, this repository's dev tools
SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
# The service with one slow route, for the shutdown test only: never part of the product.
SLOW_APP = """import asyncio

from src.main import app


@app.get("/slow")
async def slow(seconds: float) -> dict[str, float]:
    await asyncio.sleep(seconds)
    return {"slept": seconds}
"""


@pytest.fixture(scope="module")
def project(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PostgreSQL, metrics (on by default) and tracing."""
    destination = tmp_path_factory.mktemp("operations") / "acme"
    return support.shared_render(template, destination, database="postgresql", with_tracing=True)


@pytest.fixture(scope="module")
def plain(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SQLite, without metrics and tracing."""
    return support.shared_render(template, tmp_path_factory.mktemp("plain") / "acme", with_metrics=False)


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    name = support.unique_name("fd_operations")
    support.create_pg_database(name)
    yield name
    support.drop_pg_database(name)


@pytest.fixture(scope="module")
def proxy() -> Iterator[FaultyProxy]:
    proxy = FaultyProxy()
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def metrics_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("prometheus")


@pytest.fixture(scope="module")
def service(
    project: Path, service_env: support.ServiceEnv, proxy: FaultyProxy, database: str, metrics_dir: Path
) -> Iterator[str]:
    """Two uvicorn workers (from WEB_CONCURRENCY, as the image sets them) on the proxied database."""
    env = {
        "DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{proxy.port}/{database}",
        "WEB_CONCURRENCY": str(WORKERS),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "READINESS_TIMEOUT": str(READINESS_TIMEOUT),
        "DATABASE_CONNECT_TIMEOUT": str(READINESS_TIMEOUT),
        "DATABASE_POOL_TIMEOUT": str(READINESS_TIMEOUT),
    }
    with support.served(project, service_env, env) as base:
        yield base


@pytest.fixture(autouse=True)
def healed(proxy: FaultyProxy) -> Iterator[None]:
    yield
    proxy.restore()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, float]:
    """Status, body and seconds taken of one GET."""
    started = time.monotonic()
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - a local server
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310 - a local server
            return reply.status, reply.read(), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read(), time.monotonic() - started


def scrape(service: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics, by name and labels."""
    status, body, _ = get(f"{service}/metrics")
    assert status == 200
    samples = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            match = SAMPLE.match(line)
            assert match, line
            labels = frozenset(LABEL.findall(match["labels"] or ""))
            samples[match["name"], labels] = float(match["value"])
    return samples


def requests_by_route(samples: dict) -> dict[tuple[str, str, str], float]:
    return {
        (labels["method"], labels["route"], labels["status"]): value
        for (name, pairs), value in samples.items()
        if name == "http_requests_total" and (labels := dict(pairs))
    }


def test_metrics_count_each_route_template_over_both_workers(service: str, metrics_dir: Path) -> None:
    before = requests_by_route(scrape(service))
    ids = []
    for n in range(3):
        status, item = support.request("POST", f"{service}/items", {"name": f"gauge {n}", "price": "1.00"})
        assert status == 201
        ids.append(item["id"])
    reads = [f"{service}/items/{item_id}" for item_id in ids * 10]
    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(lambda url: get(url)[0], reads)) == {200}
    assert get(f"{service}/items/{max(ids) + 1000}")[0] == 404
    assert get(f"{service}/no/such/{ids[0]}")[0] == 404

    samples = scrape(service)
    after = requests_by_route(samples)
    sent = {
        ("POST", "/items", "201"): 3,
        ("GET", "/items/{item_id}", "200"): len(reads),
        ("GET", "/items/{item_id}", "404"): 1,
        ("GET", "unmatched", "404"): 1,
    }
    assert {key: after.get(key, 0) - before.get(key, 0) for key in sent} == sent
    # Each worker writes files of its own (which one serves a request is up to the kernel), and a
    # scrape, whichever worker answers it, adds up both: two pools.
    assert len(list(metrics_dir.glob("gauge_livesum_*.db"))) == WORKERS
    routes = {dict(labels)["route"] for _, labels in samples if "route" in dict(labels)}
    assert not [route for route in routes if re.search(r"/\d", route)], routes
    gauges = {name: value for (name, labels), value in samples.items() if name.startswith("db_pool_")}
    assert gauges["db_pool_size"] == WORKERS * POOL_SIZE
    assert {"db_pool_checked_out", "db_pool_checked_in", "db_pool_overflow"} <= gauges.keys()
    build = frozenset({("name", "Acme Shop"), ("version", "0.1.0")})
    assert samples["app_build_info", build] == 1
    assert ("http_requests_in_flight", frozenset()) in samples


def test_readiness_follows_the_database_and_liveness_does_not(service: str, proxy: FaultyProxy) -> None:
    for path in ("/health/live", "/health/ready", "/health"):
        assert get(service + path)[0] == 200, path
    for fault in (proxy.refuse, proxy.silence):
        fault()
        for path in ("/health/ready", "/health"):
            status, body, took = get(service + path)
            assert (status, json.loads(body)["error"]["code"]) == (503, "service_unavailable"), (fault, path)
            assert took < WITHIN, (fault, path, took)
        status, body, took = get(f"{service}/health/live")
        assert (status, json.loads(body), took < WITHIN) == (200, {"status": "ok"}, True), fault
        proxy.restore()
        assert eventually_ready(service), fault


def eventually_ready(service: str) -> bool:
    deadline = time.monotonic() + 10
    while get(f"{service}/health/ready")[0] != 200:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_read_by_id_is_one_server_span_over_its_sql_spans(
    project: Path, service_env: support.ServiceEnv, service: str, database: str
) -> None:
    """The generated tracing probe (tests/test_tracing.py), in a fresh interpreter with a collector
    configured and an in-memory exporter, for GET /items/{id}; then that test itself."""
    _, item = support.request("POST", f"{service}/items", {"name": "traced", "price": "2.00"})
    env = {"DATABASE_URL": support.pg_url(database), "OTEL_EXPORTER_OTLP_TIMEOUT": "1"}
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{support.free_port()}"  # no collector there
    python = service_env.tool("python")
    probe = support.run(python, "-m", "tests.test_tracing", f"/items/{item['id']}", cwd=project, env=env)
    report = json.loads(probe.stdout)
    spans = {span["span_id"]: span for span in report["spans"]}
    (server,) = [span for span in spans.values() if span["kind"] == "SERVER"]
    assert (report["status"], server["name"]) == (200, "GET /items/{item_id}")
    statements = [span for span in spans.values() if span["kind"] == "CLIENT" and span["name"] == "SELECT"]
    assert statements
    assert all(root(span, spans) is server for span in statements)
    (access,) = [record for record in report["records"] if record["logger"] == "src.access"]
    assert (access["path"], access["trace_id"]) == (f"/items/{item['id']}", server["trace_id"])

    # The service's own tracing test (the matrix runs the other suites, with tracing off).
    base = support.unique_name("fd_suite")
    env = {"DATABASE_URL": env["DATABASE_URL"], "TEST_DATABASE_URL": support.pg_url(base)}
    support.run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_tracing.py", cwd=project, env=env)


def root(span: dict[str, Any], spans: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The span the trace of `span` starts from."""
    while span["parent_id"] is not None:
        span = spans[span["parent_id"]]
    return span


def test_sigterm_lets_the_requests_in_flight_finish(
    project: Path, service_env: support.ServiceEnv, database: str, tmp_path: Path
) -> None:
    """The image's command, two workers and a 3 s grace period: a request that needs 1 s finishes,
    one that would need 30 s is cut at the end of the grace period, and the server exits 0.

    (One worker, the image's default, ends the same way but by its own SIGTERM, which uvicorn
    raises again once it has shut down: exit status 143, as orchestrators expect of a stop.)"""
    grace = 3
    (tmp_path / "slow_app.py").write_text(SLOW_APP)
    image_env, script = dockerfile_start(project)
    assert "src.main:app" in script
    port = support.free_port()
    env = {
        **os.environ,
        **image_env,
        # The image's PATH leads to its own virtual environment; here that is the shared one.
        "PATH": f"{service_env.bin}:{os.environ['PATH']}",
        "DATABASE_URL": support.pg_url(database).replace("postgres@", f"postgres:{PRODUCTION_PASSWORD}@", 1),
        "PORT": str(port),
        "WEB_CONCURRENCY": str(WORKERS),
        "GRACEFUL_SHUTDOWN_TIMEOUT": str(grace),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "PYTHONPATH": str(project),  # `src`, next to the slow app's folder
    }
    command = script.replace("src.main:app", f"--app-dir {tmp_path} slow_app:app")
    # `sh -c "exec uvicorn ..."`: the shell becomes uvicorn, so the signal reaches the server.
    server = subprocess.Popen(["sh", "-c", command], cwd=project, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get(f"{base}/health/live")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        answers: dict[float, Any] = {}

        def slow(seconds: float) -> None:
            try:
                answers[seconds] = get(f"{base}/slow?seconds={seconds}")[:2]
            except OSError as error:
                answers[seconds] = error

        threads = [threading.Thread(target=slow, args=(seconds,)) for seconds in (1, 30)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)  # both requests are in flight
        stopped = time.monotonic()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=grace + 10) == 0
        took = time.monotonic() - stopped
        for thread in threads:
            thread.join(10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert answers[1] == (200, b'{"slept":1.0}')
    assert answers[30][0] == 500  # cut: uvicorn cancels it and answers for it
    assert grace <= took < grace + 3, took


def compose(project: Path) -> dict[str, Any]:
    return yaml.safe_load((project / "compose.yaml").read_text())


def manifests(project: Path) -> dict[str, dict[str, Any]]:
    documents = [yaml.safe_load(path.read_text()) for path in sorted((project / "deploy" / "k8s").glob("*.yaml"))]
    return {document["kind"]: document for document in documents}


def test_migrations_are_a_step_before_the_servers(project: Path, plain: Path) -> None:
    migrate = ["alembic", "upgrade", "head"]
    for service in (project, plain):
        _, script = dockerfile_start(service)
        assert "alembic" not in script
        services = compose(service)["services"]
        assert services["migrate"]["command"] == migrate
        assert services["migrate"]["restart"] == "no"
        assert "ports" not in services["migrate"]
        assert services["api"]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        # The same image and settings: the migration reaches the database the servers use.
        assert {key: services["migrate"][key] for key in ("build", "environment")} == {
            key: services["api"][key] for key in ("build", "environment")
        }
    assert not (plain / "deploy").exists()  # Kubernetes replicas need PostgreSQL

    resources = manifests(project)
    assert set(resources) == {"ConfigMap", "Secret", "Job", "Deployment", "Service"}
    (job,) = resources["Job"]["spec"]["template"]["spec"]["containers"]
    (api,) = resources["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert job["command"] == migrate
    assert "command" not in api and "args" not in api  # the image's own command: the server only
    assert job["image"] == api["image"]
    settings = [{"configMapRef": {"name": "acme-shop-config"}}, {"secretRef": {"name": "acme-shop-secrets"}}]
    assert job["envFrom"] == api["envFrom"] == settings
    assert api["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert api["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert float(resources["ConfigMap"]["data"]["READINESS_TIMEOUT"]) < api["readinessProbe"]["timeoutSeconds"]
    grace = int(resources["ConfigMap"]["data"]["GRACEFUL_SHUTDOWN_TIMEOUT"])
    assert grace < resources["Deployment"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    pods = resources["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert resources["Service"]["spec"]["selector"].items() <= pods.items()


def test_deploy_files_match_their_published_schemas(project: Path, plain: Path) -> None:
    """Offline: check-jsonschema and kubernetes-validate ship the schemas."""
    for service in (project, plain):
        check = TOOLS / "check-jsonschema"
        support.run(check, "--builtin-schema", "vendor.compose-spec", "compose.yaml", cwd=service)
        support.run(check, "--builtin-schema", "vendor.github-workflows", ".github/workflows/ci.yml", cwd=service)
    k8s = sorted(path.name for path in (project / "deploy" / "k8s").glob("*.yaml"))
    support.run(TOOLS / "kubernetes-validate", "--strict", *k8s, cwd=project / "deploy" / "k8s")


@pytest.mark.parametrize("answer", ["with_metrics=maybe", "with_tracing=1"])
def test_a_bad_answer_is_refused(template: Path, tmp_path: Path, answer: str) -> None:
    destination = tmp_path / "service"
    result = support.copier_cli(*support.COPY_ARGS, "--data", answer, template, destination, cwd=tmp_path, check=False)
    assert result.returncode != 0
    assert f"{answer.split('=')[0]} must be true or false" in result.stderr
    assert not destination.exists()


def test_update_adds_tracing_to_a_living_service(plain: Path, service_env: support.ServiceEnv) -> None:
    python = service_env.tool("python")
    served = "from src.main import app; print('/metrics' in {getattr(route, 'path', '') for route in app.routes})"
    assert support.run(python, "-c", served, cwd=plain).stdout.strip() == "False"
    assert not (plain / "src" / "web" / "metrics.py").exists()

    support.copier_cli("update", "--trust", "--defaults", "--vcs-ref", "HEAD", "--data", "with_tracing=true", cwd=plain)
    answers = yaml.safe_load((plain / ".copier-answers.yml").read_text())
    assert (answers["with_tracing"], answers["with_metrics"]) == (True, False)
    dependencies = (plain / "pyproject.toml").read_text()
    assert '"opentelemetry-sdk>=' in dependencies and "prometheus-client" not in dependencies
    assert (plain / "src" / "web" / "tracing.py").is_file() and (plain / "tests" / "test_tracing.py").is_file()
    support.run(service_env.tool("ruff"), "check", "--no-cache", ".", cwd=plain)
    support.run(service_env.tool("ruff"), "format", "--check", "--no-cache", ".", cwd=plain)
    configured = "import src.main; from opentelemetry import trace; print(type(trace.get_tracer_provider()).__name__)"
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{support.free_port()}", "OTEL_EXPORTER_OTLP_TIMEOUT": "1"}
    assert support.run(python, "-c", configured, cwd=plain, env=env).stdout.strip() == "TracerProvider"
    assert support.run(python, "-c", configured, cwd=plain).stdout.strip() != "TracerProvider"
