"""REST routes of the auth domain: sign-up, the OAuth2 password flow with rotating refresh
tokens, the signed-in user, and user administration for superusers.

Each route declares every status it can answer (see `src/exceptions.py`), so the OpenAPI
document is a contract a client, or a fuzzer, can hold it to. The token endpoint (`/login`, and
`/refresh`) answers its errors as OAuth2 clients read them (RFC 6749, 5.2: `TokenRoute`); every
other route in the service's error shape. A failure that must outlive its request (a counted
failed login, a revoked token family) is answered, not raised: a raised error would roll the
request's transaction back, and the write with it. A route that writes and needs a user lists
its `DbConnection` first (see `dependencies`), and one that hashes a password its
`PasswordHashTurn` before that.
"""

from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from src.auth import exceptions, service
from src.auth.dependencies import (
    LOGIN_FORM_BODY,
    REFRESH_BODY,
    CurrentActiveUser,
    CurrentSuperuser,
    ListParams,
    LoginFormBody,
    PasswordHashTurn,
    RefreshBody,
    UserId,
    ValidUser,
)
from src.auth.schemas import (
    PasswordChange,
    RefreshRequest,
    RegistrationAccepted,
    TokenPair,
    UserCreate,
    UserPage,
    UserRead,
)
from src.database import DbConnection, ReadConnection
from src.exceptions import (
    BODY_RESPONSES,
    ERROR_RESPONSES,
    FORBIDDEN_RESPONSE,
    NOT_FOUND_RESPONSE,
    UNAUTHORIZED_RESPONSE,
    domain_error_response,
)

# Token responses must not be cached (RFC 6749, 5.1 and 5.2).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# The registration's one answer, whether the email was new or taken.
REGISTERED = "Registered, unless this email already was: sign in with it and your password"


def token_error_response(error: exceptions.TokenError | exceptions.TooManyAttemptsError) -> JSONResponse:
    """`{"error", "error_description"}` with its status: RFC 6749's shape, or its `slow_down`
    (with `Retry-After`) for a throttled sign-in."""
    if isinstance(error, exceptions.TooManyAttemptsError):
        body = {"error": "slow_down", "error_description": error.message}
    else:
        body = {"error": error.error, "error_description": error.description}
    return JSONResponse(body, error.status_code, {**NO_STORE, **(error.headers or {})})


