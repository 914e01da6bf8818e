"""SessionTerminator.check_stale_kernels: presence first, then the agent (seed 000 SK-00x)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from terminator_fakes import AgentStatuses, Presence, TerminatedKernels

from sokovan.common.ids import AgentId
from sokovan.common.status import KernelStatus
from sokovan.infra.valkey_schedule.base import KernelPresence
from sokovan.repositories.scheduler.types import KernelInfo
from sokovan.scheduler.terminator.terminator import SessionTerminator
from unit.sokovan.clients.fake_agents import FakeAgents, remote_error, unreachable
from unit.sokovan.scheduler.kernel.kernel_rows_fake import kernel_info

ALIVE, STALE = KernelPresence.ALIVE, KernelPresence.STALE


@pytest.fixture
def agents() -> FakeAgents:
    return FakeAgents()


@pytest.fixture
def presence() -> Presence:
    return Presence()


@pytest.fixture
def terminator(agents: FakeAgents, presence: Presence) -> SessionTerminator:
    return SessionTerminator(agents, AgentStatuses(), TerminatedKernels(), presence)


def running(agent_id: str | None = "a1") -> KernelInfo:
    return replace(kernel_info(KernelStatus.RUNNING, agent_id=agent_id), container_id="c-1")


async def test_sk_002_a_kernel_reported_alive_is_not_checked_with_the_agent(
    agents: FakeAgents, presence: Presence, terminator: SessionTerminator
) -> None:
    kernel = running()
    presence.known[kernel.kernel_id] = ALIVE
    agents["a1"].running[kernel.kernel_id] = False  # would be dead, were it asked

    assert await terminator.check_stale_kernels([kernel]) == []
    assert agents.all_calls("check_running") == []


async def test_sk_001_a_stale_kernel_the_agent_says_is_gone_is_dead(
    agents: FakeAgents, presence: Presence, terminator: SessionTerminator
) -> None:
    stale, alive_on_agent = running(), running()
    presence.known.update({stale.kernel_id: STALE, alive_on_agent.kernel_id: STALE})
    agents["a1"].running[stale.kernel_id] = False

    assert await terminator.check_stale_kernels([stale, alive_on_agent]) == [stale.kernel_id]
    assert {k for _, k in agents.all_calls("check_running")} == {
        stale.kernel_id,
        alive_on_agent.kernel_id,
    }


async def test_a_kernel_never_reported_is_checked_with_its_agent(
    agents: FakeAgents, terminator: SessionTerminator
) -> None:
    kernel = running()
    agents["a1"].running[kernel.kernel_id] = False
    assert await terminator.check_stale_kernels([kernel]) == [kernel.kernel_id]


async def test_an_agent_that_cannot_tell_never_kills_a_kernel(
    agents: FakeAgents, terminator: SessionTerminator
) -> None:
    kernel = running()
    agents["a1"].running[kernel.kernel_id] = None
    assert await terminator.check_stale_kernels([kernel]) == []


async def test_agent_errors_skip_the_kernels_with_a_warning(
    agents: FakeAgents, terminator: SessionTerminator, caplog: pytest.LogCaptureFixture
) -> None:
    on_down, on_flaky, on_fine = running("down"), running("flaky"), running("fine")
    agents.fail("down", unreachable("down"), on_acquire=True)
    agents["flaky"].failing_kernels = {on_flaky.kernel_id: remote_error("flaky")}
    agents["fine"].running[on_fine.kernel_id] = False

    dead = await terminator.check_stale_kernels([on_down, on_flaky, on_fine])

    assert dead == [on_fine.kernel_id]
    warned = {r.getMessage().split(" on agent ")[1].split(";")[0] for r in caplog.records}
    assert warned == {"down", "flaky"}


async def test_kernels_without_agent_are_skipped(
    agents: FakeAgents, presence: Presence, terminator: SessionTerminator
) -> None:
    assert await terminator.check_stale_kernels([running(None)]) == []
    assert presence.asked == []
    assert agents.acquired == []


async def test_sk_004_a_running_kernel_without_container_the_agent_does_not_run_is_dead(
    agents: FakeAgents, terminator: SessionTerminator
) -> None:
    kernel = replace(running(), container_id=None)
    agents["a1"].running[kernel.kernel_id] = False
    assert await terminator.check_stale_kernels([kernel]) == [kernel.kernel_id]


async def test_agents_are_asked_once_each_and_results_keep_input_order(
    agents: FakeAgents, terminator: SessionTerminator
) -> None:
    kernels = [running("a1"), running("a2"), running("a1")]
    for kernel in kernels:
        assert kernel.agent_id is not None
        agents[kernel.agent_id].running[kernel.kernel_id] = False

    assert await terminator.check_stale_kernels(kernels) == [k.kernel_id for k in kernels]
    assert sorted(agents.acquired) == [AgentId("a1"), AgentId("a2")]
