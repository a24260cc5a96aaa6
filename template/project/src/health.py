"""`GET /health`: liveness plus a round trip to the database."""

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, status
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from src.database import get_engine
from src.exceptions import ServiceUnavailableError
from src.schemas import ErrorResponse, HealthStatus

router = APIRouter(tags=["health"])
_PING = sa.text("SELECT 1")


@router.get(
    "/health",
    response_model=HealthStatus,
    status_code=status.HTTP_200_OK,
    summary="Check service health",
    description="Answers when the service is up and its database accepts queries; 503 otherwise.",
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ErrorResponse, "description": "Database unreachable"}},
)
async def health(engine: Annotated[AsyncEngine, Depends(get_engine)]) -> HealthStatus:
    try:
        async with engine.connect() as connection:
            await connection.execute(_PING)
    except (OSError, SQLAlchemyError) as exc:
        raise ServiceUnavailableError("The database is unreachable") from exc
    return HealthStatus(status="ok", database="ok")
