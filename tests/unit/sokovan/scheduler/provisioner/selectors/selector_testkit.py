"""Builders shared by the agent-selector tests: agents, sessions and configs in one line each."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sokovan.common.ids import AgentId, KernelId, SessionId
from sokovan.common.resource_slot import ResourceSlot, SlotAmount
from sokovan.common.scheduling import AgentSelectionStrategy, ClusterMode
from sokovan.repositories.scheduler.snapshot_types import AgentSnapshot
from sokovan.scheduler.provisioner.selectors import (
    AgentPool,
    AgentSelection,
    AgentSelector,
    KernelRequirement,
    SelectionConfig,
    SessionRequirements,
)

Slots = Mapping[str, SlotAmount]
PRIORITY = ("cuda.shares", "cpu", "mem")


def agent(
    agent_id: str,
    available: Slots,
    *,
    arch: str = "x86_64",
    occupied: Slots | None = None,
    containers: int = 0,
) -> AgentSnapshot:
    return AgentSnapshot(
        agent_id=AgentId(agent_id),
        addr=f"{agent_id}.local:6001",
        architecture=arch,
        available_slots=ResourceSlot(available),
        occupied_slots=ResourceSlot(occupied or {}),
        container_count=containers,
    )


def kernel(slots: Slots, *, arch: str = "x86_64") -> KernelRequirement:
    return KernelRequirement(KernelId(uuid.uuid4()), arch, ResourceSlot(slots))


def session(
    *kernels: KernelRequirement,
    mode: ClusterMode = ClusterMode.SINGLE_NODE,
    endpoint: object | None = None,
) -> SessionRequirements:
    return SessionRequirements(SessionId(uuid.uuid4()), mode, tuple(kernels), endpoint)


def config(
    *,
    max_containers: int | None = None,
    priority: tuple[str, ...] = PRIORITY,
    spread: bool = False,
) -> SelectionConfig:
    return SelectionConfig(max_containers, priority, spread)


def place(
    strategy: AgentSelectionStrategy,
    agents: Sequence[AgentSnapshot],
    sessions: Sequence[SessionRequirements],
    cfg: SelectionConfig | None = None,
) -> list[str]:
    """Select and reserve each session in turn; the agent id of each session's first kernel."""
    pool = AgentPool(agents)
    selector = AgentSelector(strategy)
    chosen: list[str] = []
    for item in sessions:
        selection = selector.select_agents_for_batch_requirements(pool, item, cfg or config())
        pool.reserve(selection)
        chosen.append(selection.placements[0].agent_id)
    return chosen


def hosts(selection: AgentSelection) -> list[str]:
    return [placement.agent_id for placement in selection.placements]
