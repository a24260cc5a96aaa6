"""Outside a developer's machine, the service refuses a signing key anyone could know or guess."""

import secrets

import pytest
from pydantic import ValidationError

from src.auth.config import DEVELOPMENT_KEY, AuthSettings
from src.config import describe

STRONG_KEY = secrets.token_urlsafe(48)


def outside_development(environment: str = "production", **values: str) -> AuthSettings:
    return AuthSettings(_env_file=None, ENVIRONMENT=environment, **values)


@pytest.mark.parametrize(
    "key", [DEVELOPMENT_KEY, "change-me", "", "too-short-a-key", "a" * 32, "Secret" * 6, "abc" * 11]
)
@pytest.mark.parametrize("environment", ["staging", "production"])
def test_a_weak_key_is_refused(key: str, environment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        outside_development(environment, SECRET_KEY=key)
    (line,) = describe(caught.value).splitlines()
    assert "AUTH_SECRET_KEY" in line
    assert "secrets.token_urlsafe" in line


def test_no_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTH_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError) as caught:
        outside_development()
    assert "AUTH_SECRET_KEY: not set" in describe(caught.value)


def test_an_unset_environment_refuses_the_development_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENVIRONMENT")
    monkeypatch.delenv("AUTH_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError) as caught:
        AuthSettings(_env_file=None)
    first, second = describe(caught.value).splitlines()
    assert "ENVIRONMENT: not set" in first
    assert "AUTH_SECRET_KEY" in second


def test_a_random_key_is_taken() -> None:
    assert outside_development(SECRET_KEY=STRONG_KEY).SECRET_KEY.get_secret_value() == STRONG_KEY


@pytest.mark.parametrize("environment", ["local", "testing"])
def test_a_developers_machine_takes_the_development_key(environment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTH_SECRET_KEY", raising=False)
    settings = AuthSettings(_env_file=None, ENVIRONMENT=environment)
    assert settings.SECRET_KEY.get_secret_value() == DEVELOPMENT_KEY
