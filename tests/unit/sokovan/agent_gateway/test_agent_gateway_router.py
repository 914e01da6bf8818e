"""The agent gateway's HTTP surface: token, validation, and what reaches the service."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from gateway_fakes import Gateway, event_body, gateway, heartbeat_body

from sokovan.agent_gateway import create_agent_gateway_router
from sokovan.common.errors import DatabaseError
from sokovan.common.ids import AgentId, KernelId
from sokovan.common.scheduling import ScheduleType
from sokovan.scheduler.kernel.events import EventScope

KID = str(uuid.UUID(int=5))


@pytest.fixture
async def gw() -> AsyncIterator[Gateway]:
    async with gateway() as opened:
        yield opened


@pytest.mark.parametrize("token", [None, "", "wrong"])
@pytest.mark.parametrize("kind", ["heartbeat", "events"])
async def test_requests_without_the_right_token_are_refused(
    gw: Gateway, token: str | None, kind: str
) -> None:
    response = await gw.post(kind, {"not": "even valid"}, token=token)

    assert response.status_code == 401
    assert response.json() == {"detail": "missing or invalid X-Sokovan-Agent-Token header"}
    assert gw.registry.heartbeats == []
    assert gw.events.batches == []


@pytest.mark.parametrize(
    "body",
    [
        heartbeat_body(agent_id=None),
        heartbeat_body(unexpected="field"),
        heartbeat_body(running_kernel_ids="not-a-list"),
    ],
)
async def test_a_malformed_heartbeat_is_422(gw: Gateway, body: dict[str, object]) -> None:
    response = await gw.post("heartbeat", body)
    assert response.status_code == 422
    assert gw.registry.heartbeats == []


async def test_a_heartbeat_registers_the_agent_and_reports_presence(gw: Gateway) -> None:
    response = await gw.post("heartbeat", heartbeat_body(running_kernel_ids=[KID]))

    assert response.status_code == 200
    assert response.json() == {"outcome": "registered"}
    (heartbeat,) = gw.registry.heartbeats
    assert heartbeat.agent_id == "a1"
    assert heartbeat.available_slots["mem"] == Decimal(34359738368)
    assert heartbeat.addr == "http://127.0.0.1:6001"
    assert gw.hints.present == [[KernelId(uuid.UUID(KID))]]
    # A new agent is new capacity: placement is hinted.
    assert gw.hints.marked == [ScheduleType.SCHEDULE]


async def test_a_repeated_heartbeat_updates_and_hints_nothing(gw: Gateway) -> None:
    await gw.post("heartbeat", heartbeat_body())
    response = await gw.post("heartbeat", heartbeat_body())
    assert response.json() == {"outcome": "updated"}
    assert gw.hints.marked == [ScheduleType.SCHEDULE]
    assert gw.hints.present == []


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (heartbeat_body(running_kernel_ids=["nope"]), "'nope' is not a valid id"),
        (heartbeat_body(available_slots={"cpu": "lots"}), "invalid resource amount 'lots'"),
        (heartbeat_body(addr=""), "carries no address"),
    ],
)
async def test_malformed_values_are_400_and_nothing_is_written(
    gw: Gateway, body: dict[str, object], detail: str
) -> None:
    response = await gw.post("heartbeat", body)
    assert response.status_code == 400
    assert detail in response.json()["detail"]
    assert gw.registry.heartbeats == []


async def test_an_unknown_scaling_group_is_404(gw: Gateway) -> None:
    response = await gw.post("heartbeat", heartbeat_body(scaling_group="nowhere"))
    assert response.status_code == 404
    assert "scaling group 'nowhere' does not exist" in response.json()["detail"]


async def test_an_unavailable_database_is_503_so_the_agent_retries(gw: Gateway) -> None:
    gw.registry.error = DatabaseError("database unreachable")
    response = await gw.post("heartbeat", heartbeat_body())
    assert response.status_code == 503


async def test_lost_hints_do_not_fail_a_heartbeat(gw: Gateway) -> None:
    gw.hints.fail = True
    response = await gw.post("heartbeat", heartbeat_body(running_kernel_ids=[KID]))
    assert response.status_code == 200


async def test_events_reach_the_engine_with_the_agents_current_incarnations(
    gw: Gateway,
) -> None:
    await gw.post("heartbeat", heartbeat_body(instance_id="i-2"))
    batch = {
        "events": [
            event_body("kernel_started", kernel_id=KID, container_id="pid-1"),
            event_body("image_pull_finished", image="python:3.11"),
            event_body("kernel_terminated", agent_id="ghost", kernel_id=KID, exit_code=0),
        ]
    }

    response = await gw.post("events", batch)

    assert response.status_code == 200
    assert response.json() == {"applied": 3, "unchanged": 0, "ignored": 0}
    ((events, incarnations),) = gw.events.batches
    assert incarnations == {AgentId("a1"): "i-2"}
    assert gw.registry.instance_queries == [["a1", "ghost"]]  # one query for the batch
    started, pulled, terminated = events
    assert started.kernel_id == KernelId(uuid.UUID(KID))
    assert started.container_id == "pid-1"
    assert pulled.scope is EventScope.IMAGE
    assert terminated.exit_code == 0


@pytest.mark.parametrize(
    ("event", "status", "detail"),
    [
        (event_body("kernel_started"), 400, "has no kernel"),
        (event_body("image_pull_failed"), 400, "has no image"),
        (event_body("kernel_started", kernel_id="k-1"), 400, "'k-1' is not a valid id"),
        (event_body("kernel_started", kernel_id=KID, session_id="s"), 400, "'s' is not a valid"),
        (event_body("kernel_started", occurred_at="2026-01-01T00:00:00"), 400, "no timezone"),
        (event_body("kernel_exploded", kernel_id=KID), 422, None),
    ],
)
async def test_a_batch_with_a_malformed_event_applies_nothing(
    gw: Gateway, event: dict[str, object], status: int, detail: str | None
) -> None:
    good = event_body("kernel_creating", kernel_id=KID)
    response = await gw.post("events", {"events": [good, event]})

    assert response.status_code == status
    if detail is not None:
        assert detail in response.json()["detail"]
    assert gw.events.batches == []


def test_the_router_needs_a_token() -> None:
    with pytest.raises(ValueError, match="non-empty agent token"):
        create_agent_gateway_router(None, "")  # type: ignore[arg-type]
