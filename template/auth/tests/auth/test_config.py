"""Production refuses a signing key anyone could know."""

import pytest
from pydantic import ValidationError

from src.auth.config import DEVELOPMENT_KEY, AuthSettings
from src.config import describe

STRONG_KEY = "k" * 48


def production(**values: str) -> AuthSettings:
    return AuthSettings(_env_file=None, ENVIRONMENT="production", **values)


@pytest.mark.parametrize("key", [DEVELOPMENT_KEY, "change-me", "", "too-short-a-key"])
def test_production_refuses_a_weak_key(key: str) -> None:
    with pytest.raises(ValidationError) as caught:
        production(SECRET_KEY=key)
    (line,) = describe(caught.value).splitlines()
    assert "AUTH_SECRET_KEY" in line


def test_production_refuses_the_default_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTH_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError):
        AuthSettings(_env_file=None, ENVIRONMENT="production")


def test_production_starts_with_a_strong_key() -> None:
    assert production(SECRET_KEY=STRONG_KEY).SECRET_KEY.get_secret_value() == STRONG_KEY


def test_development_takes_the_default_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTH_SECRET_KEY", raising=False)
    assert AuthSettings(_env_file=None, ENVIRONMENT="local").SECRET_KEY.get_secret_value() == DEVELOPMENT_KEY
