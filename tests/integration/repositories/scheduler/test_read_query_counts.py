"""Reads are set-based: their number of statements does not grow with sessions or agents."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.ids import SessionId
from sokovan.common.status import SessionStatus
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.repositories.scheduler.conditions import SessionQuerier
from support.factories import (
    KernelSpec,
    add_agent,
    add_image,
    add_scaling_group,
    add_session,
    add_tenant,
)


@contextmanager
def recorded_selects(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SELECT the engine sends while the block runs."""
    selects: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield selects
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


@pytest.fixture
def repo(db_engine: AsyncEngine) -> SchedulerRepository:
    return SchedulerRepository(db_engine)


async def _add_sessions(
    engine: AsyncEngine, count: int, status: SessionStatus, *, with_owner_each: bool = False
) -> list[SessionId]:
    """`count` sessions of three kernels each in a new domain, each depending on the previous;
    with `with_owner_each`, every session has an owner (keypair, user, group) of its own."""
    tenant = await add_tenant(engine, domain=f"d-{uuid.uuid4().hex[:8]}")
    ids: list[SessionId] = []
    for index in range(count):
        owner = tenant
        if with_owner_each and index:
            owner = await add_tenant(
                engine, domain=tenant.domain_name, create_domain=False, group=f"g{index}"
            )
        session_id, _ = await add_session(
            engine, owner, status=status, kernels=[KernelSpec()] * 3, depends_on=ids[-1:]
        )
        ids.append(session_id)
    return ids


async def test_session_searches_use_a_fixed_number_of_selects(
    db_engine: AsyncEngine, repo: SchedulerRepository
) -> None:
    await add_scaling_group(db_engine)
    await add_image(db_engine)
    counts = []
    for batch in (1, 6):
        ids = await _add_sessions(db_engine, batch, SessionStatus.TERMINATING)
        with recorded_selects(db_engine) as selects:
            assert len(await repo.search_sessions_with_kernels_for_handler(SessionQuerier(()))) > 0
            await repo.search_sessions_with_kernels_and_user(SessionQuerier(()))
            await repo.get_sessions_for_pull_by_ids(ids)
            await repo.get_terminating_sessions_by_ids(ids)
        counts.append(len(selects))

    # sessions + kernels; the same + images (twice); sessions + kernels.
    assert counts == [2 + 3 + 3 + 2] * 2


async def test_scheduling_snapshot_uses_the_same_selects_for_one_or_many_sessions(
    db_engine: AsyncEngine, repo: SchedulerRepository
) -> None:
    await add_scaling_group(db_engine)
    await add_agent(db_engine, "a0")
    await _add_sessions(db_engine, 1, SessionStatus.PENDING)
    with recorded_selects(db_engine) as few:
        assert await repo.get_scheduling_data("default") is not None

    for index in range(1, 6):
        await add_agent(db_engine, f"a{index}")
    await _add_sessions(db_engine, 8, SessionStatus.PENDING, with_owner_each=True)
    await _add_sessions(db_engine, 4, SessionStatus.RUNNING, with_owner_each=True)
    with recorded_selects(db_engine) as many:
        data = await repo.get_scheduling_data("default")

    assert data is not None
    assert len(data.pending_sessions) == 9
    assert len(many) == len(few) <= 10
