"""A real embedded cluster for end-to-end tests: the manager in this process on a free port,
process agents as subprocesses, all on 127.0.0.1, with short loop and liveness intervals."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from sokovan.agent import procs
from sokovan.agent.config import detect_architecture
from sokovan.agent.registry import KernelRegistry
from sokovan.agent.service import REGISTRY_FILE
from sokovan.bootstrap import bootstrap, read_agent_token
from sokovan.config import LocalAgentsConfig, ManagerConfig, SokovanConfig
from sokovan.db.engine import create_engine
from sokovan.manager.embedded import EmbeddedCluster, EmbeddedOptions
from sokovan.repositories.tenancy import TenancyRepository

#: Bound of every wait; a failing test is the only one to reach it.
BOUND = 40.0
ENDED = frozenset({"TERMINATED", "CANCELLED", "ERROR"})

FAST_MANAGER = ManagerConfig(
    short_loop_interval=0.05,
    long_loop_interval=1.0,
    terminating_grace_period=15.0,
    # Generous against a loaded machine: a missed heartbeat must not look like a lost agent.
    agent_heartbeat_timeout=5.0,
    agent_kernel_grace_period=0.5,
    liveness_check_interval=0.2,
)
FAST_AGENTS = LocalAgentsConfig(
    heartbeat_interval=0.3, register_timeout=BOUND, stop_timeout=5.0, session_stop_timeout=5.0
)


#: Images whose default command is the scenario's program (the kernel's own command is
#: not what these tests are about).
PROGRAMS = {
    "hello": ["python3", "-c", "print('hello')"],
    "sleeper": ["python3", "-c", "import time; time.sleep(600)"],
    "cluster-env": [
        "python3",
        "-c",
        "import os, time; print(' '.join(k + '=' + v for k, v in sorted(os.environ.items()) "
        "if k.startswith('BACKENDAI_CLUSTER')), flush=True); time.sleep(600)",
    ],
}


async def register_programs(config: SokovanConfig) -> None:
    engine = create_engine(config.resolved_database_url())
    try:
        repository = TenancyRepository(engine)
        for name, command in PROGRAMS.items():
            await repository.ensure_image(name, detect_architecture(), {"command": command})
    finally:
        await engine.dispose()


def cluster_config(data_dir: Path) -> SokovanConfig:
    return SokovanConfig(data_dir=data_dir, manager=FAST_MANAGER, local_agents=FAST_AGENTS)


async def start_cluster(
    data_dir: Path, agents: int = 2
) -> tuple[EmbeddedCluster, httpx.AsyncClient]:
    """A bootstrapped, started cluster whose agents all registered, and an admin API client."""
    config = cluster_config(data_dir)
    await bootstrap(config)
    await register_programs(config)
    cluster = EmbeddedCluster(
        config, EmbeddedOptions(port=0, agents=agents), read_agent_token(config)
    )
    await cluster.start()
    await cluster.wait_for_agents(lambda registered, total: None)
    credentials = json.loads((data_dir / "credentials.json").read_text())
    token = f"{credentials['access_key']}:{credentials['secret_key']}"
    client = httpx.AsyncClient(
        base_url=cluster.manager.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    return cluster, client


async def submit(client: httpx.AsyncClient, image: str, **extra: Any) -> str:
    body = {"image": image, "resources": {"cpu": "0.25", "mem": "64m"}}
    response = await client.post("/v1/sessions", json=body | extra)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def session(client: httpx.AsyncClient, session_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/sessions/{session_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def wait_status(
    client: httpx.AsyncClient, session_id: str, statuses: Iterable[str]
) -> dict[str, Any]:
    """The session once its status is one of `statuses` (bounded by BOUND)."""
    wanted = frozenset(statuses)
    async with asyncio.timeout(BOUND):
        while True:
            current = await session(client, session_id)
            if current["status"] in wanted:
                return current
            assert current["status"] not in ENDED, current
            await asyncio.sleep(0.1)


async def logs(client: httpx.AsyncClient, session_id: str, kernel_id: str | None = None) -> str:
    params = {"kernel_id": kernel_id} if kernel_id else {}
    response = await client.get(f"/v1/sessions/{session_id}/logs", params=params)
    assert response.status_code == 200, response.text
    return str(response.json()["logs"])


async def logs_containing(
    client: httpx.AsyncClient, session_id: str, kernel_id: str, text: str
) -> str:
    """The kernel's logs once they contain `text` (a running kernel prints when it gets to)."""
    async with asyncio.timeout(BOUND):
        while True:
            output = await logs(client, session_id, kernel_id)
            if text in output:
                return output
            await asyncio.sleep(0.1)


def kernel_process(agent_dir: Path, kernel_id: str) -> procs.ProcessIdentity:
    record = KernelRegistry.load(agent_dir / REGISTRY_FILE).get(kernel_id)
    assert record is not None
    assert record.pid is not None
    assert record.pid_start_ticks is not None
    return procs.ProcessIdentity(record.pid, record.pid_start_ticks)
