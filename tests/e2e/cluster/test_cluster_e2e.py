"""The manager with real process agents on 127.0.0.1: sessions start, run, end and are
terminated; a lost agent's sessions end and its resources are freed."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
from cluster_kit import (
    BOUND,
    kernel_process,
    logs,
    logs_containing,
    session,
    submit,
    wait_status,
)

from sokovan.agent import procs
from sokovan.common.ids import AgentId
from sokovan.manager.embedded import EmbeddedCluster
from sokovan.manager.local_agents import kill_registered_kernels

Cluster = tuple[EmbeddedCluster, httpx.AsyncClient]


def _agent_dir(cluster: EmbeddedCluster, agent_id: str) -> Path:
    return next(spec.data_dir for spec in cluster.agents.specs if spec.agent_id == agent_id)


async def test_st_005_batch_session_runs_to_completion_and_its_output_is_readable(
    cluster: Cluster,
) -> None:
    _, client = cluster
    sid = await submit(client, "hello", session_type="batch")

    ended = await wait_status(client, sid, {"TERMINATED"})

    history = [entry["to_status"] for entry in ended["history"]]
    assert "RUNNING" in history or "TERMINATING" in history
    (kernel,) = ended["kernels"]
    assert (kernel["status"], kernel["exit_code"]) == ("TERMINATED", 0), kernel
    assert kernel["occupied_slots"] == {}
    assert "hello" in await logs(client, sid)


async def test_st_005_cluster_session_gets_its_cluster_environment(cluster: Cluster) -> None:
    """Both kernels print their cluster facts and keep running, so neither can end the session
    (a kernel's exit ends its whole session) before the other has printed."""
    _, client = cluster
    sid = await submit(client, "cluster-env", cluster_size=2)
    running = await wait_status(client, sid, {"RUNNING"})
    kernels = sorted(running["kernels"], key=lambda kernel: kernel["cluster_idx"])
    hosts = ",".join(sorted(kernel["cluster_hostname"] for kernel in kernels))

    for kernel in kernels:
        output = await logs_containing(client, sid, kernel["id"], "BACKENDAI_CLUSTER_SIZE=2")
        assert f"BACKENDAI_CLUSTER_HOSTS={hosts}" in output
        assert f"BACKENDAI_CLUSTER_ROLE={kernel['cluster_role']}" in output
        assert f"BACKENDAI_CLUSTER_IDX={kernel['cluster_idx']}" in output

    response = await client.post(f"/v1/sessions/{sid}/terminate")
    assert response.status_code == 202, response.text
    await wait_status(client, sid, {"TERMINATED"})


async def test_ts_005_running_session_is_terminated_on_request_and_its_process_is_gone(
    cluster: Cluster,
) -> None:
    embedded, client = cluster
    sid = await submit(client, "sleeper")
    running = await wait_status(client, sid, {"RUNNING"})
    (kernel,) = running["kernels"]
    process = kernel_process(_agent_dir(embedded, kernel["agent_id"]), kernel["id"])
    assert procs.is_running(process)

    response = await client.post(f"/v1/sessions/{sid}/terminate")
    assert response.status_code == 202, response.text
    ended = await wait_status(client, sid, {"TERMINATED"})

    assert ended["kernels"][0]["status"] == "TERMINATED"
    assert not procs.is_running(process)


async def test_killed_agent_ends_its_sessions_and_frees_its_resources(cluster: Cluster) -> None:
    embedded, client = cluster
    sid = await submit(client, "sleeper")
    running = await wait_status(client, sid, {"RUNNING"})
    agent_id = running["kernels"][0]["agent_id"]
    agent_dir = _agent_dir(embedded, agent_id)
    process = kernel_process(agent_dir, running["kernels"][0]["id"])

    procs.send_signal(procs.identify(embedded.agents.pids[agent_id]) or process, signal.SIGKILL)
    try:
        ended = await wait_status(client, sid, {"TERMINATED"})
        assert ended["kernels"][0]["status_info"] == "agent-lost"
        repository = embedded.manager.components.agent_repository
        async with asyncio.timeout(BOUND):
            while (await repository.get_agent(AgentId(agent_id))).occupied_slots.to_json():  # noqa: ASYNC110 - polling the database
                await asyncio.sleep(0.1)
        assert (await session(client, sid))["occupying_slots"] == {}
    finally:
        # The agent died without stopping its kernel; nobody else would ever end it.
        kill_registered_kernels(agent_dir)
    async with asyncio.timeout(BOUND):
        while procs.is_running(process):  # noqa: ASYNC110 - another process's exit
            await asyncio.sleep(0.05)
