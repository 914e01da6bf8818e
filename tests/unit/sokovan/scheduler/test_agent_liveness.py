"""AgentLivenessMonitor over fakes: the grace period and the incarnation re-check."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import timedelta

import pytest

from sokovan.common.clock import ManualClock
from sokovan.common.errors import ConfigurationError
from sokovan.common.ids import AgentId
from sokovan.common.status import AgentStatus, KernelStatus
from sokovan.repositories.agent.types import AgentInfo
from sokovan.scheduler.agent_liveness import AgentLivenessMonitor
from sokovan.scheduler.kernel.state_engine import KernelStateEngine
from unit.sokovan.scheduler.kernel.kernel_rows_fake import T0, KernelRows, kernel_info
from unit.sokovan.scheduler.terminator.terminator_fakes import agent_info

GRACE = 60.0


@dataclass
class Agents:
    """The agent registry as the monitor sees it; `revive_on_reread` simulates a heartbeat
    arriving between the listing of an agent's kernels and their release."""

    agents: dict[AgentId, AgentInfo] = field(default_factory=dict)
    revive_on_reread: bool = False

    async def mark_lost_agents(self, heartbeat_timeout: float) -> list[AgentId]:
        return []

    async def list_agents(
        self, scaling_group: str | None = None, statuses: Collection[AgentStatus] | None = None
    ) -> list[AgentInfo]:
        return [a for a in self.agents.values() if statuses is None or a.status in statuses]

    async def get_agent(self, agent_id: AgentId) -> AgentInfo:
        agent = self.agents[agent_id]
        if self.revive_on_reread:
            return replace(agent, status=AgentStatus.ALIVE, instance_id="i-new", lost_at=None)
        return agent


@pytest.fixture
def rows() -> KernelRows:
    return KernelRows()


def monitor(agents: Agents, rows: KernelRows, clock: ManualClock) -> AgentLivenessMonitor:
    return AgentLivenessMonitor(
        agents,
        KernelStateEngine(rows),
        clock,
        heartbeat_timeout=30,
        kernel_grace_period=GRACE,
    )


async def test_kernels_of_an_agent_lost_past_the_grace_period_are_released(
    rows: KernelRows,
) -> None:
    agents = Agents({AgentId("a1"): agent_info("a1", AgentStatus.LOST)})
    running, creating = kernel_info(KernelStatus.RUNNING), kernel_info(KernelStatus.CREATING)
    rows.add(running, creating, kernel_info(KernelStatus.RUNNING, agent_id="a2"))
    clock = ManualClock(T0 + timedelta(seconds=GRACE - 1))

    assert (await monitor(agents, rows, clock).check()).terminated_kernels == ()
    clock.advance(timedelta(seconds=1))
    report = await monitor(agents, rows, clock).check()

    assert report.released == ("a1",)
    assert set(report.terminated_kernels) == {running.kernel_id, creating.kernel_id}
    assert rows.rows[running.kernel_id].status_info == "agent-lost"


async def test_an_agent_revived_meanwhile_keeps_its_kernels(rows: KernelRows) -> None:
    agents = Agents({AgentId("a1"): agent_info("a1", AgentStatus.LOST)}, revive_on_reread=True)
    kernel = kernel_info(KernelStatus.RUNNING)
    rows.add(kernel)
    clock = ManualClock(T0 + timedelta(seconds=GRACE * 10))

    report = await monitor(agents, rows, clock).check()

    assert report.terminated_kernels == ()
    assert rows.status(kernel) is KernelStatus.RUNNING


@pytest.mark.parametrize(("timeout", "grace"), [(0, 10), (10, -1)])
def test_impossible_settings_are_refused(timeout: float, grace: float) -> None:
    with pytest.raises(ConfigurationError):
        AgentLivenessMonitor(
            Agents(),
            KernelStateEngine(KernelRows()),
            ManualClock(),
            heartbeat_timeout=timeout,
            kernel_grace_period=grace,
        )
