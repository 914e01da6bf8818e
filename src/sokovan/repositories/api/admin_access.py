"""Administration of keypairs and resource policies: listing and changing them.

Creation lives in `TenancyRepository`. Secret hashes never leave this module: keypairs are
returned as `KeypairInfo`.
"""

from __future__ import annotations

import sqlalchemy as sa

from sokovan.common.errors import InvalidInputError
from sokovan.common.ids import AccessKey, UserId
from sokovan.db import tables as t
from sokovan.repositories.api.statements import select_one, update_one, windowed
from sokovan.repositories.api.types import (
    KeypairChanges,
    KeypairInfo,
    ListWindow,
    ResourcePolicyChanges,
    ResourcePolicyRecord,
    assigned,
)
from sokovan.repositories.base import RepositoryBase
from sokovan.repositories.scheduler.read_rows import AnyRow

_K = t.keypairs.c
_P = t.resource_policies.c
#: The keypair columns a caller may read; the secret hash is not among them.
_KEYPAIR_COLUMNS = (
    _K.access_key,
    _K.user_id,
    _K.role,
    _K.is_active,
    _K.resource_policy,
    _K.created_at,
    _K.last_used_at,
)
_NON_NEGATIVE = ("max_concurrent_sessions", "max_pending_session_count", "max_session_lifetime")


class AccessAdminMixin(RepositoryBase):
    async def list_keypairs(self, user_id: UserId | None, window: ListWindow) -> list[KeypairInfo]:
        """Keypairs by access key, optionally of one user only."""
        statement = sa.select(*_KEYPAIR_COLUMNS).order_by(_K.access_key)
        if user_id is not None:
            statement = statement.where(_K.user_id == user_id)
        async with self._engine.connect() as conn:
            return [_keypair(row) for row in await conn.execute(windowed(statement, window))]

    async def get_keypair_info(self, access_key: AccessKey) -> KeypairInfo | None:
        async with self._engine.connect() as conn:
            row = await select_one(conn, t.keypairs, (_K.access_key, access_key))
        return None if row is None else _keypair(row)

    async def update_keypair(self, access_key: AccessKey, changes: KeypairChanges) -> KeypairInfo:
        """Apply `changes`; NotFoundError for an unknown keypair or policy."""
        async with self._engine.begin() as conn:
            row = await update_one(
                conn, t.keypairs, (_K.access_key, access_key), assigned(changes), "keypair"
            )
        return _keypair(row)

    async def list_resource_policies(self, window: ListWindow) -> list[ResourcePolicyRecord]:
        """Resource policies by name."""
        statement = windowed(sa.select(t.resource_policies).order_by(_P.name), window)
        async with self._engine.connect() as conn:
            return [_policy(row) for row in await conn.execute(statement)]

    async def get_resource_policy(self, name: str) -> ResourcePolicyRecord | None:
        async with self._engine.connect() as conn:
            row = await select_one(conn, t.resource_policies, (_P.name, name))
        return None if row is None else _policy(row)

    async def update_resource_policy(
        self, name: str, changes: ResourcePolicyChanges
    ) -> ResourcePolicyRecord:
        """Apply `changes`; InvalidInputError for a negative count or lifetime (nothing is
        written), NotFoundError for an unknown policy."""
        values = assigned(changes)
        for column in _NON_NEGATIVE:
            _check_not_negative(column, values.get(column))
        async with self._engine.begin() as conn:
            row = await update_one(
                conn, t.resource_policies, (_P.name, name), values, "resource policy"
            )
        return _policy(row)


def _check_not_negative(name: str, value: float | None) -> None:
    if value is not None and value < 0:
        raise InvalidInputError(f"{name} must not be negative, not {value}")


def _keypair(row: AnyRow) -> KeypairInfo:
    return KeypairInfo(
        access_key=AccessKey(row.access_key),
        user_id=UserId(row.user_id),
        role=row.role,
        is_active=row.is_active,
        resource_policy=row.resource_policy,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
    )


def _policy(row: AnyRow) -> ResourcePolicyRecord:
    return ResourcePolicyRecord(
        name=row.name,
        total_resource_slots=row.total_resource_slots,
        max_concurrent_sessions=row.max_concurrent_sessions,
        max_pending_session_count=row.max_pending_session_count,
        max_pending_session_resource_slots=row.max_pending_session_resource_slots,
        max_session_lifetime=row.max_session_lifetime,
        created_at=row.created_at,
    )
