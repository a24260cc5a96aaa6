"""Settings of the auth domain, read from `AUTH_*` variables.

`SECRET_KEY` signs the access tokens. Its default is for development only: with
`ENVIRONMENT=production` a default, placeholder or short key stops the start with one line saying
so, as the global settings refuse their own placeholders.
"""

from typing import Self

from pydantic import Field, PositiveInt, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from src.config import PLACEHOLDER_SECRETS, Environment, describe

# The signing key until AUTH_SECRET_KEY is set: public, so production refuses it.
DEVELOPMENT_KEY = "development-only-key-never-use-it-in-production"
# HS256 keys shorter than the hash (32 bytes) are guessable offline from any token.
SECRET_KEY_MIN_LENGTH = 32


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", env_file=".env", extra="ignore")

    # The service's environment: the same `ENVIRONMENT` variable the global settings read.
    ENVIRONMENT: Environment = Field(default=Environment.LOCAL, validation_alias="ENVIRONMENT")
    SECRET_KEY: SecretStr = SecretStr(DEVELOPMENT_KEY)
    ACCESS_TOKEN_MINUTES: PositiveInt = 15
    REFRESH_TOKEN_DAYS: PositiveInt = 14
    # Who signs the tokens and who they are for: a token of another service is refused.
    ISSUER: str = "auth"
    AUDIENCE: str = "api"
    # Failed logins of one account before it is locked, and how long the lock lasts (also the
    # window the failures are counted in).
    LOGIN_MAX_FAILURES: PositiveInt = 5
    LOGIN_LOCK_MINUTES: PositiveInt = 15
    PAGE_SIZE_DEFAULT: PositiveInt = 50
    PAGE_SIZE_MAX: PositiveInt = 100
    # Deeper pages cost a scan of every skipped row: past this, narrow the list with filters.
    OFFSET_MAX: PositiveInt = 10_000

    @model_validator(mode="after")
    def _safe_for_production(self) -> Self:
        key = self.SECRET_KEY.get_secret_value()
        weak = key.strip() in PLACEHOLDER_SECRETS or key == DEVELOPMENT_KEY or len(key) < SECRET_KEY_MIN_LENGTH
        if self.ENVIRONMENT == Environment.PRODUCTION and weak:
            raise ValueError(
                f"AUTH_SECRET_KEY: the development default, a placeholder or shorter than {SECRET_KEY_MIN_LENGTH} "
                'characters; set a random one: python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        return self


def load_settings() -> AuthSettings:
    """The settings, or an exit naming each bad setting (no traceback: it is not a bug)."""
    try:
        return AuthSettings()
    except ValidationError as exc:
        raise SystemExit(f"Invalid settings:\n{describe(exc)}") from None


settings = load_settings()
