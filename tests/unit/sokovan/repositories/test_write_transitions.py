"""The pure row rules every scheduler write goes through."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sokovan.common.ids import AccessKey, AgentId, KernelId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.repositories.scheduler.write_rows import KernelRow, SessionRow
from sokovan.repositories.scheduler.write_transitions import (
    agents_to_refresh,
    settle_session_occupancy,
    transition_kernel,
    transition_session,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
NOW = T0 + timedelta(minutes=1)
SLOTS = ResourceSlot({"cpu": 2})


def kernel(
    status: KernelStatus = KernelStatus.RUNNING, agent: str | None = "a1", **changes: Any
) -> KernelRow:
    occupying = status in KernelStatus.resource_occupied_statuses()
    row = KernelRow(
        id=KernelId(uuid.uuid4()),
        session_id=SessionId(uuid.UUID(int=1)),
        agent_id=None if agent is None else AgentId(agent),
        agent_addr=None if agent is None else f"http://{agent}",
        container_id="c-1",
        status=status,
        status_info=None,
        status_changed=T0,
        occupied_slots=SLOTS if occupying else ResourceSlot(),
        exit_code=None,
        terminated_at=None,
    )
    return replace(row, **changes)


def session(status: SessionStatus = SessionStatus.RUNNING) -> SessionRow:
    return SessionRow(
        id=SessionId(uuid.UUID(int=1)),
        access_key=AccessKey("AK"),
        scaling_group="default",
        status=status,
        status_info="before",
        status_changed=T0,
        occupying_slots=SLOTS,
        terminated_at=None,
    )


def test_moving_to_pending_resets_the_placement() -> None:
    moved = transition_kernel(kernel(KernelStatus.PREPARING), KernelStatus.PENDING, "retry", NOW)

    assert (moved.agent_id, moved.agent_addr, moved.container_id) == (None, None, None)
    assert (moved.occupied_slots, moved.status_info, moved.status_changed) == (
        ResourceSlot(),
        "retry",
        NOW,
    )


def test_terminating_a_kernel_frees_slots_but_keeps_where_it_ran() -> None:
    moved = transition_kernel(kernel(), KernelStatus.TERMINATED, None, NOW, exit_code=1)

    assert (moved.agent_id, moved.container_id, moved.exit_code) == ("a1", "c-1", 1)
    assert (moved.occupied_slots, moved.terminated_at) == (ResourceSlot(), NOW)


def test_staying_in_a_status_keeps_status_changed() -> None:
    moved = transition_kernel(kernel(), KernelStatus.RUNNING, "note", NOW, container_id="c-2")

    assert (moved.status_changed, moved.status_info, moved.container_id) == (T0, "note", "c-2")
    assert moved.occupied_slots == SLOTS


@pytest.mark.parametrize(
    ("to_status", "ended"),
    [
        (SessionStatus.TERMINATED, True),
        (SessionStatus.CANCELLED, True),
        (SessionStatus.ERROR, False),
        (SessionStatus.TERMINATING, False),
    ],
)
def test_sessions_are_stamped_terminated_once(to_status: SessionStatus, ended: bool) -> None:
    moved = transition_session(session(), to_status, None, NOW)
    again = transition_session(moved, to_status, None, NOW + timedelta(hours=1))

    assert (moved.status, moved.status_changed, moved.status_info) == (to_status, NOW, "before")
    assert moved.terminated_at == again.terminated_at == (NOW if ended else None)
    assert again.status_changed == NOW


def test_session_occupancy_is_the_sum_of_occupying_kernels_while_occupying() -> None:
    kernels = [kernel(), kernel(), kernel(KernelStatus.TERMINATED, occupied_slots=SLOTS)]

    assert settle_session_occupancy(session(), kernels).occupying_slots == SLOTS * 2
    pending = settle_session_occupancy(session(SessionStatus.PENDING), kernels)
    assert pending.occupying_slots == ResourceSlot()


@pytest.mark.parametrize(
    ("before", "after", "agents"),
    [
        # still on a1 with the same slots: nothing to refresh
        (kernel(), kernel(KernelStatus.TERMINATING), set()),
        # leaving the occupying statuses frees a1
        (kernel(), kernel(KernelStatus.TERMINATED), {"a1"}),
        # placed from nowhere onto a2
        (kernel(KernelStatus.PENDING, agent=None), kernel(KernelStatus.SCHEDULED, "a2"), {"a2"}),
        # moved between agents: both change
        (kernel(agent="a1"), kernel(agent="a2"), {"a1", "a2"}),
        # a pending kernel without agent changes nobody
        (kernel(KernelStatus.PENDING, None), kernel(KernelStatus.CANCELLED, None), set()),
    ],
)
def test_agents_to_refresh(before: KernelRow, after: KernelRow, agents: set[str]) -> None:
    assert agents_to_refresh(before, after) == agents
