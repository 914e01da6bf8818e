"""Run the installed `sokovan` script as a user would: a subprocess with its own environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

SOKOVAN_SCRIPT = Path(sys.executable).with_name("sokovan")
RunSokovan = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """The caller's environment without SOKOVAN_* settings and with a scratch HOME."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("SOKOVAN_")}
    env["HOME"] = str(tmp_path / "home")
    # Wide enough that Rich tables keep one row per line, whatever the paths' lengths.
    env["COLUMNS"] = "250"
    return env


@pytest.fixture
def sokovan(cli_env: dict[str, str]) -> RunSokovan:
    """`sokovan(*args, env={...})` runs the entry point and captures its output."""

    def run(
        *args: str, env: dict[str, str] | None = None, timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SOKOVAN_SCRIPT), *args],
            env={**cli_env, **(env or {})},
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )

    return run


def _assert_one_error_line(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def one_error_line() -> Callable[..., str]:
    """`one_error_line(result, *fragments)`: asserts exit code 1 and exactly one `error:` line
    on stderr containing every fragment; returns that line."""
    return _assert_one_error_line
