"""How the CLI loads, checks and displays the configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from sokovan.cli.settings import check_database_url, display_url, env_var, load_config
from sokovan.common.errors import ConfigurationError, DatabaseError


@pytest.mark.parametrize(
    ("path", "variable"),
    [
        (["data_dir"], "SOKOVAN_DATA_DIR"),
        (
            ["manager", "session_schedule_lock_lifetime"],
            "SOKOVAN_MANAGER__SESSION_SCHEDULE_LOCK_LIFETIME",
        ),
    ],
)
def test_env_var_matches_the_settings_naming(path: list[str], variable: str) -> None:
    assert env_var(path) == variable


def test_options_override_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOKOVAN_DATA_DIR", str(tmp_path / "from-env"))
    monkeypatch.chdir(tmp_path)

    config = load_config(data_dir=Path("relative"), database_url="sqlite:///elsewhere.db")

    assert config.data_dir == tmp_path / "relative"
    assert config.resolved_database_url() == "sqlite:///elsewhere.db"


def test_the_environment_applies_without_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SOKOVAN_DATA_DIR", str(tmp_path))
    assert load_config().resolved_database_url() == f"sqlite:///{tmp_path / 'sokovan.db'}"


def test_invalid_settings_raise_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOKOVAN_DATABASE_ECHO", "maybe")
    with pytest.raises(ConfigurationError, match=r"SOKOVAN_DATABASE_ECHO.*got 'maybe'"):
        load_config()


def test_a_malformed_url_from_the_environment_is_refused_before_connecting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOKOVAN_DATABASE_URL", "postgresql://u:secret@host:port/db")
    with pytest.raises(DatabaseError, match="malformed database URL") as caught:
        load_config()
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize("url", ["sqlite:///x.db", "postgresql://u@h:5432/db", "postgres://h/db"])
def test_supported_urls_pass_the_check(url: str) -> None:
    check_database_url(url)


def test_display_url_hides_only_the_password() -> None:
    shown = display_url("postgresql://admin:s3cret@db:5432/sokovan")
    assert shown == "postgresql://admin:***@db:5432/sokovan"
    assert display_url("sqlite:////var/lib/sokovan.db") == "sqlite:////var/lib/sokovan.db"
