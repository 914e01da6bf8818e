"""The pure part of kernel events: forward order, effects, targets."""

from __future__ import annotations

import uuid

import pytest
from kernel_rows_fake import T0, kernel_info

from sokovan.agent.protocol import KernelEventKind
from sokovan.common.errors import InvalidInputError
from sokovan.common.ids import AgentId, KernelId
from sokovan.common.status import KernelStatus
from sokovan.scheduler.kernel.events import (
    MAX_REASON_LENGTH,
    AgentKernelEvent,
    effect_of,
    statuses_before,
    targets_of,
)

S = KernelStatus
K = KernelEventKind


def event(kind: KernelEventKind, **fields: object) -> AgentKernelEvent:
    defaults: dict[str, object] = {"agent_id": AgentId("a1"), "instance_id": "i-a1"}
    if kind.value.startswith("image"):
        defaults["image"] = "python:3.11"
    else:
        defaults["kernel_id"] = KernelId(uuid.uuid4())
    return AgentKernelEvent(kind=kind, occurred_at=T0, **{**defaults, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("target", "allowed"),
    [
        (S.PULLING, {S.SCHEDULED, S.PREPARING}),
        (S.PREPARED, {S.SCHEDULED, S.PREPARING, S.BUILDING, S.PULLING}),
        (S.RUNNING, {S.SCHEDULED, S.PREPARING, S.BUILDING, S.PULLING, S.PREPARED, S.CREATING}),
        (S.TERMINATED, frozenset(S) - {S.PENDING, S.TERMINATED, S.CANCELLED}),
    ],
)
def test_kernels_only_move_forward(target: KernelStatus, allowed: set[KernelStatus]) -> None:
    assert statuses_before(target) == allowed


@pytest.mark.parametrize(
    ("kind", "to_status", "reason"),
    [
        (K.IMAGE_PULL_STARTED, S.PULLING, "image-pulling"),
        (K.IMAGE_PULL_FINISHED, S.PREPARED, "image-ready"),
        (K.IMAGE_PULL_FAILED, S.TERMINATED, "image-pull-failed: disk full"),
        (K.KERNEL_CREATING, S.CREATING, "kernel-creating"),
        (K.KERNEL_STARTED, S.RUNNING, "kernel-started"),
        (K.KERNEL_CREATION_FAILED, S.TERMINATED, "kernel-creation-failed: disk full"),
        (K.KERNEL_TERMINATED, S.TERMINATED, "disk full"),
    ],
)
def test_each_kind_has_its_effect(kind: KernelEventKind, to_status: S, reason: str) -> None:
    effect = effect_of(event(kind, reason="disk full"))
    assert (effect.to_status, effect.reason) == (to_status, reason)


def test_started_carries_the_container_and_terminated_the_exit_code() -> None:
    assert effect_of(event(K.KERNEL_STARTED, container_id="pid-42")).container_id == "pid-42"
    terminated = effect_of(event(K.KERNEL_TERMINATED, exit_code=3))
    assert (terminated.exit_code, terminated.reason) == (3, "kernel-terminated")


def test_long_reasons_are_cut_to_the_column_width() -> None:
    reason = effect_of(event(K.KERNEL_CREATION_FAILED, reason="x" * 1000)).reason
    assert len(reason) == MAX_REASON_LENGTH
    assert reason.startswith("kernel-creation-failed: xxx")
    assert reason.endswith("…")


def test_events_must_name_what_they_concern() -> None:
    with pytest.raises(InvalidInputError, match="has no kernel"):
        event(K.KERNEL_STARTED, kernel_id=None)
    with pytest.raises(InvalidInputError, match="has no image"):
        event(K.IMAGE_PULL_FINISHED, image=None)


def test_a_kernel_event_targets_its_kernel_only_on_the_reporting_agent() -> None:
    mine = kernel_info(S.CREATING, agent_id="a1")
    moved_away = kernel_info(S.CREATING, agent_id="a2")
    known = {k.kernel_id: k for k in (mine, moved_away)}

    assert targets_of(event(K.KERNEL_STARTED, kernel_id=mine.kernel_id), known, []) == (
        mine.kernel_id,
    )
    assert targets_of(event(K.KERNEL_STARTED, kernel_id=moved_away.kernel_id), known, []) == ()
    assert targets_of(event(K.KERNEL_STARTED), known, []) == ()


def test_an_image_event_targets_the_agents_kernels_waiting_for_that_image() -> None:
    waiting = [
        first := kernel_info(S.PREPARING, agent_id="a1"),
        second := kernel_info(S.PULLING, agent_id="a1"),
        kernel_info(S.PREPARING, agent_id="a1", image="other"),
        kernel_info(S.PREPARING, agent_id="a2"),
    ]
    assert targets_of(event(K.IMAGE_PULL_FINISHED), {}, waiting) == (
        first.kernel_id,
        second.kernel_id,
    )
    narrowed = event(K.IMAGE_PULL_FINISHED, kernel_id=second.kernel_id)
    assert targets_of(narrowed, {}, waiting) == (second.kernel_id,)
