"""Configuration as the CLI sees it: loaded once per command, validated, safe to display.

Invalid settings become one `ConfigurationError` naming the SOKOVAN_* variable to fix, and the
database URL is checked before anything connects, so every bad input ends as one error line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import make_url

from sokovan.common.errors import ConfigurationError
from sokovan.config import SokovanConfig
from sokovan.db.engine import parse_database_url

ENV_PREFIX = "SOKOVAN_"


def env_var(path: Sequence[str]) -> str:
    """The environment variable that sets the (possibly nested) setting `path`."""
    return ENV_PREFIX + "__".join(part.upper() for part in path)


def load_config(*, data_dir: Path | None = None, database_url: str | None = None) -> SokovanConfig:
    """SOKOVAN_* settings with the command-line options on top; raises a SokovanError."""
    overrides: dict[str, Any] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir.absolute()
    if database_url is not None:
        overrides["database_url"] = database_url
    try:
        config = SokovanConfig(**overrides)
    except ValidationError as exc:
        raise ConfigurationError(describe_validation_error(exc)) from None
    check_database_url(config.resolved_database_url())
    return config


def describe_validation_error(exc: ValidationError) -> str:
    problems = [
        f"{env_var([str(part) for part in error['loc']])}: {error['msg']} "
        f"(got {error.get('input')!r})"
        for error in exc.errors()
    ]
    return "invalid configuration: " + "; ".join(problems)


def check_database_url(raw: str) -> None:
    """Raise `DatabaseError` unless `raw` names a supported database."""
    parse_database_url(raw)


def display_url(raw: str) -> str:
    """A checked database URL as the user wrote it, with the password replaced by ***."""
    return make_url(raw).render_as_string(hide_password=True)
