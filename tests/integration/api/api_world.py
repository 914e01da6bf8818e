"""The API on a real database: an app, an HTTP client, and callers with working keypairs.

The world: domain "default" with one group, a superadmin and two users (alice, bob) in it,
scaling group "default" with ALIVE agents a1 (8 cpu, 32g) and a2 (4 cpu, 16g), and image
python:3.11 on x86_64. Every keypair's secret is `SECRET`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.api import ApiConfig, ApiContext
from sokovan.auth.secrets import hash_secret
from sokovan.common.clock import ManualClock
from sokovan.common.resource_slot import DEFAULT_SLOT_TYPES
from sokovan.common.scheduling import UserRole
from sokovan.db import tables as t
from sokovan.infra.valkey_schedule.memory import InMemoryValkeySchedule
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.scheduling_controller import SchedulingController
from support.factories import T0, Tenant, add_agent, add_image, add_scaling_group, add_tenant

NOW = T0 + timedelta(hours=1)
SECRET = "api-test-secret"
GIB = 2**30


@functools.cache
def secret_hash() -> str:
    """One scrypt hash of `SECRET` for the whole run: hashing is slow on purpose."""
    return hash_secret(SECRET)


@dataclass(frozen=True)
class Caller:
    tenant: Tenant
    role: UserRole

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tenant.access_key}:{SECRET}"}


async def add_caller(
    engine: AsyncEngine, username: str, *, role: UserRole = UserRole.USER, **tenant: Any
) -> Caller:
    """A tenant (see `add_tenant`) whose user and keypair have `role` and whose secret works."""
    created = await add_tenant(engine, username=username, **tenant)
    async with engine.begin() as conn:
        await conn.execute(
            t.keypairs.update()
            .where(t.keypairs.c.access_key == created.access_key)
            .values(secret_key_hash=secret_hash(), role=role)
        )
        await conn.execute(
            t.users.update().where(t.users.c.id == created.user_id).values(role=role)
        )
    return Caller(created, role)


@dataclass(frozen=True)
class ApiWorld:
    engine: AsyncEngine
    clock: ManualClock
    store: InMemoryValkeySchedule
    scheduler_repository: SchedulerRepository
    context: ApiContext
    app: FastAPI
    client: httpx.AsyncClient
    admin: Caller
    alice: Caller
    bob: Caller

    async def row_counts(self) -> dict[str, int]:
        """Rows per table: equal before and after means nothing was written."""
        async with self.engine.connect() as conn:
            return {
                table.name: await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0
                for table in t.metadata.sorted_tables
            }


#: Waits poll fast in tests.
TEST_CONFIG = ApiConfig(wait_poll_interval=0.02)


def build_context(
    engine: AsyncEngine,
    clock: ManualClock,
    store: InMemoryValkeySchedule,
    config: ApiConfig = TEST_CONFIG,
    **ports: Any,
) -> tuple[SchedulerRepository, ApiContext]:
    """The real repositories and controller on `engine`; `ports` go to `from_engine`."""
    repository = SchedulerRepository(engine, clock)
    controller = SchedulingController(repository, store, DEFAULT_SLOT_TYPES, clock)
    context = ApiContext.from_engine(engine, controller, store, clock=clock, config=config, **ports)
    return repository, context


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sokovan")


async def populate(engine: AsyncEngine) -> tuple[Caller, Caller, Caller]:
    """The world's rows; returns (admin, alice, bob)."""
    admin = await add_caller(engine, "admin", role=UserRole.SUPERADMIN)
    group_id = admin.tenant.group_id
    alice = await add_caller(engine, "alice", create_domain=False, group_id=group_id)
    bob = await add_caller(engine, "bob", create_domain=False, group_id=group_id)
    await add_scaling_group(engine, "default")
    await add_agent(engine, "a1", available={"cpu": 8, "mem": 32 * GIB})
    await add_agent(engine, "a2", available={"cpu": 4, "mem": 16 * GIB})
    await add_image(engine, "python:3.11")
    return admin, alice, bob
