"""Probes for load balancers and orchestrators.

`GET /health/live` answers while the process can serve at all, without any I/O: a failing
database must not get a healthy process restarted. `GET /health/ready` answers once the database
accepts a query within `READINESS_TIMEOUT` and its schema is migrated to the code (its Alembic
revision is the code's head), and 503 otherwise, so traffic goes to the replicas that can serve
it. `GET /health` is the readiness check under the name earlier releases used.

The code's revisions are read once, from `alembic/`; readiness costs one query, which reads the
database's revision. A database ahead of the code (a newer release migrated it, while this one
still serves during a rolling deploy) is ready: migrations add before later releases remove.
"""

import asyncio
import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Depends, status
from pydantic import Field
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from src.config import settings
from src.core.schemas import ErrorResponse, HealthStatus, Schema
from src.database import get_engine
from src.db.database_faults import is_schema_behind
from src.exceptions import ServiceUnavailableError

logger = logging.getLogger(__name__)
TAG = {"name": "health", "description": "Liveness and readiness probes for load balancers and orchestrators."}
router = APIRouter(tags=[TAG["name"]])
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
_REVISION = sa.text("SELECT version_num FROM alembic_version")
_UNREADY = {
    status.HTTP_503_SERVICE_UNAVAILABLE: {
        "model": ErrorResponse,
        "description": "The database is unreachable, or its schema is behind the code",
    }
}


class LiveStatus(Schema):
    status: str = Field(examples=["ok"])


@dataclass(frozen=True)
class Revisions:
    """The code's migrations, read once from `alembic/`."""

    script: ScriptDirectory
    heads: frozenset[str]
    known: frozenset[str]

    def pending(self, database: frozenset[str]) -> int:
        """Migrations the database lacks: 0 at the heads, and when it is at a revision this code
        does not know (a newer release migrated it)."""
        if database == self.heads or not database <= self.known:
            return 0
        applied = {step.revision for revision in database for step in self.script.iterate_revisions(revision, "base")}
        return len(self.known - applied)


@functools.cache
def code_revisions() -> Revisions | None:
    """Read once per process (the app's lifespan does it at start-up); None without `alembic/`."""
    if not ALEMBIC_INI.is_file():
        return None
    script = ScriptDirectory.from_config(Config(str(ALEMBIC_INI)))
    known = frozenset(revision.revision for revision in script.walk_revisions())
    return Revisions(script, frozenset(script.get_heads()), known)


async def database_revisions(engine: AsyncEngine) -> frozenset[str]:
    """The revisions the database is at (none before its first migration), in one query."""
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # One statement, as reads run it: no BEGIN and ROLLBACK round trips around it.
            await connection.execution_options(isolation_level="AUTOCOMMIT")
        try:
            return frozenset((await connection.execute(_REVISION)).scalars())
        except SQLAlchemyError as error:
            if is_schema_behind(error):  # no alembic_version table yet
                return frozenset()
            raise


def behind_message(database: frozenset[str], revisions: Revisions, pending: int) -> str:
    at = f"revision {', '.join(sorted(database))}" if database else "no revision"
    migrations = "1 migration" if pending == 1 else f"{pending} migrations"
    return (
        f"The database schema is {migrations} behind the code: the database is at {at}, the code at "
        f"{', '.join(sorted(revisions.heads))}; run `alembic upgrade head`"
    )


async def warn_if_schema_behind(engine: AsyncEngine) -> None:
    """At start-up on a developer's machine: one warning when migrations are pending."""
    revisions = code_revisions()
    if revisions is None:
        return
    try:
        async with asyncio.timeout(settings.READINESS_TIMEOUT):
            database = await database_revisions(engine)
    except (OSError, SQLAlchemyError):
        return  # Unreachable: each request's 503 says so.
    pending = revisions.pending(database)
    if pending:
        logger.warning(behind_message(database, revisions, pending))


@router.get(
    "/health/live",
    response_model=LiveStatus,
    status_code=status.HTTP_200_OK,
    summary="Check the process is alive",
    description="Answers while the process serves requests; it touches no database, so use it for liveness probes.",
)
async def live() -> LiveStatus:
    return LiveStatus(status="ok")


@router.get(
    "/health/ready",
    response_model=HealthStatus,
    status_code=status.HTTP_200_OK,
    summary="Check the service is ready",
    description="Answers when the database accepts a query within READINESS_TIMEOUT seconds and its schema "
    "is migrated to the code's head; 503 otherwise, naming the revisions and `alembic upgrade head`.",
    responses=_UNREADY,
)
@router.get(
    "/health",
    response_model=HealthStatus,
    status_code=status.HTTP_200_OK,
    summary="Check service health",
    description="The readiness check (`/health/ready`) under its earlier name.",
    operation_id="health_check",
    responses=_UNREADY,
)
async def ready(engine: Annotated[AsyncEngine, Depends(get_engine)]) -> HealthStatus:
    try:
        # The probe's own deadline, shorter than the database timeouts that bound requests: an
        # orchestrator waits for an answer only briefly, and a late one helps nobody.
        async with asyncio.timeout(settings.READINESS_TIMEOUT):
            database = await database_revisions(engine)
    except (OSError, SQLAlchemyError) as exc:  # TimeoutError is an OSError
        raise ServiceUnavailableError("The database is unreachable") from exc
    revisions = code_revisions()
    pending = revisions.pending(database) if revisions else 0
    if revisions and pending:
        details = {
            "database_revision": ", ".join(sorted(database)) or None,
            "head": ", ".join(sorted(revisions.heads)),
            "pending": pending,
            "command": "alembic upgrade head",
        }
        raise ServiceUnavailableError(behind_message(database, revisions, pending), details)
    return HealthStatus(status="ok", database="ok")
