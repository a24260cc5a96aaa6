"""Production refuses development defaults and unsafe settings, one line per problem."""

import pytest
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr, ValidationError

from src import config
from src.config import Environment, Settings
from src.main import create_app

PRODUCTION_DATABASE_URL = "postgresql+asyncpg://app:s3cr3t-Pa55@db.internal:5432/app"


def production(**overrides: object) -> Settings:
    # `_env_file=None`: a developer's .env must not change what these tests see.
    values = {"ENVIRONMENT": "production", "DATABASE_URL": PRODUCTION_DATABASE_URL, **overrides}
    return Settings(_env_file=None, **values)


def problems_of(**overrides: object) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        production(**overrides)
    return config.describe(caught.value).splitlines()


def test_development_defaults_are_fine_locally() -> None:
    settings = Settings(_env_file=None, ENVIRONMENT="local", DATABASE_URL=config.DEVELOPMENT_DATABASE_URL)
    assert settings.show_docs
    assert not settings.json_logs


def test_production_with_real_settings_starts() -> None:
    settings = production()
    assert settings.ENVIRONMENT == Environment.PRODUCTION
    assert not settings.show_docs
    assert settings.json_logs


def test_production_refuses_the_development_database() -> None:
    (problem,) = problems_of(DATABASE_URL=config.DEVELOPMENT_DATABASE_URL)
    assert problem.startswith("  - DATABASE_URL: ")


def test_production_refuses_a_placeholder_database_password() -> None:
    (problem,) = problems_of(DATABASE_URL="postgresql+asyncpg://app:change-me@db.internal:5432/app")
    assert "DATABASE_URL" in problem
    assert "password" in problem


def test_production_refuses_wildcard_cors_with_credentials() -> None:
    (problem,) = problems_of(CORS_ORIGINS=["*"], CORS_ALLOW_CREDENTIALS=True)
    assert "CORS_ORIGINS" in problem
    assert production(CORS_ORIGINS=["*"]).CORS_ORIGINS == ["*"]


@pytest.mark.parametrize("value", ["", "  ", "change-me", "secret"])
def test_production_refuses_placeholder_secrets(value: str) -> None:
    class WithSecret(Settings):
        API_TOKEN: SecretStr = SecretStr("change-me")

    with pytest.raises(ValidationError) as caught:
        WithSecret(_env_file=None, ENVIRONMENT="production", DATABASE_URL=PRODUCTION_DATABASE_URL, API_TOKEN=value)
    assert "API_TOKEN" in config.describe(caught.value)
    good = WithSecret(
        _env_file=None,
        ENVIRONMENT="production",
        DATABASE_URL=PRODUCTION_DATABASE_URL,
        API_TOKEN="a-real-token-4f9c",  # noqa: S106 - a test value, not a credential
    )
    assert good.API_TOKEN.get_secret_value() == "a-real-token-4f9c"


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of(
        DATABASE_URL=config.DEVELOPMENT_DATABASE_URL,
        CORS_ORIGINS=["*"],
        CORS_ALLOW_CREDENTIALS=True,
    )
    assert [line.split(":")[0].strip(" -") for line in problems] == ["DATABASE_URL", "CORS_ORIGINS"]


def test_load_settings_exits_with_the_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", config.DEVELOPMENT_DATABASE_URL)
    with pytest.raises(SystemExit) as caught:
        config.load_settings()
    assert str(caught.value).startswith("Invalid settings:\n  - DATABASE_URL: ")


async def test_production_hides_the_docs() -> None:
    app = create_app(production())
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert (await client.get(path)).status_code == 404, path
