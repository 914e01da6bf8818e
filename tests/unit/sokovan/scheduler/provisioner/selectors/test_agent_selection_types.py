"""Building selector inputs from the scheduling snapshot, and the demand slot order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sokovan.common.ids import AccessKey, AgentId, GroupId, KernelId, SessionId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import (
    AgentSelectionStrategy,
    ClusterMode,
    SequencerStrategy,
    SessionType,
)
from sokovan.repositories.scheduler.snapshot_types import (
    PendingKernel,
    PendingSession,
    ScalingGroupConfig,
)
from sokovan.scheduler.provisioner.selectors import (
    KernelRequirement,
    SelectionConfig,
    SessionRequirements,
)
from sokovan.scheduler.provisioner.selectors.demand import DemandBuilder


def test_session_requirements_from_pending_session() -> None:
    kernels = tuple(
        PendingKernel(KernelId(uuid.uuid4()), "img", "aarch64", ResourceSlot({"cpu": i}), "sub", i)
        for i in (1, 2)
    )
    pending = PendingSession(
        session_id=SessionId(uuid.uuid4()),
        creation_id="c",
        access_key=AccessKey("ak"),
        user_id=UserId(uuid.uuid4()),
        group_id=GroupId(uuid.uuid4()),
        domain_name="default",
        priority=0,
        session_type=SessionType.INFERENCE,
        cluster_mode=ClusterMode.MULTI_NODE,
        cluster_size=2,
        requested_slots=ResourceSlot({"cpu": 3}),
        kernels=kernels,
        designated_agent_ids=(AgentId("a"),),
        starts_at=None,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        depends_on=(),
        endpoint_id="ep",
    )
    requirements = SessionRequirements.from_pending(pending)
    assert requirements == SessionRequirements(
        pending.session_id,
        ClusterMode.MULTI_NODE,
        tuple(KernelRequirement(k.kernel_id, "aarch64", k.requested_slots) for k in kernels),
        "ep",
    )


def test_selection_config_from_scaling_group() -> None:
    group = ScalingGroupConfig(
        name="default",
        scheduler=SequencerStrategy.FIFO,
        agent_selection_strategy=AgentSelectionStrategy.DISPERSED,
        agent_selection_resource_priority=("cuda.shares", "cpu"),
        max_container_count=16,
        enforce_spreading_endpoint_replica=True,
        pending_timeout=None,
        roundrobin_next_index=3,
    )
    assert SelectionConfig.from_scaling_group(group) == SelectionConfig(
        16, ("cuda.shares", "cpu"), True
    )


@pytest.mark.parametrize(
    ("priority", "slots", "order"),
    [
        (("cuda.shares", "cpu", "mem"), {"mem": 1, "cpu": 1}, ("cpu", "mem")),
        (("mem", "cpu"), {"cpu": 1, "mem": 1}, ("mem", "cpu")),
        # unprioritised slots follow, by name; zero amounts are not requested at all
        (("cpu",), {"tpu.device": 1, "mem": 1, "cpu": 1, "x": 0}, ("cpu", "mem", "tpu.device")),
        ((), {}, ()),
    ],
)
def test_demand_orders_slots_by_priority_then_name(
    priority: tuple[str, ...], slots: dict[str, int], order: tuple[str, ...]
) -> None:
    demand = DemandBuilder(priority).build("x86_64", ResourceSlot(slots), 1)
    assert demand.order == order
    assert demand.amounts == tuple(Decimal(slots[s]) for s in order)
    assert demand.names == frozenset(order)
