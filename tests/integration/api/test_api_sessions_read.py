"""Listing, inspecting, terminating, waiting for sessions and reading their logs over HTTP."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from integration.api.api_world import NOW, ApiWorld, build_context, client_for
from sokovan.api import KernelLogTarget, create_app
from sokovan.common.ids import SessionId
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.db import tables as t
from support.factories import KernelSpec, add_scaling_group, add_session


async def _get(world: ApiWorld, path: str, caller: Any, **params: Any) -> Any:
    return await world.client.get(path, params=params, headers=caller.headers)


async def _ids(world: ApiWorld, caller: Any, **params: Any) -> list[str]:
    response = await _get(world, "/v1/sessions", caller, **params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_list_is_newest_first_and_users_see_only_their_own(world: ApiWorld) -> None:
    older, _ = await add_session(world.engine, world.alice.tenant, created_at=NOW)
    newer, _ = await add_session(
        world.engine, world.alice.tenant, created_at=NOW + timedelta(minutes=1)
    )
    bobs, _ = await add_session(world.engine, world.bob.tenant, created_at=NOW)

    assert await _ids(world, world.alice) == [str(newer), str(older)]
    assert await _ids(world, world.bob) == [str(bobs)]
    assert set(await _ids(world, world.admin)) == {str(newer), str(older), str(bobs)}


async def test_list_filters_by_status_scaling_group_and_name(world: ApiWorld) -> None:
    await add_scaling_group(world.engine, "other")
    tenant = world.alice.tenant
    running, _ = await add_session(world.engine, tenant, status=SessionStatus.RUNNING)
    pending, _ = await add_session(world.engine, tenant, name="wanted")
    elsewhere, _ = await add_session(
        world.engine, tenant, scaling_group="other", status=SessionStatus.ERROR
    )

    assert await _ids(world, world.alice, status="RUNNING") == [str(running)]
    assert set(await _ids(world, world.alice, status=["RUNNING", "ERROR"])) == {
        str(running),
        str(elsewhere),
    }
    assert await _ids(world, world.alice, scaling_group="other") == [str(elsewhere)]
    assert await _ids(world, world.alice, name="wanted") == [str(pending)]
    bad = await _get(world, "/v1/sessions", world.alice, status="SLEEPING")
    assert bad.status_code == 422


async def test_list_pages_with_cursor_or_offset(world: ApiWorld) -> None:
    # Two sessions share a timestamp, so the id must break the tie consistently.
    created = [NOW, NOW + timedelta(seconds=1), NOW + timedelta(seconds=1), NOW + timedelta(2)]
    for moment in created:
        await add_session(world.engine, world.alice.tenant, created_at=moment)
    everything = await _ids(world, world.alice, limit=500)

    first = (await _get(world, "/v1/sessions", world.alice, limit=3)).json()
    second = (
        await _get(world, "/v1/sessions", world.alice, limit=3, cursor=first["next_cursor"])
    ).json()
    by_offset = await _ids(world, world.alice, limit=3, offset=3)

    assert [item["id"] for item in first["items"] + second["items"]] == everything
    assert second["next_cursor"] is None
    assert by_offset == everything[3:]
    both = await _get(world, "/v1/sessions", world.alice, cursor=first["next_cursor"], offset=1)
    assert both.status_code == 400
    forged = await _get(world, "/v1/sessions", world.alice, cursor="not-a-cursor")
    assert forged.status_code == 400
    assert forged.json()["error"]["code"] == "invalid-cursor"
    too_many = await _get(world, "/v1/sessions", world.alice, limit=501)
    assert too_many.status_code == 422


async def test_detail_shows_kernels_history_and_hides_other_users_sessions(
    world: ApiWorld,
) -> None:
    session_id, kernel_ids = await add_session(
        world.engine,
        world.alice.tenant,
        status=SessionStatus.RUNNING,
        kernels=(KernelSpec(agent_id="a1"), KernelSpec(agent_id="a2")),
        status_info="started",
    )

    response = await _get(world, f"/v1/sessions/{session_id}", world.alice)

    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["status"] == "RUNNING"
    assert detail["status_info"] == "started"
    assert [k["id"] for k in detail["kernels"]] == [str(k) for k in kernel_ids]
    assert [k["agent_id"] for k in detail["kernels"]] == ["a1", "a2"]
    assert (detail["why_pending"], detail["queue_position"]) == (None, None)
    hidden = await _get(world, f"/v1/sessions/{session_id}", world.bob)
    missing = await _get(world, f"/v1/sessions/{SessionId(kernel_ids[0])}", world.alice)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == "session-not-found"
    assert (await _get(world, f"/v1/sessions/{session_id}", world.admin)).status_code == 200


async def test_terminate_cancels_a_pending_session_and_hides_others(world: ApiWorld) -> None:
    session_id, _ = await add_session(world.engine, world.alice.tenant)
    path = f"/v1/sessions/{session_id}/terminate"

    refused = await world.client.post(path, headers=world.bob.headers)
    response = await world.client.post(path, headers=world.alice.headers)

    assert refused.status_code == 404
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "CANCELLED"


async def test_terminate_starts_terminating_a_running_session(world: ApiWorld) -> None:
    session_id, _ = await add_session(
        world.engine,
        world.alice.tenant,
        status=SessionStatus.RUNNING,
        kernels=(KernelSpec(agent_id="a1"),),
    )
    response = await world.client.post(
        f"/v1/sessions/{session_id}/terminate", headers=world.admin.headers
    )
    assert response.status_code == 202
    assert response.json()["status"] == "TERMINATING"


async def test_wait_returns_once_the_session_reaches_the_status(world: ApiWorld) -> None:
    session_id, _ = await add_session(world.engine, world.alice.tenant)

    async def start_soon() -> None:
        await asyncio.sleep(0.1)
        async with world.engine.begin() as conn:
            await conn.execute(
                t.sessions.update()
                .where(t.sessions.c.id == session_id)
                .values(status=SessionStatus.RUNNING)
            )

    starter = asyncio.create_task(start_soon())
    response = await _get(
        world, f"/v1/sessions/{session_id}/wait", world.alice, until="RUNNING", timeout=10
    )
    await starter

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "RUNNING"


async def test_wait_returns_at_a_terminal_status_and_times_out_with_408(
    world: ApiWorld,
) -> None:
    ended, _ = await add_session(world.engine, world.alice.tenant, status=SessionStatus.CANCELLED)
    pending, _ = await add_session(world.engine, world.alice.tenant)

    done = await _get(world, f"/v1/sessions/{ended}/wait", world.alice, until="RUNNING")
    late = await _get(
        world, f"/v1/sessions/{pending}/wait", world.alice, until="TERMINATED", timeout=0.1
    )

    assert (done.status_code, done.json()["status"]) == (200, "CANCELLED")
    assert late.status_code == 408
    assert late.json()["error"]["code"] == "wait-timeout"
    assert late.json()["error"]["details"] == {"status": "PENDING"}
    for params in ({"until": "PENDING"}, {"until": "RUNNING", "timeout": 0}):
        bad = await _get(world, f"/v1/sessions/{pending}/wait", world.alice, **params)
        assert bad.status_code == 422


async def test_logs_answer_501_without_a_port(world: ApiWorld) -> None:
    session_id, _ = await add_session(world.engine, world.alice.tenant)

    response = await _get(world, f"/v1/sessions/{session_id}/logs", world.alice)

    assert response.status_code == 501
    assert "no agent client is configured" in response.json()["error"]["message"]
    hidden = await _get(world, f"/v1/sessions/{session_id}/logs", world.bob)
    assert hidden.status_code == 404


async def test_logs_come_from_the_port_for_a_placed_kernel(world: ApiWorld) -> None:
    asked: list[KernelLogTarget] = []

    async def kernel_logs(target: KernelLogTarget) -> str:
        asked.append(target)
        return f"hello from {target.agent_id}"

    _, context = build_context(world.engine, world.clock, world.store, kernel_logs=kernel_logs)
    placed, kernels = await add_session(
        world.engine,
        world.alice.tenant,
        status=SessionStatus.RUNNING,
        kernels=(KernelSpec(agent_id="a1", container_id="c-1"),),
    )
    waiting, _ = await add_session(world.engine, world.alice.tenant)

    async with client_for(create_app(context)) as client:
        ok = await client.get(f"/v1/sessions/{placed}/logs", headers=world.alice.headers)
        unplaced = await client.get(f"/v1/sessions/{waiting}/logs", headers=world.alice.headers)
        other = await client.get(
            f"/v1/sessions/{placed}/logs",
            params={"kernel_id": str(placed)},
            headers=world.alice.headers,
        )

    assert ok.status_code == 200, ok.text
    assert ok.json() == {
        "session_id": str(placed),
        "kernel_id": str(kernels[0]),
        "logs": "hello from a1",
    }
    assert [(a.kernel_id, a.agent_id, a.container_id) for a in asked] == [(kernels[0], "a1", "c-1")]
    assert unplaced.status_code == 409
    assert other.status_code == 404


async def test_kernel_status_is_reported_per_kernel(world: ApiWorld) -> None:
    session_id, kernel_ids = await add_session(
        world.engine,
        world.alice.tenant,
        status=SessionStatus.TERMINATING,
        kernels=(
            KernelSpec(agent_id="a1", status=KernelStatus.TERMINATED),
            KernelSpec(agent_id="a1", status=KernelStatus.RUNNING),
        ),
    )
    async with world.engine.begin() as conn:
        await conn.execute(
            t.kernels.update()
            .where(t.kernels.c.id == kernel_ids[0])
            .values(exit_code=sa.literal(3))
        )
    detail = (await _get(world, f"/v1/sessions/{session_id}", world.alice)).json()
    assert [(k["status"], k["exit_code"]) for k in detail["kernels"]] == [
        ("TERMINATED", 3),
        ("RUNNING", None),
    ]