class TokenRoute(APIRoute):
    """A route of the token endpoint: a `TokenError` raised (a malformed request, see
    `dependencies.login_form`) is answered in RFC 6749's shape, a throttled sign-in as 429
    `slow_down`, and no answer is cached. Failures it must commit are returned by the route."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                response = await handler(request)
            except (exceptions.TokenError, exceptions.TooManyAttemptsError) as error:
                return token_error_response(error)
            response.headers.update(NO_STORE)
            return response

        return answer


# The token endpoint's routes: RFC 6749's errors instead of the 422 and 400 of the error shape.
token_routes = APIRouter(
    tags=["auth"],
    route_class=TokenRoute,
    responses={
        **exceptions.TOKEN_ERROR_RESPONSES,
        **{
            code: {**BODY_RESPONSES, **ERROR_RESPONSES}[code]
            for code in (
                status.HTTP_413_CONTENT_TOO_LARGE,
                status.HTTP_500_INTERNAL_SERVER_ERROR,
                status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        },
    },
)
routes = APIRouter(tags=["auth"], responses=ERROR_RESPONSES)
# Routes only a superuser may call: a 401 without a valid token, a 403 for other users.
SUPERUSER_RESPONSES = {**UNAUTHORIZED_RESPONSE, **FORBIDDEN_RESPONSE}


@routes.post(
    "/register",
    response_model=RegistrationAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Register a user",
    description=(
        "Creates an active, non-superuser account, then sign in with `/auth/login`. The answer is the "
        "same whether or not the email was registered already (the account is then left as it was), "
        "so that this route does not tell who has an account."
    ),
    responses=BODY_RESPONSES,
)
async def register(_: PasswordHashTurn, connection: DbConnection, data: UserCreate) -> dict[str, str]:
    await service.register(connection, data.email, data.password)
    return {"email": data.email, "message": REGISTERED}


@token_routes.post(
    "/login",
    response_model=TokenPair,
    status_code=status.HTTP_200_OK,
    summary="Sign in",
    description=(
        "The OAuth2 password grant (RFC 6749, 4.3): `username` is the email. Returns an access token and "
        "a refresh token. A wrong password, an unknown email and a deactivated account are the same 400 "
        "`invalid_grant`; after a few failures each further attempt waits a little longer, up to a minute "
        "(429 `slow_down` with `Retry-After`). Errors are in RFC 6749's shape: "
        '`{"error": ..., "error_description": ...}`.'
    ),
    responses=exceptions.SLOW_DOWN_RESPONSE,
    openapi_extra=LOGIN_FORM_BODY,
)
async def login(
    request: Request, form: LoginFormBody, _: PasswordHashTurn, connection: DbConnection
) -> dict[str, str] | JSONResponse:
    address = request.client.host if request.client else "unknown"
    try:
        return await service.login(connection, form.username, form.password, address)
    except exceptions.InvalidCredentialsError as error:
        return token_error_response(error)


@token_routes.post(
    "/refresh",
    response_model=TokenPair,
    status_code=status.HTTP_200_OK,
    summary="Refresh the tokens",
    description=(
        "Spends a refresh token for a new pair. A refresh token works once: sending a spent one again "
        "revokes every token of its login. An unknown, spent, expired or revoked token is a 400 "
        "`invalid_grant`, in RFC 6749's error shape."
    ),
    openapi_extra=REFRESH_BODY,
)
async def refresh(data: RefreshBody, connection: DbConnection) -> dict[str, str] | JSONResponse:
    try:
        return await service.refresh(connection, data.refresh_token)
    except exceptions.InvalidRefreshTokenError as error:
        return token_error_response(error)


@routes.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Sign out",
    description="Revokes the refresh token and every token of its login; an unknown token is ignored.",
    responses=BODY_RESPONSES,
)
async def logout(connection: DbConnection, data: RefreshRequest) -> None:
    await service.logout(connection, data.refresh_token)


@routes.get(
    "/me",
    response_model=UserRead,
    status_code=status.HTTP_200_OK,
    summary="Get the signed-in user",
    description="The user the access token belongs to.",
    responses=UNAUTHORIZED_RESPONSE,
)
async def get_me(user: CurrentActiveUser) -> Mapping[str, Any]:
    return user


@routes.post(
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
    request: Request, _: PasswordHashTurn, connection: DbConnection, user: CurrentActiveUser, data: PasswordChange
) -> JSONResponse | None:
    try:
        await service.change_password(connection, user, data.current_password, data.new_password)
    except exceptions.WrongPasswordError as error:
        return domain_error_response(request, error)
    return None


@routes.get(
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


@routes.get(
    "/users/{user_id}",
    response_model=UserRead,
    status_code=status.HTTP_200_OK,
    summary="Get a user",
    description="One user by id, for superusers.",
    responses={**SUPERUSER_RESPONSES, **NOT_FOUND_RESPONSE},
)
async def get_user(user: ValidUser) -> Mapping[str, Any]:
    return user


@routes.post(
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


@routes.post(
    "/users/{user_id}/reactivate",
    response_model=UserRead,
    status_code=status.HTTP_200_OK,
    summary="Reactivate a user",
    description="The user may sign in again.",
    responses={**SUPERUSER_RESPONSES, **NOT_FOUND_RESPONSE},
)
async def reactivate_user(connection: DbConnection, user_id: UserId, superuser: CurrentSuperuser) -> Mapping[str, Any]:
    return await service.set_active(connection, user_id, True, superuser["id"])


# What discovery mounts: both, under /auth.
router = APIRouter(prefix="/auth")
router.include_router(token_routes)
router.include_router(routes)
