"""Seed 000 CP-003 / CP-004: sessions of a deactivated domain or group do not run.

Reconciled with seeds 001/002: CHECK_PRECONDITION only triggers image pulls, so the check sits
at submission, where a refusal is immediate and leaves nothing behind.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from integration.scheduling_controller.controller_setup import Harness, harness, spec_for
from sokovan.db import tables as t
from sokovan.scheduling_controller.types import SessionOwnershipError
from support.factories import Tenant, add_image, add_scaling_group, add_tenant


@pytest.fixture
async def world(db_engine: AsyncEngine) -> tuple[Harness, Tenant]:
    tenant = await add_tenant(db_engine)
    await add_scaling_group(db_engine)
    await add_image(db_engine)
    return harness(db_engine), tenant


async def _deactivate(engine: AsyncEngine, table: sa.Table, where: sa.ColumnElement[bool]) -> None:
    async with engine.begin() as conn:
        await conn.execute(table.update().where(where).values(is_active=False))


async def test_cp_003_a_deactivated_domain_refuses_new_sessions(
    world: tuple[Harness, Tenant],
) -> None:
    h, tenant = world
    await _deactivate(h.engine, t.domains, t.domains.c.name == tenant.domain_name)

    with pytest.raises(SessionOwnershipError, match="domain 'default' deactivated"):
        await h.controller.enqueue_session(spec_for(tenant))
    assert (await h.row_counts())["sessions"] == 0


async def test_cp_004_a_deactivated_group_refuses_new_sessions(
    world: tuple[Harness, Tenant],
) -> None:
    h, tenant = world
    await _deactivate(h.engine, t.groups, t.groups.c.id == tenant.group_id)

    with pytest.raises(SessionOwnershipError, match="group 'default' deactivated"):
        await h.controller.enqueue_session(spec_for(tenant))
    assert (await h.row_counts())["sessions"] == 0


async def test_a_deactivated_user_refuses_new_sessions(world: tuple[Harness, Tenant]) -> None:
    h, tenant = world
    await _deactivate(h.engine, t.users, t.users.c.id == tenant.user_id)

    with pytest.raises(SessionOwnershipError, match=r"user '.*' deactivated"):
        await h.controller.enqueue_session(spec_for(tenant))
