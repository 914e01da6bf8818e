"""/healthz, /metrics and the OpenAPI document."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from integration.api.api_world import ApiWorld, build_context, client_for
from sokovan.api import create_app
from sokovan.common.scheduling import ScheduleType
from sokovan.common.status import SessionStatus
from sokovan.db import tables as t
from sokovan.db.engine import create_engine
from support.factories import KernelSpec, add_session


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition by (name, sorted labels); fails if it does not parse."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_healthz_is_ok_with_a_reachable_database(world: ApiWorld) -> None:
    response = await world.client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_healthz_is_503_when_the_database_is_unreachable(world: ApiWorld) -> None:
    # Nothing listens on port 1: connecting is refused at once.
    dead = create_engine("postgresql://nobody@127.0.0.1:1/none")
    try:
        _, context = build_context(dead, world.clock, world.store)
        async with client_for(create_app(context)) as client:
            response = await client.get("/healthz")
    finally:
        await dead.dispose()
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


async def test_metrics_expose_sessions_agents_and_scheduler_counters(world: ApiWorld) -> None:
    await add_session(world.engine, world.alice.tenant)
    await add_session(world.engine, world.alice.tenant)
    await add_session(
        world.engine,
        world.bob.tenant,
        status=SessionStatus.RUNNING,
        kernels=(KernelSpec(agent_id="a1", slots={"cpu": 2, "mem": 2**30}),),
    )
    async with world.engine.begin() as conn:
        await conn.execute(
            t.agents.update().where(t.agents.c.id == "a1").values(occupied_slots={"cpu": "2"})
        )
    metrics = world.context.metrics
    metrics.observe_cycle(ScheduleType.SCHEDULE, 0.02)
    metrics.count_placements(3)
    metrics.count_unscheduled("insufficient-resources")
    metrics.count_unscheduled("insufficient-resources", 2)

    response = await world.client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = _samples(response.text)
    assert samples[("sokovan_sessions", (("status", "PENDING"),))] == 2
    assert samples[("sokovan_sessions", (("status", "RUNNING"),))] == 1
    assert samples[("sokovan_sessions", (("status", "ERROR"),))] == 0
    a1 = (("agent", "a1"), ("scaling_group", "default"))
    assert samples[("sokovan_agent_capacity", (*a1, ("slot", "cpu")))] == 8
    assert samples[("sokovan_agent_capacity", (*a1, ("slot", "mem")))] == 32 * 2**30
    assert samples[("sokovan_agent_occupied", (*a1, ("slot", "cpu")))] == 2
    assert samples[("sokovan_scheduler_placements_total", ())] == 3
    assert (
        samples[("sokovan_scheduler_unscheduled_total", (("code", "insufficient-resources"),))] == 3
    )
    schedule = (("schedule_type", "schedule"),)
    assert samples[("sokovan_scheduler_cycle_duration_seconds_count", schedule)] == 1
    assert (
        samples[("sokovan_scheduler_cycle_duration_seconds_count", (("schedule_type", "sweep"),))]
        == 0
    )


async def test_each_app_has_its_own_registry(world: ApiWorld) -> None:
    _, other_context = build_context(world.engine, world.clock, world.store)
    other_context.metrics.count_placements(5)

    async with client_for(create_app(other_context)) as other:
        theirs = _samples((await other.get("/metrics")).text)
    ours = _samples((await world.client.get("/metrics")).text)

    assert theirs[("sokovan_scheduler_placements_total", ())] == 5
    assert ours[("sokovan_scheduler_placements_total", ())] == 0


async def test_openapi_documents_every_endpoint(world: ApiWorld) -> None:
    document = (await world.client.get("/openapi.json")).json()
    docs = await world.client.get("/docs")

    assert docs.status_code == 200
    paths = document["paths"]
    assert {"post", "get"} <= set(paths["/v1/sessions"])
    for path in (
        "/v1/sessions/{session_id}",
        "/v1/sessions/{session_id}/terminate",
        "/v1/sessions/{session_id}/wait",
        "/v1/sessions/{session_id}/logs",
        "/v1/agents",
        "/v1/agents/{agent_id}/schedulable",
        "/v1/scaling-groups",
        "/v1/scaling-groups/{name}",
        "/v1/admin/domains",
        "/v1/admin/groups",
        "/v1/admin/users",
        "/v1/admin/keypairs",
        "/v1/admin/resource-policies",
        "/healthz",
        "/metrics",
    ):
        assert path in paths
    assert "keypair" in document["components"]["securitySchemes"]
