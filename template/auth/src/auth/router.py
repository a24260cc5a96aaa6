"""REST routes of the auth domain: sign-up, the OAuth2 password flow with rotating refresh
tokens, the signed-in user, and user administration for superusers.

Each route declares every status it can answer (see `src/exceptions.py`), so the OpenAPI
document is a contract a client, or a fuzzer, can hold it to. A failure that must outlive its
request (a counted failed login, a revoked token family) is answered, not raised: a raised error
would roll the request's transaction back, and the write with it. A route that writes and needs
a user lists its `DbConnection` first (see `dependencies`).
"""

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response, status
from fastapi.responses import JSONResponse

from src.auth import exceptions, service
from src.auth.dependencies import CurrentActiveUser, CurrentSuperuser, ListParams, UserId, ValidUser
from src.auth.schemas import LoginForm, PasswordChange, RefreshRequest, TokenPair, UserCreate, UserPage, UserRead
from src.database import DbConnection, ReadConnection
from src.exceptions import (
    BODY_RESPONSES,
    CONFLICT_RESPONSE,
    ERROR_RESPONSES,
    FORBIDDEN_RESPONSE,
    NOT_FOUND_RESPONSE,
    UNAUTHORIZED_RESPONSE,
    domain_error_response,
)

router = APIRouter(prefix="/auth", tags=["auth"], responses=ERROR_RESPONSES)
# Routes only a superuser may call: a 401 without a valid token, a 403 for other users.
SUPERUSER_RESPONSES = {**UNAUTHORIZED_RESPONSE, **FORBIDDEN_RESPONSE}


@router.post(
    "/register",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    summary="Register a user",
    description="Creates an active, non-superuser account; 409 when the email is taken.",
    responses={**BODY_RESPONSES, **CONFLICT_RESPONSE},
)
async def register(connection: DbConnection, data: UserCreate) -> Mapping[str, Any]:
    return await service.register(connection, data.email, data.password)


@router.post(
    "/login",
    response_model=TokenPair,
    status_code=status.HTTP_200_OK,
    summary="Sign in",
    description=(
        "The OAuth2 password grant: `username` is the email. Returns an access token and a refresh "
        "token. A wrong password and an unknown email are the same 401; after too many failures the "
        "account is locked for a while (429 with `Retry-After`)."
    ),
    responses={**BODY_RESPONSES, **UNAUTHORIZED_RESPONSE, **exceptions.TOO_MANY_ATTEMPTS_RESPONSE},
)
async def login(
    request: Request, connection: DbConnection, form: Annotated[LoginForm, Form()]
) -> dict[str, str] | JSONResponse:
    try:
        return await service.login(connection, form.username, form.password)
    except exceptions.InvalidCredentialsError as error:
        return domain_error_response(request, error)


@router.post(
    "/refresh",
    response_model=TokenPair,
    status_code=status.HTTP_200_OK,
    summary="Refresh the tokens",
    description=(
        "Spends a refresh token for a new pair. A refresh token works once: sending a spent one "
        "again revokes every token of its login (401)."
    ),
    responses={**BODY_RESPONSES, **UNAUTHORIZED_RESPONSE},
)
async def refresh(request: Request, connection: DbConnection, data: RefreshRequest) -> dict[str, str] | JSONResponse:
    try:
        return await service.refresh(connection, data.refresh_token)
    except exceptions.InvalidRefreshTokenError as error:
        return domain_error_response(request, error)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Sign out",
    description="Revokes the refresh token and every token of its login; an unknown token is ignored.",
    responses=BODY_RESPONSES,
)
async def logout(connection: DbConnection, data: RefreshRequest) -> None:
    await service.logout(connection, data.refresh_token)


@router.get(
    "/me",
    response_model=UserRead,
    status_code=status.HTTP_200_OK,
    summary="Get the signed-in user",
    description="The user the access token belongs to.",
    responses=UNAUTHORIZED_RESPONSE,
)
async def get_me(user: CurrentActiveUser) -> Mapping[str, Any]:
    return user


@router.post(
    "/password",
    # No body: the annotation's JSONResponse is the error answered (see `domain_error_response`).
    response_model=None,
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Change the password",
    description=(
        "Sets a new password when `current_password` is right (403 when not; throttled like a "
        "login), and revokes every refresh token of the user: each session signs in again."
    ),
    responses={
        **BODY_RESPONSES,
        **UNAUTHORIZED_RESPONSE,
        **FORBIDDEN_RESPONSE,
        **exceptions.TOO_MANY_ATTEMPTS_RESPONSE,
    },
)
async def change_password(
    request: Request, connection: DbConnection, user: CurrentActiveUser, data: PasswordChange
) -> JSONResponse | None:
    try:
        await service.change_password(connection, user, data.current_password, data.new_password)
    except exceptions.WrongPasswordError as error:
        return domain_error_response(request, error)
    return None


@router.get(
    "/users",
    response_model=UserPage,
    status_code=status.HTTP_200_OK,
    summary="List users",
    description="A page of users, for superusers; `next` is the cursor of the page after it.",
    responses={**SUPERUSER_RESPONSES, **NOT_FOUND_RESPONSE},
)
async def list_users(connection: ReadConnection, _: CurrentSuperuser, params: ListParams) -> dict[str, Any]:
    items, next_cursor = await service.list_page(connection, params)
    total = await service.count(connection, params) if params.total else None
    return {"items": items, "total": total, "limit": params.limit, "offset": params.offset, "next": next_cursor}


@router.get(
    "/users/{user_id}",
    response_model=UserRead,
    status_code=status.HTTP_200_OK,
    summary="Get a user",
    description="One user by id, for superusers.",
    responses={**SUPERUSER_RESPONSES, **NOT_FOUND_RESPONSE},
)
async def get_user(user: ValidUser) -> Mapping[str, Any]:
    return user


@router.post(
    "/users/{user_id}/deactivate",
    response_model=UserRead,
    status_code=status.HTTP_200_OK,
    summary="Deactivate a user",
    description=(
        "The user can no longer sign in, and their tokens are refused (refresh tokens revoked). "
        "A superuser cannot deactivate themself (409)."
    ),
    responses={**SUPERUSER_RESPONSES, **NOT_FOUND_RESPONSE, **exceptions.DEACTIVATE_SELF_RESPONSE},
)
async def deactivate_user(connection: DbConnection, user_id: UserId, superuser: CurrentSuperuser) -> Mapping[str, Any]:
    return await service.set_active(connection, user_id, False, superuser["id"])


@router.post(
    "/users/{user_id}/reactivate",
    response_model=UserRead,
    status_code=status.HTTP_200_OK,
    summary="Reactivate a user",
    description="The user may sign in again.",
    responses={**SUPERUSER_RESPONSES, **NOT_FOUND_RESPONSE},
)
async def reactivate_user(connection: DbConnection, user_id: UserId, superuser: CurrentSuperuser) -> Mapping[str, Any]:
    return await service.set_active(connection, user_id, True, superuser["id"])
