"""One live API server per module (SQLite), shared by the CLI tests of that module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from integration.cli_client.live_api import LiveApi


@pytest.fixture(scope="module")
def live_api(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    root = tmp_path_factory.mktemp("cli-client")
    database = root / "sokovan.db"
    shutil.copyfile(sqlite_template, database)
    api = LiveApi(f"sqlite:///{database}", root)
    api.start()
    try:
        yield api
    finally:
        api.stop()
