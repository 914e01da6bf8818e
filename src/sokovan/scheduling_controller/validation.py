"""Checks a submission must pass before anything is written, and the errors they raise.

Three stages, cheapest first: the spec on its own (`check_spec`: shape, priority, start time,
resources parsed against the installation's slot types), the spec against the database's
facts (`check_references`: scaling group, owners, images, dependencies, designated agents),
and queue admission (`check_admission`: the keypair's pending-session limits). Every error
names what is wrong and what to do; none of them leaves a row behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sokovan.common.errors import InvalidInputError
from sokovan.common.resource_slot import ResourceSlot, SlotTypes
from sokovan.common.scheduling import SESSION_PRIORITY_MAX, SESSION_PRIORITY_MIN, SessionType
from sokovan.repositories.scheduler.snapshot_types import (
    OccupancySnapshot,
    PendingKernel,
    PendingSession,
    PolicySnapshot,
    SchedulingData,
)
from sokovan.repositories.scheduler.types import ImageIdentifier
from sokovan.repositories.scheduler.write_enqueue import (
    EnqueueContext,
    EnqueueLookup,
    SessionEnqueueRecord,
)
from sokovan.scheduler.provisioner.cycle import CycleState
from sokovan.scheduler.provisioner.validators.base import Validator
from sokovan.scheduler.provisioner.validators.pending_count import PendingCountValidator
from sokovan.scheduler.provisioner.validators.pending_resource import PendingResourceValidator
from sokovan.scheduler.provisioner.validators.slot_limits import format_amount
from sokovan.scheduling_controller.types import (
    ScalingGroupInactiveError,
    SessionCreationSpec,
    SessionOwnershipError,
    SessionReferenceError,
    SessionSpecError,
)

NAME_MAX = 128
CREATION_ID_MAX = 64


# --- the spec on its own -----------------------------------------------------------------


def check_spec(spec: SessionCreationSpec, slot_types: SlotTypes) -> tuple[ResourceSlot, ...]:
    """Check what needs no database; return each kernel's parsed resources, in kernel order."""
    _check_text("name", spec.name, NAME_MAX)
    if spec.creation_id is not None:
        _check_text("creation_id", spec.creation_id, CREATION_ID_MAX)
    if not spec.kernels:
        raise SessionSpecError("a session needs at least one kernel")
    if spec.cluster_size != len(spec.kernels):
        raise SessionSpecError(
            f"cluster_size is {spec.cluster_size} but {len(spec.kernels)} kernels are given; "
            "they must match"
        )
    if not SESSION_PRIORITY_MIN <= spec.priority <= SESSION_PRIORITY_MAX:
        raise SessionSpecError(
            f"priority {spec.priority} is out of range: use {SESSION_PRIORITY_MIN}"
            f"..{SESSION_PRIORITY_MAX}"
        )
    _check_starts_at(spec)
    return tuple(_parse_resources(spec, index, slot_types) for index in range(len(spec.kernels)))


def _check_text(field: str, value: str, max_length: int) -> None:
    if not value.strip():
        raise SessionSpecError(f"{field} must not be empty")
    if len(value) > max_length:
        raise SessionSpecError(f"{field} is longer than {max_length} characters; shorten it")


def _check_starts_at(spec: SessionCreationSpec) -> None:
    if spec.starts_at is None:
        return
    if spec.starts_at.utcoffset() is None:
        raise SessionSpecError(
            "starts_at has no time zone; give it one, e.g. 2026-01-01T09:00:00+00:00"
        )
    if spec.session_type is not SessionType.BATCH:
        raise SessionSpecError(
            f"starts_at applies only to batch sessions, not to {spec.session_type} ones; "
            "drop it or submit a batch session"
        )


def _parse_resources(spec: SessionCreationSpec, index: int, slot_types: SlotTypes) -> ResourceSlot:
    try:
        return ResourceSlot.parse(spec.kernels[index].resources, slot_types)
    except InvalidInputError as exc:
        # Same error type, with the kernel named: a cluster has several resource requests.
        raise type(exc)(f"kernel {index + 1}: {exc}") from None


# --- the spec against the database ------------------------------------------------------


def lookup_of(spec: SessionCreationSpec) -> EnqueueLookup:
    """The references of `spec` that the repository must look up."""
    return EnqueueLookup(
        scaling_group=spec.scaling_group,
        access_key=spec.access_key,
        user_id=spec.user_id,
        group_id=spec.group_id,
        domain_name=spec.domain_name,
        image_names=frozenset(kernel.image for kernel in spec.kernels),
        depends_on=frozenset(spec.depends_on),
        designated_agents=frozenset(spec.designated_agent_ids or ()),
    )


def check_references(
    spec: SessionCreationSpec, slots: tuple[ResourceSlot, ...], context: EnqueueContext
) -> None:
    """Everything `spec` refers to exists, is usable, and belongs together."""
    _check_scaling_group(spec, context)
    _check_owner(spec, context)
    _check_images(spec, slots, context)
    missing = sorted(str(dep) for dep in set(spec.depends_on) - context.existing_dependencies)
    if missing:
        raise SessionReferenceError(
            f"dependencies not found: {_listing(missing)}; depend only on existing sessions"
        )
    outside = sorted(set(spec.designated_agent_ids or ()) - context.agents_in_group)
    if outside:
        raise SessionReferenceError(
            f"designated agents not in scaling group {spec.scaling_group!r}: "
            f"{_listing(outside)}; designate agents of that group"
        )


