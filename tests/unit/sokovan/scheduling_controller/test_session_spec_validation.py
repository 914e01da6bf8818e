"""Submission checks without a database: the spec alone, against given facts, admission."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

import pytest

from sokovan.common.errors import InvalidResourceValueError, UnknownSlotTypeError
from sokovan.common.ids import AgentId, SessionId, UserId
from sokovan.common.resource_slot import DEFAULT_SLOT_TYPES, ResourceSlot
from sokovan.common.scheduling import (
    SESSION_PRIORITY_MAX,
    SESSION_PRIORITY_MIN,
    SessionType,
)
from sokovan.repositories.scheduler.snapshot_types import PendingStats, ResourcePolicySnapshot
from sokovan.repositories.scheduler.types import ImageIdentifier
from sokovan.repositories.scheduler.write_enqueue import EnqueueContext
from sokovan.scheduler.provisioner.errors import (
    PendingSessionCountLimitExceeded,
    PendingSessionResourceLimitExceeded,
)
from sokovan.scheduling_controller.controller import build_record
from sokovan.scheduling_controller.types import (
    KernelCreationSpec,
    ScalingGroupInactiveError,
    SessionCreationSpec,
    SessionOwnershipError,
    SessionReferenceError,
    SessionSpecError,
)
from sokovan.scheduling_controller.validation import (
    check_admission,
    check_references,
    check_spec,
    lookup_of,
)
from unit.sokovan.scheduling_controller.spec_builders import (
    CONTEXT,
    GROUP,
    IMAGE,
    KERNEL,
    KEY,
    NOW,
    OWNER,
    SPEC,
    USER,
)


def check(spec: SessionCreationSpec, context: EnqueueContext = CONTEXT) -> None:
    """Both stages that need no queue data, as the controller runs them."""
    check_references(spec, check_spec(spec, DEFAULT_SLOT_TYPES), context)


def with_kernels(*kernels: KernelCreationSpec, **changes: object) -> SessionCreationSpec:
    return replace(SPEC, kernels=kernels, cluster_size=len(kernels), **changes)  # type: ignore[arg-type]


# --- the spec on its own ------------------------------------------------------------------


def test_valid_spec_parses_every_kernel_in_order() -> None:
    spec = with_kernels(KERNEL, replace(KERNEL, resources=ResourceSlot({"cpu": 2})))
    assert check_spec(spec, DEFAULT_SLOT_TYPES) == (
        ResourceSlot({"cpu": 1, "mem": 2**30}),
        ResourceSlot({"cpu": 2}),
    )
    check(spec)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": " "}, "name must not be empty"),
        ({"name": "n" * 129}, "longer than 128"),
        ({"creation_id": "c" * 65}, "longer than 64"),
        ({"kernels": (), "cluster_size": 0}, "at least one kernel"),
        ({"cluster_size": 2}, "cluster_size is 2 but 1 kernels"),
        ({"priority": SESSION_PRIORITY_MIN - 1}, "out of range"),
        ({"priority": SESSION_PRIORITY_MAX + 1}, "out of range"),
        ({"starts_at": datetime(2026, 1, 2), "session_type": SessionType.BATCH}, "time zone"),
        ({"starts_at": NOW}, "only to batch sessions"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_malformed_spec_is_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(SessionSpecError, match=message):
        check_spec(replace(SPEC, **changes), DEFAULT_SLOT_TYPES)  # type: ignore[arg-type]


@pytest.mark.parametrize("priority", [SESSION_PRIORITY_MIN, SESSION_PRIORITY_MAX])
def test_priority_bounds_are_inclusive(priority: int) -> None:
    check_spec(replace(SPEC, priority=priority), DEFAULT_SLOT_TYPES)


def test_batch_session_may_start_later() -> None:
    check_spec(replace(SPEC, session_type=SessionType.BATCH, starts_at=NOW), DEFAULT_SLOT_TYPES)


def test_unknown_slot_names_the_kernel() -> None:
    spec = with_kernels(KERNEL, replace(KERNEL, resources={"gpu": 1}))
    with pytest.raises(UnknownSlotTypeError, match=r"kernel 2: unknown resource slot 'gpu'"):
        check_spec(spec, DEFAULT_SLOT_TYPES)


@pytest.mark.parametrize("resources", [{"mem": "lots"}, {"cpu": -1}, {"mem": "1.5"}])
def test_invalid_amount_names_the_kernel(resources: dict[str, object]) -> None:
    with pytest.raises(InvalidResourceValueError, match="kernel 1: "):
        check_spec(with_kernels(replace(KERNEL, resources=resources)), DEFAULT_SLOT_TYPES)


# --- the spec against the database's facts ------------------------------------------------


def test_lookup_lists_every_reference() -> None:
    dependency, agent = SessionId(uuid.uuid4()), AgentId("a1")
    spec = replace(SPEC, depends_on=(dependency,), designated_agent_ids=(agent,))
    lookup = lookup_of(spec)
    assert lookup.image_names == {IMAGE}
    assert lookup.depends_on == {dependency}
    assert lookup.designated_agents == {agent}
    assert (lookup.access_key, lookup.user_id, lookup.group_id) == (KEY, USER, GROUP)


@pytest.mark.parametrize(
    ("context", "error", "message"),
    [
        (
            replace(CONTEXT, scaling_group_exists=False, scaling_group=None),
            SessionReferenceError,
            "scaling group 'default' does not exist",
        ),
        (replace(CONTEXT, scaling_group=None), ScalingGroupInactiveError, "is inactive"),
        (
            replace(CONTEXT, owner=replace(OWNER, keypair_user_id=None)),
            SessionReferenceError,
            "access key 'AKTEST' does not exist",
        ),
        (
            replace(CONTEXT, owner=replace(OWNER, user_domain=None)),
            SessionReferenceError,
            "user .* does not exist",
        ),
        (
            replace(CONTEXT, owner=replace(OWNER, group_domain=None)),
            SessionReferenceError,
            "group .* does not exist",
        ),
        (
            replace(CONTEXT, owner=replace(OWNER, keypair_active=False)),
            SessionOwnershipError,
            "inactive; use an active keypair",
        ),
        (
            replace(CONTEXT, owner=replace(OWNER, keypair_user_id=UserId(uuid.uuid4()))),
            SessionOwnershipError,
            "belongs to another user",
        ),
        (
            replace(CONTEXT, owner=replace(OWNER, group_domain="other")),
            SessionOwnershipError,
            "domain 'default'",
        ),
        (
            replace(CONTEXT, owner=replace(OWNER, user_in_group=False)),
            SessionOwnershipError,
            "not a member of group",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_bad_references_are_refused(
    context: EnqueueContext, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        check(SPEC, context)


def test_image_of_another_architecture_lists_the_registered_ones() -> None:
    context = replace(
        CONTEXT,
        images={
            ImageIdentifier(IMAGE, "x86_64"): ResourceSlot(),
            ImageIdentifier(IMAGE, "riscv64"): ResourceSlot(),
        },
    )
    spec = with_kernels(replace(KERNEL, architecture="aarch64"))
    with pytest.raises(SessionReferenceError, match="registered only for riscv64, x86_64"):
        check(spec, context)


def test_unregistered_image_is_refused() -> None:
    spec = with_kernels(KERNEL, replace(KERNEL, image="ghost:1"))
    with pytest.raises(SessionReferenceError, match=r"kernel 2: image 'ghost:1'.*no such image"):
        check(spec)


def test_request_below_the_image_minimum_is_refused() -> None:
    minimum = ResourceSlot({"cpu": 1, "mem": 2 * 2**30})
    context = replace(CONTEXT, images={ImageIdentifier(IMAGE, "x86_64"): minimum})
    with pytest.raises(SessionSpecError, match="needs at least mem 2g"):
        check(SPEC, context)


def test_missing_dependencies_are_listed() -> None:
    present, missing = SessionId(uuid.uuid4()), SessionId(uuid.uuid4())
    context = replace(CONTEXT, existing_dependencies=frozenset({present}))
    with pytest.raises(SessionReferenceError, match=f"dependencies not found: {missing};"):
        check(replace(SPEC, depends_on=(present, missing)), context)


def test_designated_agents_must_belong_to_the_scaling_group() -> None:
    context = replace(CONTEXT, agents_in_group=frozenset({AgentId("a1")}))
    check(replace(SPEC, designated_agent_ids=(AgentId("a1"),)), context)
    with pytest.raises(SessionReferenceError, match="not in scaling group 'default': a2"):
        check(replace(SPEC, designated_agent_ids=(AgentId("a1"), AgentId("a2"))), context)


# --- queue admission ----------------------------------------------------------------------


def policy(**limits: object) -> ResourcePolicySnapshot:
    values: dict[str, object] = {
        "name": "small",
        "total_resource_slots": ResourceSlot(),
        "max_concurrent_sessions": None,
        "max_pending_session_count": None,
        "max_pending_session_resource_slots": ResourceSlot(),
    }
    values.update(limits)
    return ResourcePolicySnapshot(**values)  # type: ignore[arg-type]


def admit(context: EnqueueContext) -> None:
    record = build_record(SPEC, check_spec(SPEC, DEFAULT_SLOT_TYPES))
    check_admission(record, context, NOW)


def test_admission_without_policy_or_below_limits_passes() -> None:
    admit(CONTEXT)
    admit(
        replace(
            CONTEXT,
            keypair_policy=policy(max_pending_session_count=2),
            pending=PendingStats(1, ResourceSlot({"cpu": 1})),
        )
    )


def test_admission_refuses_past_the_pending_count_limit() -> None:
    context = replace(
        CONTEXT, keypair_policy=policy(max_pending_session_count=1), pending=PendingStats(1)
    )
    with pytest.raises(PendingSessionCountLimitExceeded, match="1 of 1 pending sessions"):
        admit(context)


def test_admission_refuses_past_the_pending_resource_limit() -> None:
    context = replace(
        CONTEXT,
        keypair_policy=policy(max_pending_session_resource_slots=ResourceSlot({"cpu": 2})),
        pending=PendingStats(2, ResourceSlot({"cpu": 2})),
    )
    with pytest.raises(PendingSessionResourceLimitExceeded, match="pending resource limit"):
        admit(context)


def test_sw_004_a_session_without_kernels_can_never_exist() -> None:
    """Seed 000 SW-004 (sweep a kernel-less session to CANCELLED), reconciled: a session and
    its kernels are written in one transaction and one without kernels is refused at submit,
    so there is no kernel-less session for a sweeper to find."""
    with pytest.raises(SessionSpecError, match="at least one kernel"):
        check_spec(replace(SPEC, kernels=(), cluster_size=0), DEFAULT_SLOT_TYPES)
