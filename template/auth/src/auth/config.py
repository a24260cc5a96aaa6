"""Settings of the auth domain, read from `AUTH_*` variables.

`SECRET_KEY` signs the access tokens. Only a developer's machine (`ENVIRONMENT` local or testing)
has a default, the public DEVELOPMENT_KEY; everywhere else, an unset ENVIRONMENT included, the
service refuses to start without a key that is random and at least 32 characters long, with one
line saying so, as the global settings refuse their own placeholders.
"""

from typing import Self

from pydantic import Field, PositiveFloat, PositiveInt, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from src.config import (
    DEVELOPMENT_ENVIRONMENTS,
    NEW_SECRET_COMMAND,
    UNSET_ENVIRONMENT,
    Environment,
    describe,
    weak_secret,
)

# The signing key of developers' machines: public, so no other environment takes it.
DEVELOPMENT_KEY = "development-only-key-never-use-it-in-production"
# HS256 keys shorter than the hash (32 bytes) are guessable offline from any token (RFC 7518, 3.2).
SECRET_KEY_MIN_LENGTH = 32


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", env_file=".env", extra="ignore")

    # The service's environment: the same `ENVIRONMENT` variable the global settings read.
    ENVIRONMENT: Environment = Field(default=Environment.PRODUCTION, validation_alias="ENVIRONMENT")
    # Unset: the development key on a developer's machine, a refusal to start anywhere else.
    SECRET_KEY: SecretStr | None = None
    ACCESS_TOKEN_MINUTES: PositiveInt = 15
    REFRESH_TOKEN_DAYS: PositiveInt = 14
    # Who signs the tokens and who they are for: a token of another service is refused.
    ISSUER: str = "auth"
    AUDIENCE: str = "api"
    # Failed password checks are free up to a count, then each one makes the next attempt wait,
    # twice as long each time (1 s, 2 s, 4 s, ...) up to LOGIN_DELAY_MAX_SECONDS: a short, growing
    # delay, never a lockout. Counted per account from one client address (LOGIN_DELAY_AFTER),
    # and with a larger allowance per account from every address and per address over every
    # account (LOGIN_DELAY_AFTER_SHARED). Failures are forgotten LOGIN_FAILURES_FORGOTTEN_MINUTES
    # after the last one; a successful sign-in forgets the account's at once.
    LOGIN_DELAY_AFTER: PositiveInt = 5
    LOGIN_DELAY_AFTER_SHARED: PositiveInt = 20
    LOGIN_DELAY_MAX_SECONDS: PositiveInt = 60
    LOGIN_FAILURES_FORGOTTEN_MINUTES: PositiveInt = 15
    # Argon2 hashes each worker runs at once (each takes a core and 64 MiB for tens of ms), at
    # the lowest CPU priority; requests waiting for a turn hold no database connection, and get
    # a 503 after PASSWORD_HASH_WAIT_SECONDS.
    PASSWORD_HASH_CONCURRENCY: PositiveInt = 1
    PASSWORD_HASH_WAIT_SECONDS: PositiveFloat = 10.0
    PAGE_SIZE_DEFAULT: PositiveInt = 50
    PAGE_SIZE_MAX: PositiveInt = 100
    # Deeper pages cost a scan of every skipped row: past this, narrow the list with filters.
    OFFSET_MAX: PositiveInt = 10_000

    @model_validator(mode="after")
    def _safe_outside_development(self) -> Self:
        if self.ENVIRONMENT in DEVELOPMENT_ENVIRONMENTS:
            self.SECRET_KEY = self.SECRET_KEY or SecretStr(DEVELOPMENT_KEY)
            return self
        problem = key_problem(self.SECRET_KEY.get_secret_value() if self.SECRET_KEY else None)
        if problem:
            unset = [] if "ENVIRONMENT" in self.model_fields_set else [UNSET_ENVIRONMENT]
            raise ValueError("\n".join([*unset, f"AUTH_SECRET_KEY: {problem}; set a random one: {NEW_SECRET_COMMAND}"]))
        return self


def key_problem(key: str | None) -> str | None:
    """Why `key` may not sign tokens outside development, or None."""
    if key is None:
        return "not set"
    if key == DEVELOPMENT_KEY:
        return "the public development key"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"shorter than {SECRET_KEY_MIN_LENGTH} characters"
    return weak_secret(key)


def load_settings() -> AuthSettings:
    """The settings, or an exit naming each bad setting (no traceback: it is not a bug)."""
    try:
        return AuthSettings()
    except ValidationError as exc:
        raise SystemExit(f"Invalid settings:\n{describe(exc)}") from None


settings = load_settings()
