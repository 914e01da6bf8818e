"""Every cluster test gets a fresh data directory and leaves no agent or kernel behind."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cluster_kit import start_cluster

from sokovan.manager.embedded import EmbeddedCluster


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("SOKOVAN_"):
            monkeypatch.delenv(name)


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[tuple[EmbeddedCluster, httpx.AsyncClient]]:
    started, client = await start_cluster(tmp_path / "data")
    try:
        yield started, client
    finally:
        await client.aclose()
        agents = started.agents
        await started.stop()
        assert all(code is not None for code in agents.exited().values())
