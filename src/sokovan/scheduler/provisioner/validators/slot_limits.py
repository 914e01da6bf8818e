"""Slot-limit arithmetic shared by the resource quotas and the pending-resource limit.

A limit applies only to the slots its policy names (an empty policy is unlimited), and only to
the slots the session asks for: a session that requests no GPU cannot push a GPU quota over,
so an overshoot it did not cause (say, after a quota was lowered) does not block it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sokovan.common.resource_slot import DEFAULT_SLOT_TYPES, ResourceSlot, SlotKind
from sokovan.repositories.scheduler.snapshot_types import ResourcePolicySnapshot
from sokovan.scheduler.provisioner.errors import QuotaExceeded

_BINARY_UNITS = tuple((suffix, Decimal(1024) ** power) for power, suffix in enumerate("kmgtpe", 1))


def format_amount(slot: str, amount: Decimal) -> str:
    """Exact, in the syntax users type: 195, 0.5; byte slots in the largest whole unit (32g).

    Never rounds: 1.5 GiB reads 1536m, and an amount no unit divides stays in bytes.
    """
    if amount and DEFAULT_SLOT_TYPES.kinds.get(slot) is SlotKind.BYTES:
        for suffix, size in reversed(_BINARY_UNITS):
            if amount % size == 0:
                return f"{_plain(amount / size)}{suffix}"
    return _plain(amount)


def _plain(amount: Decimal) -> str:
    """195 rather than 1.95E+2 or 195.00; strips zeros as text, so no digit is ever rounded."""
    text = format(amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True, slots=True)
class SlotOverrun:
    """One slot where what is held plus what is requested exceeds the limit."""

    slot: str
    held: Decimal
    requested: Decimal
    limit: Decimal

    def __str__(self) -> str:
        held, requested, limit = (
            format_amount(self.slot, amount) for amount in (self.held, self.requested, self.limit)
        )
        return f"{self.slot} {held} + {requested} > {limit}"


def slot_overruns(
    held: ResourceSlot, requested: ResourceSlot, limits: ResourceSlot
) -> tuple[SlotOverrun, ...]:
    """The slots named in `limits` and asked for by `requested` that held + requested exceeds."""
    overruns = (
        SlotOverrun(slot, held.amount(slot), requested.amount(slot), limit)
        for slot, limit in limits.items()
        if requested.amount(slot) > 0
    )
    return tuple(o for o in overruns if o.held + o.requested > o.limit)


def describe_overruns(overruns: tuple[SlotOverrun, ...]) -> str:
    return ", ".join(str(overrun) for overrun in overruns)


def check_quota(
    scope: str,
    policy: ResourcePolicySnapshot | None,
    occupied: Callable[[], ResourceSlot],
    requested: ResourceSlot,
) -> None:
    """Raise `QuotaExceeded` when occupied + requested exceeds the policy's total slots.

    `scope` names the owner kind ("keypair", "user", "group", "domain"); None = no policy.
    `occupied` is asked for only when the policy limits some slot: most owners have no
    limit, and summing what an owner holds is the expensive part of the check.
    """
    if policy is None or not policy.total_resource_slots:
        return
    overruns = slot_overruns(occupied(), requested, policy.total_resource_slots)
    if overruns:
        raise QuotaExceeded(
            f"{scope} quota: {describe_overruns(overruns)} (policy '{policy.name}'); "
            "wait for running sessions to finish or request fewer resources"
        )
