"""AgentRepository.handle_heartbeat: registration, updates, incarnations, revivals."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sokovan.common.clock import ManualClock
from sokovan.common.errors import InvalidInputError, NotFoundError
from sokovan.common.ids import AgentId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import AgentStatus
from sokovan.db import tables as t
from sokovan.repositories.agent import AgentHeartbeat, AgentRepository, HeartbeatOutcome
from support.factories import T0, add_scaling_group
from support.rival import rival_transaction

HEARTBEAT = AgentHeartbeat(
    agent_id=AgentId("agent-1"),
    instance_id="i-0001",
    scaling_group="default",
    architecture="x86_64",
    available_slots=ResourceSlot({"cpu": 8, "mem": 32 * 2**30, "cuda.shares": "2.5"}),
    addr="http://10.0.0.5:6001",
    watcher_addr="http://10.0.0.5:6009",
    version="0.1.0",
)


async def test_first_heartbeat_registers_the_agent(repo: AgentRepository) -> None:
    outcome = await repo.handle_heartbeat(HEARTBEAT)

    agent = await repo.get_agent(HEARTBEAT.agent_id)
    assert outcome is HeartbeatOutcome.REGISTERED
    assert agent.status is AgentStatus.ALIVE
    assert agent.first_contact == agent.last_heartbeat == agent.status_changed == T0
    assert agent.instance_id == "i-0001"
    assert agent.available_slots == HEARTBEAT.available_slots
    assert agent.occupied_slots == ResourceSlot()
    assert agent.container_count == 0
    assert (agent.addr, agent.watcher_addr, agent.version) == (
        "http://10.0.0.5:6001",
        "http://10.0.0.5:6009",
        "0.1.0",
    )
    assert agent.schedulable is True
    assert agent.lost_at is None


async def test_heartbeat_of_same_instance_updates_without_status_change(
    repo: AgentRepository, clock: ManualClock
) -> None:
    await repo.handle_heartbeat(HEARTBEAT)
    clock.advance(timedelta(seconds=10))

    outcome = await repo.handle_heartbeat(
        dataclasses.replace(HEARTBEAT, available_slots=ResourceSlot({"cpu": 16}), version="0.2")
    )

    agent = await repo.get_agent(HEARTBEAT.agent_id)
    assert outcome is HeartbeatOutcome.UPDATED
    assert agent.last_heartbeat == T0 + timedelta(seconds=10)
    assert agent.status_changed == T0
    assert agent.first_contact == T0
    assert agent.available_slots == ResourceSlot({"cpu": 16})
    assert agent.version == "0.2"


async def test_heartbeat_with_new_instance_id_is_a_reincarnation(
    repo: AgentRepository, clock: ManualClock
) -> None:
    await repo.handle_heartbeat(HEARTBEAT)
    clock.advance(timedelta(seconds=3))

    outcome = await repo.handle_heartbeat(dataclasses.replace(HEARTBEAT, instance_id="i-0002"))

    agent = await repo.get_agent(HEARTBEAT.agent_id)
    assert outcome is HeartbeatOutcome.REINCARNATED
    assert agent.instance_id == "i-0002"
    assert agent.status is AgentStatus.ALIVE
    assert agent.status_changed == T0
    assert agent.first_contact == T0
    assert agent.last_heartbeat == T0 + timedelta(seconds=3)


@pytest.mark.parametrize("left_as", [AgentStatus.LOST, AgentStatus.TERMINATED])
async def test_heartbeat_of_lost_or_terminated_agent_revives_it(
    repo: AgentRepository, clock: ManualClock, left_as: AgentStatus
) -> None:
    await repo.handle_heartbeat(HEARTBEAT)
    clock.advance(timedelta(minutes=1))
    if left_as is AgentStatus.LOST:
        assert await repo.mark_lost_agents(heartbeat_timeout=30) == [HEARTBEAT.agent_id]
    else:
        assert await repo.mark_agent_terminated(HEARTBEAT.agent_id) is True
    clock.advance(timedelta(minutes=1))

    outcome = await repo.handle_heartbeat(dataclasses.replace(HEARTBEAT, instance_id="i-0002"))

    agent = await repo.get_agent(HEARTBEAT.agent_id)
    assert outcome is HeartbeatOutcome.REVIVED
    assert agent.status is AgentStatus.ALIVE
    assert agent.status_changed == T0 + timedelta(minutes=2)
    assert agent.lost_at is None
    assert agent.instance_id == "i-0002"


async def test_heartbeat_for_unknown_scaling_group_writes_nothing(
    repo: AgentRepository, db_engine: AsyncEngine
) -> None:
    with pytest.raises(NotFoundError, match=r"scaling group 'nowhere'.*does not exist"):
        await repo.handle_heartbeat(dataclasses.replace(HEARTBEAT, scaling_group="nowhere"))

    async with db_engine.connect() as conn:
        assert (await conn.execute(sa.select(t.agents))).all() == []


async def test_heartbeat_moving_to_unknown_scaling_group_leaves_row_untouched(
    repo: AgentRepository, clock: ManualClock
) -> None:
    await repo.handle_heartbeat(HEARTBEAT)
    before = await repo.get_agent(HEARTBEAT.agent_id)
    clock.advance(timedelta(seconds=5))

    with pytest.raises(NotFoundError):
        await repo.handle_heartbeat(
            dataclasses.replace(HEARTBEAT, scaling_group="nowhere", instance_id="i-9")
        )

    assert await repo.get_agent(HEARTBEAT.agent_id) == before


async def test_heartbeat_may_move_agent_to_another_existing_scaling_group(
    repo: AgentRepository, db_engine: AsyncEngine
) -> None:
    await add_scaling_group(db_engine, "gpu")
    await repo.handle_heartbeat(HEARTBEAT)

    await repo.handle_heartbeat(dataclasses.replace(HEARTBEAT, scaling_group="gpu"))

    assert (await repo.get_agent(HEARTBEAT.agent_id)).scaling_group == "gpu"


async def test_concurrent_first_heartbeats_register_exactly_once(
    repo: AgentRepository, db_engine: AsyncEngine
) -> None:
    outcomes = await asyncio.gather(
        *(repo.handle_heartbeat(HEARTBEAT) for _ in range(4)),
    )

    assert sorted(outcomes) == sorted(
        [HeartbeatOutcome.REGISTERED] + [HeartbeatOutcome.UPDATED] * 3
    )
    async with db_engine.connect() as conn:
        count = await conn.scalar(sa.select(sa.func.count()).select_from(t.agents))
    assert count == 1


async def test_registration_that_loses_a_race_becomes_an_update(
    repo: AgentRepository, database_url: str
) -> None:
    async def register_first(conn: AsyncConnection) -> None:
        await conn.execute(
            t.agents.insert().values(
                id=HEARTBEAT.agent_id,
                instance_id=HEARTBEAT.instance_id,
                status=AgentStatus.ALIVE,
                status_changed=T0,
                scaling_group="default",
                architecture="x86_64",
                available_slots=ResourceSlot(),
                occupied_slots=ResourceSlot(),
                addr=HEARTBEAT.addr,
                first_contact=T0,
                last_heartbeat=T0,
            )
        )

    # The heartbeat runs into the rival's uncommitted insert and waits for it (a unique-key
    # wait on PostgreSQL, the write lock on SQLite).
    async with rival_transaction(database_url, register_first):
        outcome = await repo.handle_heartbeat(HEARTBEAT)

    assert outcome is HeartbeatOutcome.UPDATED
    agent = await repo.get_agent(HEARTBEAT.agent_id)
    assert agent.available_slots == HEARTBEAT.available_slots


@pytest.mark.parametrize(
    "change",
    [{"agent_id": ""}, {"agent_id": "x" * 65}, {"instance_id": ""}, {"addr": ""}],
)
def test_malformed_heartbeat_is_refused_on_construction(change: dict[str, str]) -> None:
    with pytest.raises(InvalidInputError):
        dataclasses.replace(HEARTBEAT, **change)  # type: ignore[arg-type]
