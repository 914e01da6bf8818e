"""Values exchanged with the agent selector: what a session needs and where it goes.

The values built once per placement decision (requirements, placements, selections) are
NamedTuples rather than frozen dataclasses: a frozen dataclass assigns each field through
`object.__setattr__`, which makes building one several times slower, and a scheduling cycle
builds tens of thousands of them. They are just as immutable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from sokovan.common.ids import AgentId, KernelId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ClusterMode
from sokovan.repositories.scheduler.snapshot_types import PendingSession, ScalingGroupConfig


class KernelRequirement(NamedTuple):
    """One kernel to place: its image's architecture and the slots it requests."""

    kernel_id: KernelId
    architecture: str
    slots: ResourceSlot


class SessionRequirements(NamedTuple):
    """Everything the selector needs to know about one session."""

    session_id: SessionId
    cluster_mode: ClusterMode
    kernels: tuple[KernelRequirement, ...]
    #: The deployment this session is a replica of, for replica spreading.
    endpoint_id: object | None = None

    @classmethod
    def from_pending(cls, session: PendingSession) -> SessionRequirements:
        kernels = tuple(
            [
                KernelRequirement(k.kernel_id, k.architecture, k.requested_slots)
                for k in session.kernels
            ]
        )
        return cls(session.session_id, session.cluster_mode, kernels, session.endpoint_id)


@dataclass(frozen=True, slots=True)
class SelectionConfig:
    """The scaling group's placement settings."""

    #: Containers an agent may run at most; None means unlimited.
    max_container_count: int | None
    #: Slot names compared first when ranking agents (e.g. ("cuda.shares", "cpu", "mem")).
    resource_priority: tuple[str, ...]
    #: Prefer agents hosting the fewest replicas of the same deployment.
    enforce_spreading_endpoint_replica: bool

    @classmethod
    def from_scaling_group(cls, config: ScalingGroupConfig) -> SelectionConfig:
        return cls(
            max_container_count=config.max_container_count,
            resource_priority=config.agent_selection_resource_priority,
            enforce_spreading_endpoint_replica=config.enforce_spreading_endpoint_replica,
        )


class KernelPlacement(NamedTuple):
    """One kernel assigned to one agent, with the slots it will hold there."""

    kernel_id: KernelId
    agent_id: AgentId
    agent_addr: str
    slots: ResourceSlot


class AgentSelection(NamedTuple):
    """The placements of every kernel of one session: a plan, applied by `AgentPool.reserve`."""

    placements: tuple[KernelPlacement, ...]
    #: The deployment the session is a replica of; the pool counts replicas per agent with it.
    endpoint_id: object | None = None
