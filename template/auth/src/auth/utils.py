"""Passwords, tokens and digests of the auth domain: functions without I/O.

Hashing and verifying a password cost tens of milliseconds of CPU each (that is the point of
argon2); the service runs them with `in_hash_thread`, in a few threads of the lowest CPU
priority, so the event loop keeps serving and other requests keep their share of the CPU.
"""

import asyncio
import contextlib
import datetime as dt
import functools
import hashlib
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from src.auth import constants
from src.auth.config import settings

# pwdlib's argon2id defaults (RFC 9106's second recommendation: 64 MiB, 3 passes).
_password_hash = PasswordHash((Argon2Hasher(),))
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
# The most common passwords at least PASSWORD_MIN_LENGTH long, lowercased: those of the 20,000
# Royce Williams compiled from breach corpora, as Django's CommonPasswordValidator ships them
# (django/contrib/auth/common-passwords.txt.gz, BSD licence). Add your own, one a line.
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
# The lowest priority (Linux nice 19): a hash takes only the CPU time nothing else wants.
_HASH_THREAD_NICENESS = 19


def _lower_priority() -> None:
    """Run this thread at the lowest CPU priority (Linux sets it per thread; elsewhere a no-op)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _HASH_THREAD_NICENESS)


_hash_threads = ThreadPoolExecutor(
    max_workers=settings.PASSWORD_HASH_CONCURRENCY, thread_name_prefix="argon2", initializer=_lower_priority
)


async def in_hash_thread(function: Callable[..., Any], *args: Any) -> Any:
    """`function(*args)` (a hash or a verification) in one of the argon2 threads."""
    return await asyncio.get_running_loop().run_in_executor(_hash_threads, function, *args)


@functools.cache
def _common_passwords() -> frozenset[str]:
    return frozenset(COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").split("\n")) - {""}


def is_common_password(password: str) -> bool:
    """Whether `password` is one of the most common ones, whatever its case."""
    return password.lower().strip() in _common_passwords()


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _password_hash.verify(password, password_hash)


@functools.cache
def dummy_password_hash() -> str:
    """A hash no password matches, verified when the email is unknown so that the answer takes
    as long as for a wrong password (made once, on first use: its cost is one hash)."""
    return hash_password(secrets.token_urlsafe(constants.REFRESH_TOKEN_BYTES))


def create_access_token(user_id: Any) -> str:
    now = dt.datetime.now(dt.UTC)
    claims = {
        "sub": str(user_id),
        "iss": settings.ISSUER,
        "aud": settings.AUDIENCE,
        "iat": now,
        "exp": now + dt.timedelta(minutes=settings.ACCESS_TOKEN_MINUTES),
    }
    return jwt.encode(claims, settings.SECRET_KEY.get_secret_value(), algorithm=constants.JWT_ALGORITHM)


def access_token_subject(token: str) -> str | None:
    """The user id a valid access token names; None for a token that is malformed, tampered with,
    expired, of another issuer or audience, or signed with another algorithm (`none` included)."""
    try:
        claims = jwt.decode(
            token,
            settings.SECRET_KEY.get_secret_value(),
            algorithms=[constants.JWT_ALGORITHM],
            audience=settings.AUDIENCE,
            issuer=settings.ISSUER,
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.InvalidTokenError:
        return None
    return claims["sub"]


def new_refresh_token() -> str:
    """An opaque token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(constants.REFRESH_TOKEN_BYTES)


def digest(value: str) -> str:
    """The hex sha256 of `value`: how a refresh token or a login name is stored. A plain hash is
    enough for a refresh token (256 random bits cannot be guessed from it)."""
    return hashlib.sha256(value.encode()).hexdigest()


def throttle_key(*parts: Any) -> str:
    """The throttle's key of what failed, e.g. ("login", email, address): a digest, so the table
    holds no email or address."""
    return digest("\0".join(str(part).lower() for part in parts))
