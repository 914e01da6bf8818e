"""Placement snapshot, part two: resource policies and current usage of the pending owners.

Quotas are global: usage counts sessions in every scaling group, but only for the keypairs,
users, groups and domains that own a pending session in the group being scheduled. Slots are
summed here, in Python, because JSON columns cannot be summed portably in SQL.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.ids import AccessKey, GroupId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.scheduler.read_rows import AnyRow
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
    """
    sessions = t.sessions.c
    counted = {*SessionStatus.resource_occupied_statuses(), SessionStatus.PENDING}
    owned_by_pending_owner = sa.or_(
        *(
            sessions[column].in_(pending_in_group(scaling_group, column))
            for column in _OWNER_COLUMNS
        )
    )
    result = await conn.execute(
        sa.select(
            *(sessions[column] for column in _OWNER_COLUMNS),
            sessions.status,
            sessions.occupying_slots,
            sessions.requested_slots,
        ).where(sessions.status.in_(sorted(counted)), owned_by_pending_owner)
    )
    rows = result.all()
    occupying = [row for row in rows if row.status is not SessionStatus.PENDING]
    queued = [row for row in rows if row.status is SessionStatus.PENDING]
    return OccupancySnapshot(
        by_keypair=_sum_occupying(occupying, "access_key", owners.access_keys),
        by_user=_sum_occupying(occupying, "user_id", owners.user_ids),
        by_group=_sum_occupying(occupying, "group_id", owners.group_ids),
        by_domain=_sum_occupying(occupying, "domain_name", owners.domain_names),
        concurrent_sessions=_count_by_access_key(occupying, owners.access_keys),
        pending=_pending_by_access_key(queued, owners.access_keys),
    )


def _sum_occupying(
    rows: Iterable[AnyRow], column: str, wanted: frozenset[K]
) -> dict[K, ResourceSlot]:
    totals: dict[K, ResourceSlot] = dict.fromkeys(wanted, ResourceSlot())
    for row in rows:
        key = row._mapping[column]
        if key in totals:
            totals[key] = totals[key] + row.occupying_slots
    return totals


def _count_by_access_key(
    rows: Iterable[AnyRow], wanted: frozenset[AccessKey]
) -> dict[AccessKey, int]:
    counts = dict.fromkeys(wanted, 0)
    for row in rows:
        if row.access_key in counts:
            counts[row.access_key] += 1
    return counts


def _pending_by_access_key(
    rows: Iterable[AnyRow], wanted: frozenset[AccessKey]
) -> dict[AccessKey, PendingStats]:
    stats = dict.fromkeys(wanted, PendingStats())
    for row in rows:
        if (current := stats.get(row.access_key)) is not None:
            stats[row.access_key] = PendingStats(
                current.count + 1, current.slots + row.requested_slots
            )
    return stats
