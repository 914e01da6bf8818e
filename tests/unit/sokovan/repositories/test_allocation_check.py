"""The commit-time re-check of placements: per-agent demand, room, limits and reasons."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from sokovan.common.ids import AccessKey, AgentId, KernelId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import AgentStatus, KernelStatus, SessionStatus
from sokovan.repositories.scheduler.write_allocation_check import (
    AgentDemand,
    AgentLedger,
    AgentState,
    demands_of,
    session_problem,
)
from sokovan.repositories.scheduler.write_rows import KernelRow, SessionRow
from sokovan.repositories.scheduler.write_specs import KernelAllocation, SessionAllocation

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SESSION = SessionId(uuid.UUID(int=1))
K1, K2 = KernelId(uuid.UUID(int=11)), KernelId(uuid.UUID(int=12))
A1, A2 = AgentId("a1"), AgentId("a2")


def allocation(*placements: tuple[KernelId, AgentId, Mapping[str, str]]) -> SessionAllocation:
    return SessionAllocation(
        SESSION,
        "default",
        tuple(KernelAllocation(k, a, ResourceSlot(slots)) for k, a, slots in placements),
    )


def agent(agent_id: AgentId = A1, **changes: Any) -> AgentState:
    state = AgentState(
        id=agent_id,
        addr=f"http://{agent_id}",
        status=AgentStatus.ALIVE,
        schedulable=True,
        scaling_group="default",
        available_slots=ResourceSlot({"cpu": 4, "cuda.shares": "1"}),
    )
    return replace(state, **changes)


def ledger(*agents: AgentState, max_containers: int | None = None) -> AgentLedger:
    return AgentLedger(
        {a.id: a for a in agents},
        {A1: ResourceSlot({"cpu": 1, "cuda.shares": "0.8"})},
        {A1: 1},
        {"default": max_containers},
    )


def test_demands_are_summed_per_agent() -> None:
    demands = demands_of(allocation((K1, A2, {"cpu": "1"}), (K2, A2, {"cpu": "0.5"})))

    assert demands == {A2: AgentDemand(ResourceSlot({"cpu": "1.5"}), 2)}


@pytest.mark.parametrize(
    ("demand", "reason"),
    [
        # free cpu = 4 - 1 = 3; free shares = 1 - 0.8 = 0.2
        ({"cpu": "3"}, None),
        ({"cpu": "3.5"}, "agent a1 no longer has room: cpu need 3.5, free 3"),
        (
            {"cpu": "4", "cuda.shares": "0.5"},
            "agent a1 no longer has room: cpu need 4, free 3; cuda.shares need 0.5, free 0.2",
        ),
        ({"tpu.device": "1"}, "agent a1 no longer has room: tpu.device need 1, free 0"),
    ],
)
def test_room_is_checked_per_slot(demand: dict[str, str], reason: str | None) -> None:
    book = ledger(agent())
    held = book.occupied(A1)

    assert book.try_take(demands_of(allocation((K1, A1, demand))), "default") == reason
    expected = held + ResourceSlot(demand) if reason is None else held
    assert book.occupied(A1) == expected


def test_what_a_session_takes_is_seen_by_the_next() -> None:
    book = ledger(agent(), max_containers=3)
    two_cpu = demands_of(allocation((K1, A1, {"cpu": "2"})))

    assert book.try_take(two_cpu, "default") is None
    assert book.occupied(A1) == ResourceSlot({"cpu": 3, "cuda.shares": "0.8"})
    assert book.containers(A1) == 2
    assert book.try_take(two_cpu, "default") == "agent a1 no longer has room: cpu need 2, free 1"
    assert book.try_take(demands_of(allocation((K1, A1, {"cpu": "1"}))), "default") is None
    assert book.try_take(demands_of(allocation((K1, A1, {}))), "default") == (
        "agent a1 has no room for 1 more container(s): 3 of 3 in use"
    )
    assert book.taken_from() == {A1: (ResourceSlot({"cpu": 4, "cuda.shares": "0.8"}), 3)}


def test_one_refusing_agent_takes_nothing_from_the_others() -> None:
    demands = demands_of(allocation((K1, A1, {"cpu": "1"}), (K2, A2, {"cpu": "1"})))
    book = ledger(agent(), agent(A2, status=AgentStatus.LOST))

    assert book.try_take(demands, "default") == "agent a2 is LOST, not ALIVE"
    assert book.occupied(A1) == ResourceSlot({"cpu": 1, "cuda.shares": "0.8"})
    assert book.taken_from() == {}


def _session(status: SessionStatus = SessionStatus.PENDING) -> SessionRow:
    return SessionRow(SESSION, AccessKey("AK"), "default", status, None, T0, ResourceSlot(), None)


def _kernel(kernel_id: KernelId, status: KernelStatus = KernelStatus.PENDING) -> KernelRow:
    return KernelRow(
        kernel_id, SESSION, None, None, None, status, None, T0, ResourceSlot(), None, None
    )


@pytest.mark.parametrize(
    ("placements", "kernels", "reason"),
    [
        ([K1, K2], [K1, K2], None),
        ([K1], [K1, K2], "the allocation does not place exactly the session's PENDING kernels"),
        ([K1, K1], [K1], "the allocation does not place exactly the session's PENDING kernels"),
        ([], [], "the allocation does not place exactly the session's PENDING kernels"),
    ],
)
def test_an_allocation_must_place_exactly_the_pending_kernels(
    placements: list[KernelId], kernels: list[KernelId], reason: str | None
) -> None:
    planned = allocation(*((k, A1, {}) for k in placements))

    assert session_problem(planned, _session(), [_kernel(k) for k in kernels]) == reason


def test_a_session_that_moved_on_or_changed_group_is_refused() -> None:
    planned = allocation((K1, A1, {}))
    kernels = [_kernel(K1)]
    moved = replace(_session(), scaling_group="gpu")

    assert session_problem(planned, _session(SessionStatus.SCHEDULED), kernels) == (
        "session is no longer PENDING (SCHEDULED)"
    )
    assert session_problem(planned, moved, kernels) == (
        "allocation targets scaling group default but the session belongs to gpu"
    )