def _check_scaling_group(spec: SessionCreationSpec, context: EnqueueContext) -> None:
    if not context.scaling_group_exists:
        raise SessionReferenceError(
            f"scaling group {spec.scaling_group!r} does not exist; choose an existing one"
        )
    if context.scaling_group is None:
        raise ScalingGroupInactiveError(
            f"scaling group {spec.scaling_group!r} is inactive; choose another or reactivate it"
        )


def _check_owner(spec: SessionCreationSpec, context: EnqueueContext) -> None:
    owner = context.owner
    if owner.keypair_user_id is None:
        raise SessionReferenceError(
            f"access key {spec.access_key!r} does not exist; use a registered keypair"
        )
    if owner.user_domain is None:
        raise SessionReferenceError(f"user {spec.user_id} does not exist; check the user id")
    if owner.group_domain is None:
        raise SessionReferenceError(f"group {spec.group_id} does not exist; check the group id")
    if not owner.keypair_active:
        raise SessionOwnershipError(
            f"access key {spec.access_key!r} is inactive; use an active keypair"
        )
    if owner.keypair_user_id != spec.user_id:
        raise SessionOwnershipError(
            f"access key {spec.access_key!r} belongs to another user; use your own keypair"
        )
    if owner.user_domain != spec.domain_name or owner.group_domain != spec.domain_name:
        raise SessionOwnershipError(
            f"user and group must both belong to domain {spec.domain_name!r}"
        )
    if not owner.user_in_group:
        raise SessionOwnershipError(
            f"user {spec.user_id} is not a member of group {spec.group_id}; "
            "submit under a group you belong to"
        )
    if owner.inactive_owners:
        raise SessionOwnershipError(
            f"{_listing(owner.inactive_owners)} deactivated: no new sessions can be submitted "
            "under it; ask an administrator to reactivate it"
        )


def _check_images(
    spec: SessionCreationSpec, slots: tuple[ResourceSlot, ...], context: EnqueueContext
) -> None:
    for index, (kernel, requested) in enumerate(zip(spec.kernels, slots, strict=True), start=1):
        min_slots = context.images.get(ImageIdentifier(kernel.image, kernel.architecture))
        if min_slots is None:
            registered = sorted(
                ident.architecture for ident in context.images if ident.name == kernel.image
            )
            where = (
                f"it is registered only for {_listing(registered)}"
                if registered
                else "no such image is registered"
            )
            raise SessionReferenceError(
                f"kernel {index}: image {kernel.image!r} is not available for architecture "
                f"{kernel.architecture}: {where}"
            )
        short = min_slots.shortfall(requested)
        if short:
            raise SessionSpecError(
                f"kernel {index}: image {kernel.image!r} needs at least "
                f"{_slots_text(min_slots, short)}; request at least that much"
            )


def _slots_text(slots: ResourceSlot, which: Iterable[str]) -> str:
    return ", ".join(f"{slot} {format_amount(slot, slots[slot])}" for slot in which)


def _listing(items: Iterable[object]) -> str:
    return ", ".join(str(item) for item in items)


# --- queue admission ----------------------------------------------------------------------

#: The limits that govern admission to the queue; the SCHEDULE phase passes queued sessions.
_ADMISSION: tuple[Validator, ...] = (PendingCountValidator(), PendingResourceValidator())


def check_admission(record: SessionEnqueueRecord, context: EnqueueContext, now: datetime) -> None:
    """Raise the provisioner's pending-limit rejection if the keypair's queue is full.

    The provisioner's own validators decide, on a snapshot holding only what they read: the
    keypair's policy and its pending sessions, which do not include this submission yet.
    """
    if context.scaling_group is None:
        raise ValueError("check_admission needs a context that passed check_references")
    policy = context.keypair_policy
    data = SchedulingData(
        scaling_group=context.scaling_group,
        agents=(),
        pending_sessions=(),
        total_capacity=ResourceSlot(),
        policies=PolicySnapshot(
            by_keypair={} if policy is None else {record.access_key: policy},
            by_user={},
            by_group={},
            by_domain={},
        ),
        occupancy=OccupancySnapshot(
            by_keypair={},
            by_user={},
            by_group={},
            by_domain={},
            concurrent_sessions={},
            pending={record.access_key: context.pending},
        ),
        dependencies={},
    )
    cycle = CycleState(data, now)
    session = _as_pending(record, now)
    for validator in _ADMISSION:
        validator.validate(session, cycle)


def _as_pending(record: SessionEnqueueRecord, now: datetime) -> PendingSession:
    return PendingSession(
        session_id=record.session_id,
        creation_id=record.creation_id,
        access_key=record.access_key,
        user_id=record.user_id,
        group_id=record.group_id,
        domain_name=record.domain_name,
        priority=record.priority,
        session_type=record.session_type,
        cluster_mode=record.cluster_mode,
        cluster_size=record.cluster_size,
        requested_slots=record.requested_slots,
        kernels=tuple(
            PendingKernel(
                kernel_id=kernel.kernel_id,
                image=kernel.image,
                architecture=kernel.architecture,
                requested_slots=kernel.requested_slots,
                cluster_role=kernel.cluster_role,
                cluster_idx=kernel.cluster_idx,
            )
            for kernel in record.kernels
        ),
        designated_agent_ids=record.designated_agent_ids,
        starts_at=record.starts_at,
        created_at=now,
        depends_on=record.depends_on,
    )
