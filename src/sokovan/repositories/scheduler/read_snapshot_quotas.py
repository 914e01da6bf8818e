"""Placement snapshot, part two: resource policies and current usage of the pending owners.

Quotas are global: usage counts sessions in every scaling group, but only for the keypairs,
users, groups and domains that own a pending session in the group being scheduled. Slots are
summed here, in Python, because JSON columns cannot be summed portably in SQL.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.ids import AccessKey, GroupId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.scheduler.read_slots import SlotsReader, slots_text
from sokovan.repositories.scheduler.read_snapshot_sessions import pending_in_group
from sokovan.repositories.scheduler.snapshot_types import (
    OccupancySnapshot,
    PendingSession,
    PendingStats,
    PolicySnapshot,
    ResourcePolicySnapshot,
)

K = TypeVar("K", bound=Hashable)

_OWNER_COLUMNS = ("access_key", "user_id", "group_id", "domain_name")
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class PendingOwners:
    """Everyone who owns at least one of the pending sessions, at each quota level."""

    access_keys: frozenset[AccessKey]
    user_ids: frozenset[UserId]
    group_ids: frozenset[GroupId]
    domain_names: frozenset[str]

    @classmethod
    def of(cls, sessions: Sequence[PendingSession]) -> PendingOwners:
        return cls(
            access_keys=frozenset(s.access_key for s in sessions),
            user_ids=frozenset(s.user_id for s in sessions),
            group_ids=frozenset(s.group_id for s in sessions),
            domain_names=frozenset(s.domain_name for s in sessions),
        )


async def load_policies(conn: AsyncConnection, scaling_group: str) -> PolicySnapshot:
    """The policy each pending owner references; owners referencing none are absent."""
    return PolicySnapshot(
        by_keypair=await _policies_of(conn, t.keypairs, "access_key", "access_key", scaling_group),
        by_user=await _policies_of(conn, t.users, "id", "user_id", scaling_group),
        by_group=await _policies_of(conn, t.groups, "id", "group_id", scaling_group),
        by_domain=await _policies_of(conn, t.domains, "name", "domain_name", scaling_group),
    )


async def _policies_of(
    conn: AsyncConnection, owners: sa.Table, key: str, session_column: str, scaling_group: str
) -> dict[Any, ResourcePolicySnapshot]:
    policies = t.resource_policies
    rows = await conn.execute(
        sa.select(owners.c[key].label("owner"), policies)
        .select_from(owners.join(policies, owners.c.resource_policy == policies.c.name))
        .where(owners.c[key].in_(pending_in_group(scaling_group, session_column)))
    )
    return {
        row.owner: ResourcePolicySnapshot(
            name=row.name,
            total_resource_slots=row.total_resource_slots,
            max_concurrent_sessions=row.max_concurrent_sessions,
            max_pending_session_count=row.max_pending_session_count,
            max_pending_session_resource_slots=row.max_pending_session_resource_slots,
        )
        for row in rows
    }


async def load_occupancy(
    conn: AsyncConnection, scaling_group: str, owners: PendingOwners
) -> OccupancySnapshot:
    """Usage of every pending owner across all scaling groups.

    Every owner has an entry, zero when it holds nothing, so validators never miss a key.
    The database counts the sessions of each combination of owners (keypair, user, group,
    domain), status and slots; a queue of thousands holds a few dozen owners and slot shapes,
    so Python sums far fewer rows: once per combination of owners, then per owner at each
    level.
    """
    sessions = t.sessions.c
    counted = {*SessionStatus.resource_occupied_statuses(), SessionStatus.PENDING}
    owned_by_pending_owner = sa.or_(
        *(
            sessions[column].in_(pending_in_group(scaling_group, column))
            for column in _OWNER_COLUMNS
        )
    )
    # What a session counts with: its occupied slots, or its request while it waits.
    slots = sa.case(
        (sessions.status == SessionStatus.PENDING, sessions.requested_slots),
        else_=sessions.occupying_slots,
    )
    # Grouped in an outer query: PostgreSQL would not match the slot expression of a GROUP BY
    # to the select list's, as each has its own bind parameter.
    counted_sessions = (
        sa.select(
            *(sessions[column] for column in _OWNER_COLUMNS),
            sessions.status,
            slots_text(slots, "slots"),
        )
        .where(sessions.status.in_(sorted(counted)), owned_by_pending_owner)
        .subquery()
    )
    grouped = (
        *(counted_sessions.c[column] for column in _OWNER_COLUMNS),
        counted_sessions.c.status,
    )
    result = await conn.execute(
        sa.select(*grouped, counted_sessions.c.slots, sa.func.count()).group_by(
            *grouped, counted_sessions.c.slots
        )
    )
    held, queued, read = _SlotSums(), _SlotSums(), SlotsReader()
    for *owner, status, text, sessions_alike in result:
        sums = queued if status is SessionStatus.PENDING else held
        sums.add(tuple(owner), read(text), sessions_alike)
    waiting = queued.counts(0, owners.access_keys)
    asked = queued.per_owner(0, owners.access_keys)
    return OccupancySnapshot(
        by_keypair=held.per_owner(0, owners.access_keys),
        by_user=held.per_owner(1, owners.user_ids),
        by_group=held.per_owner(2, owners.group_ids),
        by_domain=held.per_owner(3, owners.domain_names),
        concurrent_sessions=held.counts(0, owners.access_keys),
        pending={key: PendingStats(waiting[key], asked[key]) for key in owners.access_keys},
    )


class _SlotSums:
    """Exact per-slot sums and session counts, keyed by a tuple of owners."""

    def __init__(self) -> None:
        self._sums: defaultdict[tuple[Any, ...], dict[str, Decimal]] = defaultdict(dict)
        self._counts: Counter[tuple[Any, ...]] = Counter()

    def add(self, owners: tuple[Any, ...], slots: ResourceSlot, sessions: int) -> None:
        """Count `sessions` sessions of `owners` holding `slots` each."""
        total = self._sums[owners]
        for slot, amount in slots.items():
            # amount × n equals n additions of amount (exact within the decimal context, as
            # the sums themselves are).
            total[slot] = total.get(slot, _ZERO) + amount * sessions
        self._counts[owners] += sessions

    def per_owner(self, level: int, wanted: frozenset[K]) -> dict[K, ResourceSlot]:
        """The sums rolled up to the owners at position `level` of the keys (zero if none)."""
        totals: dict[K, dict[str, Decimal]] = {owner: {} for owner in wanted}
        for owners, sums in self._sums.items():
            total = totals.get(owners[level])
            if total is not None:
                for slot, amount in sums.items():
                    total[slot] = total.get(slot, _ZERO) + amount
        return {owner: ResourceSlot(sums) for owner, sums in totals.items()}

    def counts(self, level: int, wanted: frozenset[K]) -> dict[K, int]:
        counts = dict.fromkeys(wanted, 0)
        for owners, count in self._counts.items():
            if owners[level] in counts:
                counts[owners[level]] += count
        return counts
