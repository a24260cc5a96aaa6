"""Production rules, everywhere but a developer's machine: development defaults and unsafe
settings refused, one line per problem."""

import secrets
from collections.abc import Callable

import pytest
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr, ValidationError
from sqlalchemy.engine import make_url

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


def test_an_unset_environment_is_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENVIRONMENT")
    assert Settings(_env_file=None, DATABASE_URL=PRODUCTION_DATABASE_URL).ENVIRONMENT == Environment.PRODUCTION
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, DATABASE_URL=config.DEVELOPMENT_DATABASE_URL)
    first, second = config.describe(caught.value).splitlines()
    # The first line says why the rules applied, and how a developer's machine says it is one.
    assert first.startswith("  - ENVIRONMENT: not set") and "cp .env.example .env" in first
    assert second.startswith("  - DATABASE_URL: still the local development database")


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_every_environment_but_a_developers_applies_the_production_rules(environment: str) -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, ENVIRONMENT=environment, DATABASE_URL=config.DEVELOPMENT_DATABASE_URL)
    settings = Settings(_env_file=None, ENVIRONMENT=environment, DATABASE_URL=PRODUCTION_DATABASE_URL)
    assert not settings.show_docs
    assert settings.json_logs


@pytest.mark.parametrize("environment", sorted(config.DEVELOPMENT_ENVIRONMENTS))
def test_a_developers_machine_takes_the_defaults(environment: str) -> None:
    settings = Settings(_env_file=None, ENVIRONMENT=environment, DATABASE_URL=config.DEVELOPMENT_DATABASE_URL)
    assert settings.show_docs
    assert not settings.json_logs


def test_production_refuses_the_development_database() -> None:
    (problem,) = problems_of(DATABASE_URL=config.DEVELOPMENT_DATABASE_URL)
    assert problem.startswith("  - DATABASE_URL: ")


def development_spellings() -> list[str]:
    """The development database as an operator might write its URL."""
    database = make_url(config.DEVELOPMENT_DATABASE_URL).database or ""
    if config.DEVELOPMENT_DATABASE_URL.startswith("sqlite"):
        return [f"sqlite+aiosqlite:///{database.removeprefix('./')}", f"sqlite:///{database}"]
    hosts = ("localhost", "LOCALHOST:5432", "127.0.0.1", "[::1]:5432", "[::1]")
    return [f"postgresql+asyncpg://postgres@{host}/{database}" for host in hosts] + [
        f"postgresql://postgres@127.0.0.1:5432/{database}"
    ]


@pytest.mark.parametrize("url", development_spellings())
def test_production_refuses_the_development_database_however_spelled(url: str) -> None:
    (problem,) = problems_of(DATABASE_URL=url)
    assert "development database" in problem


def test_production_refuses_the_superuser_without_a_password() -> None:
    (problem,) = problems_of(DATABASE_URL="postgresql+asyncpg://postgres@db.internal:5432/app")
    assert "DATABASE_URL" in problem
    assert "superuser" in problem


@pytest.mark.parametrize(
    "credentials",
    ["sslcert=/run/secrets/client.crt&sslkey=/run/secrets/client.key", "passfile=/run/secrets/pgpass"],
)
def test_production_lets_the_superuser_authenticate_without_a_password(credentials: str) -> None:
    production(DATABASE_URL=f"postgresql+asyncpg://postgres@db.internal:5432/app?{credentials}")
    assert problems_of(DATABASE_URL="postgresql+asyncpg://postgres@db.internal:5432/app?sslcert=/run/client.crt")


@pytest.mark.parametrize("password", ["change-me", "Postgres", "admin", "ADMIN", "Pass-Word", "root", "123456", "app"])
def test_production_refuses_a_placeholder_database_password(password: str) -> None:
    (problem,) = problems_of(DATABASE_URL=f"postgresql+asyncpg://app:{password}@db.internal:5432/app")
    assert "DATABASE_URL" in problem
    assert "password" in problem


def test_production_refuses_wildcard_cors_with_credentials() -> None:
    (problem,) = problems_of(CORS_ORIGINS=["*"], CORS_ALLOW_CREDENTIALS=True)
    assert "CORS_ORIGINS" in problem
    assert production(CORS_ORIGINS=["*"]).CORS_ORIGINS == ["*"]


@pytest.mark.parametrize("value", ["", "  ", "change-me", "Secret", "a" * 32, "ab" * 32, "a-real-token-4f9c"])
def test_production_refuses_weak_secrets(value: str) -> None:
    class WithSecret(Settings):
        API_TOKEN: SecretStr = SecretStr("change-me")

    with pytest.raises(ValidationError) as caught:
        WithSecret(_env_file=None, ENVIRONMENT="production", DATABASE_URL=PRODUCTION_DATABASE_URL, API_TOKEN=value)
    (problem,) = config.describe(caught.value).splitlines()
    assert problem.startswith("  - API_TOKEN: ")
    assert "secrets.token_urlsafe" in problem
    token = secrets.token_urlsafe(48)
    good = WithSecret(_env_file=None, ENVIRONMENT="production", DATABASE_URL=PRODUCTION_DATABASE_URL, API_TOKEN=token)
    assert good.API_TOKEN.get_secret_value() == token


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty"),
        ("POSTGRES", "placeholder"),
        ("Change_Me", "placeholder"),
        ("your-secret-key", "placeholder"),
        ("a" * 32, "predictable"),
        ("0123456789" * 2, "predictable"),
    ],
)
def test_weak_secret_says_why(value: str, reason: str) -> None:
    assert reason in (config.weak_secret(value) or "")


@pytest.mark.parametrize("make", [secrets.token_urlsafe, secrets.token_hex], ids=["token_urlsafe", "token_hex"])
def test_weak_secret_passes_random_secrets(make: Callable[[int], str]) -> None:
    for _ in range(100):
        for size in (32, 48):
            assert config.weak_secret(make(size)) is None


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
