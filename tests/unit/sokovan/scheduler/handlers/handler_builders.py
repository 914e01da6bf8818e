"""Builders of handler inputs: sessions with kernels and kernels, with neutral defaults."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sokovan.common.ids import AccessKey, AgentId, GroupId, KernelId, SessionId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import SESSION_PRIORITY_DEFAULT, ClusterMode, SessionType
from sokovan.common.status import KernelStatus, SessionResult, SessionStatus
from sokovan.repositories.scheduler.types import KernelInfo, SessionInfo, SessionWithKernels

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SCALING_GROUP = "default"
AK = AccessKey("AKTEST")


def kernel(
    status: KernelStatus = KernelStatus.RUNNING, *, session_id: SessionId | None = None
) -> KernelInfo:
    """A main kernel bound to agent "i-1"."""
    return KernelInfo(
        kernel_id=KernelId(uuid.uuid4()),
        session_id=session_id or SessionId(uuid.uuid4()),
        access_key=AK,
        scaling_group=SCALING_GROUP,
        agent_id=AgentId("i-1"),
        agent_addr="http://i-1:6001",
        container_id="c-1",
        cluster_role="main",
        cluster_idx=1,
        local_rank=0,
        cluster_hostname="main1",
        image="python:3.11",
        architecture="x86_64",
        requested_slots=ResourceSlot.parse({"cpu": 1}),
        occupied_slots=ResourceSlot(),
        status=status,
        status_info=None,
        status_changed=T0,
        exit_code=None,
    )


def session(
    status: SessionStatus, *, priority: int = SESSION_PRIORITY_DEFAULT
) -> SessionWithKernels:
    """A single-kernel session in `status`, its kernel in the matching kernel status."""
    session_id = SessionId(uuid.uuid4())
    info = SessionInfo(
        session_id=session_id,
        creation_id=f"creation-{session_id.hex[:8]}",
        name=f"s-{session_id.hex[:8]}",
        session_type=SessionType.INTERACTIVE,
        priority=priority,
        cluster_mode=ClusterMode.SINGLE_NODE,
        cluster_size=1,
        domain_name="default",
        group_id=GroupId(uuid.UUID(int=2)),
        user_id=UserId(uuid.UUID(int=1)),
        access_key=AK,
        scaling_group=SCALING_GROUP,
        status=status,
        status_info=None,
        status_changed=T0,
        result=SessionResult.UNDEFINED,
        requested_slots=ResourceSlot.parse({"cpu": 1}),
        occupying_slots=ResourceSlot(),
        designated_agent_ids=None,
        starts_at=None,
        created_at=T0,
    )
    # Kernels have no DEPRIORITIZING status: a deprioritised session's kernels stay PENDING.
    kernel_status = (
        KernelStatus.PENDING
        if status is SessionStatus.DEPRIORITIZING
        else KernelStatus(status.value)
    )
    return SessionWithKernels(info, (kernel(kernel_status, session_id=session_id),))
