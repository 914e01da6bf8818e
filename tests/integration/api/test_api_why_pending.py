"""Why a PENDING session waits, and where it stands, after one real placement cycle."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from integration.api.api_world import ApiWorld
from sokovan.repositories.scheduler.conditions import SessionConditions, SessionQuerier
from sokovan.scheduler.handlers.lifecycle.schedule_sessions import (
    ScheduleSessionsLifecycleHandler,
)
from sokovan.scheduler.provisioner.allocators.repository_allocator import RepositoryAllocator
from sokovan.scheduler.provisioner.provisioner import SessionProvisioner
from sokovan.scheduler.recorder.history import skipped_history


async def _run_schedule_cycle(world: ApiWorld) -> None:
    """What the coordinator does for SCHEDULE on "default": run the handler, record skips."""
    repository = world.scheduler_repository
    provisioner = SessionProvisioner(
        RepositoryAllocator(repository), world.store, clock=world.clock
    )
    handler = ScheduleSessionsLifecycleHandler(repository, provisioner)
    pending = await repository.search_sessions_with_kernels_for_handler(
        SessionQuerier(
            (
                SessionConditions.by_scaling_group("default"),
                SessionConditions.by_statuses(handler.spec.target_statuses),
            )
        )
    )
    result = await handler.execute("default", pending)
    await repository.create_scheduling_history(skipped_history(handler.spec.name, result.skipped))


async def _submit(world: ApiWorld, cpu: str) -> str:
    response = await world.client.post(
        "/v1/sessions",
        json={"image": "python:3.11", "resources": {"cpu": cpu}},
        headers=world.alice.headers,
    )
    assert response.status_code == 201, response.text
    # FIFO orders by submission time: keep the submissions apart.
    world.clock.advance(timedelta(seconds=1))
    session_id: str = response.json()["id"]
    return session_id


async def _detail(world: ApiWorld, session_id: str) -> Any:
    response = await world.client.get(f"/v1/sessions/{session_id}", headers=world.alice.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_pending_session_explains_why_it_waits_and_its_queue_position(
    world: ApiWorld,
) -> None:
    # a1 has 8 cpu, a2 has 4: the first session takes a1, the next two cannot be placed.
    placed = await _submit(world, "8")
    first_waiting = await _submit(world, "6")
    second_waiting = await _submit(world, "5")
    before = await _detail(world, first_waiting)

    await _run_schedule_cycle(world)
    await _run_schedule_cycle(world)

    assert (before["why_pending"], before["queue_position"]) == (None, None)
    assert (await _detail(world, placed))["status"] == "SCHEDULED"
    first, second = await _detail(world, first_waiting), await _detail(world, second_waiting)
    assert first["why_pending"]["code"] == "insufficient-resources"
    assert first["why_pending"]["message"].startswith(
        "0/2 agents fit: 2 insufficient cpu (need 6, most free 4)"
    )
    assert first["why_pending"]["attempts"] == 2
    assert (first["queue_position"], second["queue_position"]) == (1, 2)
    assert [entry["result"] for entry in first["history"]] == ["SKIPPED"]
    assert first["history"][0]["phase"] == "schedule-sessions"
