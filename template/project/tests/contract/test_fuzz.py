"""The OpenAPI document as a contract, held to by a fuzzer.

Schemathesis generates requests from `/openapi.json`, valid and invalid, sends them to the app in
process, and checks every answer: never a server error, only statuses the document declares,
bodies that match their schemas, invalid input refused and valid input accepted. It writes to a
database of its own, so its rows never meet the other tests'.

`FUZZ_EXAMPLES` sets the requests per operation: a few by default, to keep the suite fast, and
the same ones every run (derandomized); raise it, e.g. `FUZZ_EXAMPLES=300 uv run pytest
tests/contract/test_fuzz.py`, before a release or after changing a schema.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import schemathesis
from alembic import command
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from src import database, dialect
from src.main import create_app
from tests.conftest import TEST_DATABASE_URL, migration_config
from tests.databases import scratch_database

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
]


@pytest.fixture(scope="module")
async def fuzz_engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    async with scratch_database(TEST_DATABASE_URL, Path(tmp_path_factory.mktemp("fuzz"))) as url:
        await asyncio.to_thread(command.upgrade, migration_config(url), "head")
        # No pool: schemathesis calls the app from an event loop of its own, and a pooled
        # connection belongs to the loop that opened it.
        engine = create_async_engine(url, poolclass=NullPool)
        dialect.configure_engine(engine)
        yield engine
        await engine.dispose()


app = create_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module", autouse=True)
def on_its_own_database(fuzz_engine: AsyncEngine) -> Iterator[None]:
    app.dependency_overrides[database.get_engine] = lambda: fuzz_engine
    yield
    app.dependency_overrides.clear()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_its_contract(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
