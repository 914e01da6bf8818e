"""AgentPool: free capacity, container counts, reservations and replica counts per cycle."""

from __future__ import annotations

import uuid

import pytest
from selector_testkit import Slots, agent

from sokovan.common.ids import AgentId, KernelId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.scheduler.provisioner.selectors import AgentPool, AgentSelection, KernelPlacement


def placement(agent_id: str, slots: Slots) -> KernelPlacement:
    return KernelPlacement(
        KernelId(uuid.uuid4()), AgentId(agent_id), f"{agent_id}.local", ResourceSlot(slots)
    )


def test_free_is_available_minus_occupied() -> None:
    pool = AgentPool([agent("a", {"cpu": 8, "mem": 16}, occupied={"cpu": 3, "gpu": 1})])
    # cpu 8 − 3 = 5, mem 16 − 0 = 16, gpu 0 − 1 = −1 (overcommitted: nothing fits there)
    assert pool.free_slots(AgentId("a")) == ResourceSlot({"cpu": 5, "mem": 16, "gpu": -1})
    assert len(pool) == 1
    assert AgentId("a") in pool


def test_reserve_takes_slots_and_containers() -> None:
    pool = AgentPool([agent("a", {"cpu": 8}, containers=2), agent("b", {"cpu": 8})])
    pool.reserve(AgentSelection((placement("a", {"cpu": "1.5"}), placement("a", {"cpu": 2}))))
    # cpu 8 − 1.5 − 2 = 4.5; containers 2 + 2 = 4; b untouched
    assert pool.free_slots(AgentId("a")) == ResourceSlot({"cpu": "4.5"})
    assert pool.container_count(AgentId("a")) == 4
    assert pool.container_count(AgentId("b")) == 0


def test_reserve_counts_replicas_per_endpoint() -> None:
    pool = AgentPool([agent("a", {"cpu": 8}), agent("b", {"cpu": 8})])
    pool.reserve(AgentSelection((placement("a", {"cpu": 1}),), endpoint_id="ep"))
    pool.reserve(AgentSelection((placement("a", {"cpu": 1}), placement("b", {"cpu": 1})), "ep"))
    pool.reserve(AgentSelection((placement("b", {"cpu": 1}),)))
    assert pool.replicas_of("ep") == {"a": 2, "b": 1}
    assert pool.replicas_of("other") == {}


def test_unknown_agent_raises_key_error() -> None:
    pool = AgentPool([])
    with pytest.raises(KeyError):
        pool.free_slots(AgentId("nope"))
    assert len(pool) == 0
