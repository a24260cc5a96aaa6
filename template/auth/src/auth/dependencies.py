"""Who is calling: the user an access token names, chained onto the read connection.

`CurrentUser` is any user a valid token names, `CurrentActiveUser` one who may still sign in, and
`CurrentSuperuser` an active superuser. A missing or invalid token, or a user who is gone or
inactive, is a 401; a user who is not a superuser where one is needed, a 403. Each is the row
without its password hash. `PasswordHashTurn` makes a route that hashes or verifies a password
wait for its turn first.

A route that writes lists its `DbConnection` before these: dependencies are closed in reverse
order, so the user's read connection is then closed before the write commits. The other way
round, SQLite's commit waits for the read's lock until its timeout (a 503).
"""

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer
from pydantic import TypeAdapter, ValidationError
from starlette.formparsers import MultiPartException

from src.auth import exceptions, service, utils
from src.auth.config import settings as auth_settings
from src.auth.schemas import LoginForm, RefreshRequest, UserListParams
from src.config import settings
from src.core.schemas import EntityIdParam
from src.database import ReadConnection
from src.exceptions import UnauthorizedError

# auto_error=False: a missing token is answered by UnauthorizedError, in the error shape. Its
# tokenUrl makes /docs' "Authorize" sign in with the login form.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl=f"{settings.API_PREFIX}/auth/login", auto_error=False)
# A token's subject read as a user id, as a path would spell it.
_USER_ID = TypeAdapter(EntityIdParam)

UserId = Annotated[EntityIdParam, Path(description="Id of the user")]
ListParams = Annotated[UserListParams, Query()]
# Turns at argon2, as many as the hash threads (see `utils.in_hash_thread`).
_hash_turns = asyncio.Semaphore(auth_settings.PASSWORD_HASH_CONCURRENCY)


# The token endpoint reads its form and body itself rather than by FastAPI, so that a malformed
# one is RFC 6749's 400 `invalid_request`, never a 422 (see `router.TokenRoute`). Its routes
# declare these request bodies in OpenAPI by `openapi_extra`.
LOGIN_FORM_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/x-www-form-urlencoded": {"schema": LoginForm.model_json_schema()}},
    }
}
REFRESH_BODY = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": RefreshRequest.model_json_schema()}}}
}


async def login_form(request: Request) -> LoginForm:
    try:
        form = await request.form()
        return LoginForm.model_validate(dict(form))
    except MultiPartException as error:
        raise exceptions.TokenError(f"The form cannot be read: {error.message}") from None
    except ValidationError as error:
        raise exceptions.TokenError.malformed(error) from None


async def refresh_request(request: Request) -> RefreshRequest:
    try:
        return RefreshRequest.model_validate_json(await request.body())
    except ValidationError as error:
        raise exceptions.TokenError.malformed(error) from None


LoginFormBody = Annotated[LoginForm, Depends(login_form)]
RefreshBody = Annotated[RefreshRequest, Depends(refresh_request)]


async def password_hash_turn() -> AsyncIterator[None]:
    """Wait for a turn at argon2, held until the route returns. Listed before the route's
    database connection, so that requests waiting here hold none: a burst of sign-ins queues
    here instead of emptying the pool the other routes need. A 503 after
    AUTH_PASSWORD_HASH_WAIT_SECONDS."""
    try:
        async with asyncio.timeout(auth_settings.PASSWORD_HASH_WAIT_SECONDS):
            await _hash_turns.acquire()
    except TimeoutError:
        raise exceptions.PasswordWorkBusyError from None
    try:
        yield
    finally:
        _hash_turns.release()


PasswordHashTurn = Annotated[None, Depends(password_hash_turn, scope="function")]


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
