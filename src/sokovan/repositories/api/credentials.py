"""The keypair lookup behind API authentication."""

from __future__ import annotations

import sqlalchemy as sa

from sokovan.common.ids import AccessKey, UserId
from sokovan.db import tables as t
from sokovan.repositories.api.types import CredentialRecord
from sokovan.repositories.base import RepositoryBase


class CredentialsMixin(RepositoryBase):
    async def get_credential(self, access_key: AccessKey) -> CredentialRecord | None:
        """The keypair with its owner's role and domain, or None; one statement."""
        keypairs, users, domains = t.keypairs.c, t.users.c, t.domains.c
        statement = (
            sa.select(
                keypairs.access_key,
                keypairs.secret_key_hash,
                keypairs.role.label("keypair_role"),
                keypairs.is_active.label("keypair_active"),
                users.id.label("user_id"),
                users.role.label("user_role"),
                users.is_active.label("user_active"),
                domains.name.label("domain_name"),
                domains.is_active.label("domain_active"),
            )
            .select_from(
                t.keypairs.join(t.users, users.id == keypairs.user_id).join(
                    t.domains, domains.name == users.domain_name
                )
            )
            .where(keypairs.access_key == access_key)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(statement)).one_or_none()
        if row is None:
            return None
        return CredentialRecord(
            access_key=AccessKey(row.access_key),
            secret_key_hash=row.secret_key_hash,
            keypair_role=row.keypair_role,
            user_id=UserId(row.user_id),
            user_role=row.user_role,
            domain_name=row.domain_name,
            active=bool(row.keypair_active and row.user_active and row.domain_active),
        )
