"""Who is calling: the user an access token names, chained onto the read connection.

`CurrentUser` is any user a valid token names, `CurrentActiveUser` one who may still sign in, and
`CurrentSuperuser` an active superuser. A missing or invalid token, or a user who is gone or
inactive, is a 401; a user who is not a superuser where one is needed, a 403. Each is the row
without its password hash.

A route that writes lists its `DbConnection` before these: dependencies are closed in reverse
order, so the user's read connection is then closed before the write commits. The other way
round, SQLite's commit waits for the read's lock until its timeout (a 503).
"""

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Path, Query
from fastapi.security import OAuth2PasswordBearer
from pydantic import TypeAdapter, ValidationError

from src.auth import exceptions, service, utils
from src.auth.schemas import UserListParams
from src.config import settings
from src.database import ReadConnection
from src.exceptions import UnauthorizedError
from src.schemas import EntityIdParam

# auto_error=False: a missing token is answered by UnauthorizedError, in the error shape. Its
# tokenUrl makes /docs' "Authorize" sign in with the login form.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=f"{settings.API_PREFIX}/auth/login", auto_error=False)
# A token's subject read as a user id, as a path would spell it.
_USER_ID = TypeAdapter(EntityIdParam)

UserId = Annotated[EntityIdParam, Path(description="Id of the user")]
ListParams = Annotated[UserListParams, Query()]


async def current_user(
    connection: ReadConnection,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Mapping[str, Any]:
    if not token:
        raise UnauthorizedError
    subject = utils.access_token_subject(token)
    if subject is None:
        raise exceptions.InvalidTokenError
    try:
        user_id = _USER_ID.validate_python(subject)
    except ValidationError as error:
        raise exceptions.InvalidTokenError from error
    user = await service.get_by_id(connection, user_id)
    if user is None:
        raise exceptions.InvalidTokenError
    return user


CurrentUser = Annotated[Mapping[str, Any], Depends(current_user)]


async def current_active_user(user: CurrentUser) -> Mapping[str, Any]:
    if not user["is_active"]:
        raise exceptions.InactiveUserError
    return user


CurrentActiveUser = Annotated[Mapping[str, Any], Depends(current_active_user)]


async def current_superuser(user: CurrentActiveUser) -> Mapping[str, Any]:
    if not user["is_superuser"]:
        raise exceptions.NotSuperuserError
    return user


CurrentSuperuser = Annotated[Mapping[str, Any], Depends(current_superuser)]


async def valid_user_id(user_id: UserId, connection: ReadConnection, _: CurrentSuperuser) -> Mapping[str, Any]:
    """The user of the path, for a superuser; 404 when there is none."""
    user = await service.get_by_id(connection, user_id)
    if user is None:
        raise exceptions.UserNotFoundError
    return user


ValidUser = Annotated[Mapping[str, Any], Depends(valid_user_id)]
