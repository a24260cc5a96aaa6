"""Users and tokens for every test of the service: a pytest plugin the root conftest loads.

Users are inserted on the test's connection, so they are rolled back with everything else. Their
password is hashed once per session, with argon2 at its lowest cost: verifying it (each login of
a fixture user) then takes a millisecond instead of the production parameters' ~100.
"""

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy.ext.asyncio import AsyncConnection

from src.auth import service, utils

# The password of every user the fixtures make.
PASSWORD = "correct horse battery staple"  # noqa: S105 (a test user's)

MakeUser = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(scope="session")
def password_hash() -> str:
    """A hash of PASSWORD. The service verifies it with the parameters it names (a hash carries
    its own), so the login code under test is the production one."""
    return Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


@pytest.fixture
def make_user(connection: AsyncConnection, password_hash: str) -> MakeUser:
    """`await make_user(email=None, *, superuser=False, active=True)`: a new user row (without its
    hash), whose password is PASSWORD; each call without an email gets a new one."""
    numbers = itertools.count(1)

    async def make(email: str | None = None, *, superuser: bool = False, active: bool = True) -> dict[str, Any]:
        email = email or f"person{next(numbers)}@example.com"
        row = await service.create_user(connection, email, password_hash, is_superuser=superuser, is_active=active)
        return dict(row)

    return make


@pytest.fixture
async def user(make_user: MakeUser) -> dict[str, Any]:
    return await make_user("user@example.com")


@pytest.fixture
def user_headers(user: dict[str, Any]) -> dict[str, str]:
    """`user`'s headers: those of the root conftest's `client`."""
    return bearer(user)


@pytest.fixture
async def other_user(make_user: MakeUser) -> dict[str, Any]:
    return await make_user("other@example.com")


@pytest.fixture
async def superuser(make_user: MakeUser) -> dict[str, Any]:
    return await make_user("admin@example.com", superuser=True)


def bearer(user: dict[str, Any]) -> dict[str, str]:
    """The headers that sign a request in as `user`."""
    return {"Authorization": f"Bearer {utils.create_access_token(user['id'])}"}
