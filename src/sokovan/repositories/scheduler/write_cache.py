"""Keypair occupancy, served through the repository's in-process TTL cache.

The cache belongs to one repository instance and is created on first use (the shared
`RepositoryBase.__init__` knows nothing about it). Writers of this repository invalidate the
access keys they touch after committing; the coordinator's cache-invalidation post-processor
does the same through `invalidate_kernel_related_cache`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.ids import AccessKey
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.base import RepositoryBase
from sokovan.repositories.scheduler.occupancy_cache import TtlCache
from sokovan.repositories.scheduler.types import KeypairOccupancy
from sokovan.repositories.scheduler.write_bulk import id_filters

#: How long another manager's writes may stay invisible to this process's cached reads.
OCCUPANCY_CACHE_TTL = timedelta(seconds=10)

_S = t.sessions.c
_OCCUPYING = SessionStatus.resource_occupied_statuses()


class KeypairOccupancyMixin(RepositoryBase):
    _occupancy_cache_instance: TtlCache[AccessKey, KeypairOccupancy] | None = None

    @property
    def _occupancy_cache(self) -> TtlCache[AccessKey, KeypairOccupancy]:
        if self._occupancy_cache_instance is None:
            self._occupancy_cache_instance = TtlCache(self._clock, OCCUPANCY_CACHE_TTL)
        return self._occupancy_cache_instance

    async def get_keypair_occupancy(
        self, access_keys: Sequence[AccessKey]
    ) -> dict[AccessKey, KeypairOccupancy]:
        """Occupancy of each access key (zeros for keys without sessions), cached per key.

        Occupied slots and the concurrent count cover sessions in resource-occupying
        statuses; the pending count covers PENDING sessions. All scaling groups count.
        """
        wanted = list(dict.fromkeys(access_keys))
        cache = self._occupancy_cache
        found = cache.get_many(wanted)
        missing = [key for key in wanted if key not in found]
        if missing:
            token = cache.begin_read()
            async with self._engine.connect() as conn:
                fresh = await read_keypair_occupancy(conn, missing)
            cache.put_many(fresh, token)
            found.update(fresh)
        return {key: found[key] for key in wanted}

    async def invalidate_kernel_related_cache(self, access_keys: Sequence[AccessKey]) -> None:
        """Drop the cached occupancy of `access_keys`; the next read goes to the database."""
        self._forget_occupancy(access_keys)

    def _forget_occupancy(self, access_keys: Iterable[AccessKey]) -> None:
        self._occupancy_cache.invalidate(access_keys)


async def read_keypair_occupancy(
    conn: AsyncConnection, access_keys: Collection[AccessKey]
) -> dict[AccessKey, KeypairOccupancy]:
    """Occupancy of every key in `access_keys` (one statement for any number of keys)."""
    slots: dict[str, ResourceSlot] = defaultdict(ResourceSlot)
    concurrent: dict[str, int] = defaultdict(int)
    pending: dict[str, int] = defaultdict(int)
    for matching in id_filters(conn, _S.access_key, access_keys):
        rows = await conn.execute(
            sa.select(_S.access_key, _S.status, _S.occupying_slots).where(
                matching,
                _S.status.in_([*_OCCUPYING, SessionStatus.PENDING]),
            )
        )
        for access_key, status, occupying in rows:
            if status is SessionStatus.PENDING:
                pending[access_key] += 1
            else:
                slots[access_key] = slots[access_key] + occupying
                concurrent[access_key] += 1
    return {
        key: KeypairOccupancy(key, slots[key], concurrent[key], pending[key]) for key in access_keys
    }
