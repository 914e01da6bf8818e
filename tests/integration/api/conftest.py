"""The API world on both backends (see `api_world`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from integration.api.api_world import (
    NOW,
    ApiWorld,
    build_context,
    client_for,
    populate,
)
from sokovan.api import create_app
from sokovan.common.clock import ManualClock
from sokovan.infra.valkey_schedule.memory import InMemoryValkeySchedule


@pytest.fixture
async def world(db_engine: AsyncEngine) -> AsyncIterator[ApiWorld]:
    admin, alice, bob = await populate(db_engine)
    clock = ManualClock(NOW)
    store = InMemoryValkeySchedule(clock)
    repository, context = build_context(db_engine, clock, store)
    app = create_app(context)
    async with client_for(app) as client:
        yield ApiWorld(
            engine=db_engine,
            clock=clock,
            store=store,
            scheduler_repository=repository,
            context=context,
            app=app,
            client=client,
            admin=admin,
            alice=alice,
            bob=bob,
        )
