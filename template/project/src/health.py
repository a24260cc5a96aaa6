"""Probes for load balancers and orchestrators.

`GET /health/live` answers while the process can serve at all, without any I/O: a failing
database must not get a healthy process restarted. `GET /health/ready` answers once the database
accepts a query within `READINESS_TIMEOUT`, and 503 otherwise, so traffic goes to the replicas
that can serve it. `GET /health` is the readiness check under the name earlier releases used.
"""

import asyncio
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, status
from pydantic import Field
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from src.config import settings
from src.database import get_engine
from src.exceptions import ServiceUnavailableError
from src.schemas import ErrorResponse, HealthStatus, Schema

router = APIRouter(tags=["health"])
_PING = sa.text("SELECT 1")
_UNREACHABLE = {status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ErrorResponse, "description": "Database unreachable"}}


class LiveStatus(Schema):
    status: str = Field(examples=["ok"])


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
    description="Answers when the database accepts a query within READINESS_TIMEOUT seconds; 503 otherwise.",
    responses=_UNREACHABLE,
)
@router.get(
    "/health",
    response_model=HealthStatus,
    status_code=status.HTTP_200_OK,
    summary="Check service health",
    description="The readiness check (`/health/ready`) under its earlier name.",
    responses=_UNREACHABLE,
)
async def ready(engine: Annotated[AsyncEngine, Depends(get_engine)]) -> HealthStatus:
    try:
        # The probe's own deadline, shorter than the database timeouts that bound requests: an
        # orchestrator waits for an answer only briefly, and a late one helps nobody.
        async with asyncio.timeout(settings.READINESS_TIMEOUT), engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # One statement, as reads run it: no BEGIN and ROLLBACK round trips around it.
                await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(_PING)
    except (OSError, SQLAlchemyError) as exc:  # TimeoutError is an OSError
        raise ServiceUnavailableError("The database is unreachable") from exc
    return HealthStatus(status="ok", database="ok")
