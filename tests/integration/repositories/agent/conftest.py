"""Fixtures for AgentRepository tests: a manual clock, the repository, a scaling group."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.clock import ManualClock
from sokovan.repositories.agent import AgentRepository
from support.factories import T0, add_scaling_group


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
async def repo(db_engine: AsyncEngine, clock: ManualClock) -> AgentRepository:
    await add_scaling_group(db_engine, "default")
    return AgentRepository(db_engine, clock)
