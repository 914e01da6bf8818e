"""Fakes around the SessionTerminator: agent statuses, presence, terminated kernels."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from sokovan.common.errors import NotFoundError
from sokovan.common.ids import AccessKey, AgentId, KernelId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import AgentStatus, KernelStatus, SessionStatus
from sokovan.infra.valkey_schedule.base import KernelPresence
from sokovan.repositories.agent.types import AgentInfo
from sokovan.repositories.scheduler.types import KernelBindingData, TerminatingSessionData
from unit.sokovan.scheduler.launcher.launch_builders import T0


def terminating(
    *kernels: KernelBindingData, reason: str | None = "user-requested"
) -> TerminatingSessionData:
    session_id = SessionId(uuid.uuid4())
    return TerminatingSessionData(
        session_id=session_id,
        creation_id="c1",
        access_key=AccessKey("AK1"),
        status=SessionStatus.TERMINATING,
        status_info=reason,
        kernels=kernels,
    )


def agent_info(agent_id: str, status: AgentStatus = AgentStatus.ALIVE) -> AgentInfo:
    return AgentInfo(
        agent_id=AgentId(agent_id),
        instance_id=f"i-{agent_id}",
        status=status,
        status_changed=T0,
        scaling_group="default",
        schedulable=True,
        architecture="x86_64",
        available_slots=ResourceSlot({"cpu": 8}),
        occupied_slots=ResourceSlot(),
        container_count=0,
        addr=f"http://127.0.0.1:6001/{agent_id}",
        watcher_addr=None,
        version="",
        first_contact=T0,
        last_heartbeat=T0,
        lost_at=T0 if status is AgentStatus.LOST else None,
    )


@dataclass
class AgentStatuses:
    """`get_agent` over a dict; an agent in `becomes_lost_after` reads LOST after N reads."""

    agents: dict[AgentId, AgentInfo] = field(default_factory=dict)
    reads: list[AgentId] = field(default_factory=list)
    becomes_lost_after: dict[AgentId, int] = field(default_factory=dict)

    def set(self, agent_id: str, status: AgentStatus = AgentStatus.ALIVE) -> None:
        self.agents[AgentId(agent_id)] = agent_info(agent_id, status)

    async def get_agent(self, agent_id: AgentId) -> AgentInfo:
        self.reads.append(agent_id)
        if agent_id not in self.agents:
            raise NotFoundError(f"agent {agent_id!r} not found")
        info = self.agents[agent_id]
        if self.reads.count(agent_id) > self.becomes_lost_after.get(agent_id, 10**9):
            return replace(info, status=AgentStatus.LOST)
        return info


@dataclass
class TerminatedKernels:
    """The state engine's termination write; kernels already marked do not move again."""

    marked: dict[KernelId, str] = field(default_factory=dict)

    async def mark_kernels_terminated(
        self, kernel_ids: Iterable[KernelId], reason: str
    ) -> list[KernelId]:
        moved = [k for k in kernel_ids if k not in self.marked]
        self.marked.update(dict.fromkeys(moved, reason))
        return moved


@dataclass
class Presence:
    known: dict[KernelId, KernelPresence] = field(default_factory=dict)
    asked: list[list[KernelId]] = field(default_factory=list)

    async def check_kernel_presence(
        self, kernel_ids: Sequence[KernelId]
    ) -> Mapping[KernelId, KernelPresence]:
        self.asked.append(list(kernel_ids))
        return {k: self.known[k] for k in kernel_ids if k in self.known}


def binding(
    agent_id: str | None,
    status: KernelStatus = KernelStatus.RUNNING,
    container_id: str | None = "c-1",
) -> KernelBindingData:
    return KernelBindingData(
        kernel_id=KernelId(uuid.uuid4()),
        agent_id=AgentId(agent_id) if agent_id else None,
        agent_addr=f"http://127.0.0.1:6001/{agent_id}" if agent_id else None,
        container_id=container_id,
        image="py",
        architecture="x86_64",
        status=status,
    )
