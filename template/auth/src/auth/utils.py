"""Passwords, tokens and digests of the auth domain: pure functions, no I/O.

Hashing and verifying a password cost tens of milliseconds of CPU each (that is the point of
argon2); the service runs them in a worker thread so the event loop keeps serving.
"""

import datetime as dt
import functools
import hashlib
import secrets
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from src.auth import constants
from src.auth.config import settings

# pwdlib's argon2id defaults (RFC 9106's second recommendation: 64 MiB, 3 passes).
_password_hash = PasswordHash((Argon2Hasher(),))
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


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


def account_key(username: str) -> str:
    """The throttle's key of a login name, however its case is spelled."""
    return digest(username.lower())
