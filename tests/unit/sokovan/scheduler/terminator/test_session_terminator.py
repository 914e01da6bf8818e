"""SessionTerminator.terminate_sessions_for_handler over recording fakes (seed 000 TS-00x)."""

from __future__ import annotations

import asyncio

import pytest
from terminator_fakes import (
    AgentStatuses,
    Presence,
    TerminatedKernels,
    binding,
    terminating,
)

from sokovan.agent.protocol import DestroyKernelRequest
from sokovan.common.ids import AgentId
from sokovan.common.status import AgentStatus, KernelStatus
from sokovan.scheduler.terminator.terminator import SessionTerminator
from unit.sokovan.clients.fake_agents import FakeAgents, Gate, remote_error, unreachable

S = KernelStatus


@pytest.fixture
def agents() -> FakeAgents:
    return FakeAgents()


@pytest.fixture
def statuses() -> AgentStatuses:
    registry = AgentStatuses()
    for agent_id in ("a1", "a2"):
        registry.set(agent_id)
    return registry


@pytest.fixture
def marked() -> TerminatedKernels:
    return TerminatedKernels()


@pytest.fixture
def terminator(
    agents: FakeAgents, statuses: AgentStatuses, marked: TerminatedKernels
) -> SessionTerminator:
    return SessionTerminator(agents, statuses, marked, Presence())


def destroyed(agents: FakeAgents) -> list[tuple[AgentId, str, str, str]]:
    calls: list[tuple[AgentId, DestroyKernelRequest]] = agents.all_calls("destroy_kernel")
    return [(a, r.kernel_id, r.session_id, r.reason) for a, r in calls]


async def test_ts_001_every_kernel_with_an_agent_gets_a_destroy_rpc(
    agents: FakeAgents, terminator: SessionTerminator, marked: TerminatedKernels
) -> None:
    session = terminating(kernel := binding("a1"), reason="idle-timeout")

    report = await terminator.terminate_sessions([session])

    assert destroyed(agents) == [
        ("a1", str(kernel.kernel_id), str(session.session_id), "idle-timeout")
    ]
    assert report.destroy_requested == (kernel.kernel_id,)
    assert marked.marked == {}


async def test_ts_002_a_lost_agents_kernels_are_marked_terminated_without_rpc(
    agents: FakeAgents,
    statuses: AgentStatuses,
    terminator: SessionTerminator,
    marked: TerminatedKernels,
) -> None:
    statuses.set("a1", AgentStatus.LOST)
    session = terminating(lost := binding("a1"), alive := binding("a2"))

    report = await terminator.terminate_sessions([session])

    assert marked.marked == {lost.kernel_id: "agent-lost"}
    assert [call[0] for call in destroyed(agents)] == ["a2"]
    assert report.agent_lost == (lost.kernel_id,)
    assert report.destroy_requested == (alive.kernel_id,)


async def test_an_agent_gone_from_the_registry_counts_as_lost(
    agents: FakeAgents, terminator: SessionTerminator, marked: TerminatedKernels
) -> None:
    await terminator.terminate_sessions([terminating(kernel := binding("ghost"))])
    assert marked.marked == {kernel.kernel_id: "agent-lost"}
    assert destroyed(agents) == []


async def test_ts_003_kernels_without_agent_or_unknown_to_it_change_only_in_the_database(
    agents: FakeAgents, terminator: SessionTerminator, marked: TerminatedKernels
) -> None:
    never_placed = binding(None, S.PENDING, container_id=None)
    not_created = binding("a1", S.CREATING, container_id=None)
    agents["a1"].unknown_kernels = {not_created.kernel_id}
    session = terminating(never_placed, not_created, reason="user-requested")

    report = await terminator.terminate_sessions([session])

    assert marked.marked == {
        never_placed.kernel_id: "user-requested",
        not_created.kernel_id: "user-requested",
    }
    assert report.without_agent == (never_placed.kernel_id,)
    assert report.unknown_to_agent == (not_created.kernel_id,)
    assert [call[1] for call in destroyed(agents)] == [str(not_created.kernel_id)]


async def test_ts_004_a_failed_destroy_leaves_the_kernel_for_the_next_cycle(
    agents: FakeAgents, terminator: SessionTerminator, marked: TerminatedKernels
) -> None:
    session = terminating(failing := binding("a1"), fine := binding("a1"))
    agents["a1"].failing_kernels = {failing.kernel_id: remote_error("a1", "destroy_kernel")}

    report = await terminator.terminate_sessions([session])

    assert report.left_for_retry == (failing.kernel_id,)
    assert report.destroy_requested == (fine.kernel_id,)
    assert "HTTP 500" in report.agent_errors[AgentId("a1")]
    assert marked.marked == {}


async def test_ts_004_an_unreachable_but_alive_agent_is_retried_not_written_off(
    agents: FakeAgents,
    statuses: AgentStatuses,
    terminator: SessionTerminator,
    marked: TerminatedKernels,
) -> None:
    agents.fail("a1", unreachable("a1", "destroy_kernel"))
    session = terminating(kernel := binding("a1"))

    report = await terminator.terminate_sessions([session])

    assert report.left_for_retry == (kernel.kernel_id,)
    assert marked.marked == {}
    assert statuses.reads.count(AgentId("a1")) >= 2  # checked again after the failure


async def test_an_unreachable_agent_that_is_lost_by_now_releases_its_kernels(
    agents: FakeAgents,
    statuses: AgentStatuses,
    terminator: SessionTerminator,
    marked: TerminatedKernels,
) -> None:
    agents.fail("a1", unreachable("a1", "destroy_kernel"), on_acquire=True)
    statuses.becomes_lost_after[AgentId("a1")] = 1
    session = terminating(kernel := binding("a1"))

    report = await terminator.terminate_sessions([session])

    assert marked.marked == {kernel.kernel_id: "agent-unreachable"}
    assert report.agent_unreachable == (kernel.kernel_id,)
    assert report.left_for_retry == ()


async def test_ts_005_a_cluster_is_destroyed_on_all_agents_concurrently(
    agents: FakeAgents, terminator: SessionTerminator
) -> None:
    gate = Gate()
    agents["a1"].gate = agents["a2"].gate = gate
    session = terminating(binding("a1"), binding("a2"), binding("a2"))
    terminating_task = asyncio.create_task(terminator.terminate_sessions([session]))

    await asyncio.wait_for(gate.wait_for(3), timeout=5)
    gate.open()
    report = await terminating_task

    assert len(report.destroy_requested) == 3


async def test_ts_006_finished_kernels_are_skipped_and_counted(
    agents: FakeAgents, terminator: SessionTerminator, marked: TerminatedKernels
) -> None:
    done = binding("a1", S.TERMINATED)
    cancelled = binding(None, S.CANCELLED)
    session = terminating(done, cancelled, live := binding("a1"))

    report = await terminator.terminate_sessions([session])

    assert report.already_finished == (done.kernel_id, cancelled.kernel_id)
    assert [call[1] for call in destroyed(agents)] == [str(live.kernel_id)]
    assert marked.marked == {}


async def test_a_session_without_a_reason_is_destroyed_as_user_requested(
    agents: FakeAgents, terminator: SessionTerminator
) -> None:
    await terminator.terminate_sessions_for_handler([terminating(binding("a1"), reason=None)])
    assert destroyed(agents)[0][3] == "user-requested"
