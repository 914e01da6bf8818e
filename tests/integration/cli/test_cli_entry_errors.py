"""Bad input at the real entry point: one actionable red line, exit code 1, no traceback."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from sokovan import __version__

RunSokovan = Callable[..., subprocess.CompletedProcess[str]]
OneErrorLine = Callable[..., str]


@pytest.mark.parametrize(
    ("url", "fragments"),
    [
        ("postgresql://x:y@:notaport/db", ["malformed database URL", "sqlite:///PATH"]),
        ("nonsense://", ["unsupported database backend 'nonsense'", "use sqlite or postgresql"]),
        ("mysql://root:pw@localhost/sokovan", ["unsupported database backend 'mysql'"]),
    ],
)
def test_bad_database_url(
    sokovan: RunSokovan, one_error_line: OneErrorLine, url: str, fragments: list[str]
) -> None:
    line = one_error_line(sokovan("db", "upgrade", "--database-url", url), *fragments)
    assert ":y@" not in line
    assert ":pw@" not in line


def test_unreachable_postgresql_fails_fast_with_advice(
    sokovan: RunSokovan, one_error_line: OneErrorLine
) -> None:
    started = time.monotonic()
    result = sokovan("db", "upgrade", "--database-url", "postgresql://postgres@127.0.0.1:1/nothing")
    elapsed = time.monotonic() - started

    one_error_line(result, "cannot connect", "Check that the server is running")
    assert elapsed <= 12


def test_unreachable_database_from_the_environment(
    sokovan: RunSokovan, one_error_line: OneErrorLine
) -> None:
    result = sokovan(
        "db", "current", env={"SOKOVAN_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/x"}
    )
    one_error_line(result, "cannot connect")


def test_invalid_setting_names_the_variable(
    sokovan: RunSokovan, one_error_line: OneErrorLine
) -> None:
    result = sokovan("config", "show", env={"SOKOVAN_DATABASE_ECHO": "maybe"})
    one_error_line(result, "invalid configuration", "SOKOVAN_DATABASE_ECHO")


def test_usage_errors_keep_exit_code_two(sokovan: RunSokovan) -> None:
    result = sokovan("db", "upgrade", "--no-such-option")
    assert result.returncode == 2
    assert "No such option" in result.stderr
    assert "Traceback" not in result.stderr


def test_python_dash_m_runs_the_same_command_line(cli_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sokovan", "--version"],
        env=cli_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"sokovan {__version__}"
