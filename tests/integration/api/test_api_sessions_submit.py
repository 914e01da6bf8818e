"""POST /v1/sessions: what a submission writes, and the refusals that write nothing."""

from __future__ import annotations

from typing import Any

import pytest

from integration.api.api_world import ApiWorld, Caller, add_caller
from sokovan.common.scheduling import ScheduleType
from sokovan.common.status import AgentStatus, SessionStatus
from sokovan.db import tables as t
from support.factories import (
    add_agent,
    add_resource_policy,
    add_scaling_group,
    add_session,
    insert,
)

PYTHON = {"image": "python:3.11"}


async def _submit(world: ApiWorld, caller: Caller, **body: Any) -> Any:
    return await world.client.post("/v1/sessions", json={**PYTHON, **body}, headers=caller.headers)


async def _refused(world: ApiWorld, caller: Caller, status: int, **body: Any) -> dict[str, Any]:
    """Submit, expect `status`, check nothing was written; return the error object."""
    before = await world.row_counts()
    response = await _submit(world, caller, **body)
    assert response.status_code == status, response.text
    assert await world.row_counts() == before
    error: dict[str, Any] = response.json()["error"]
    return error


async def test_submit_queues_a_pending_session_owned_by_the_caller(world: ApiWorld) -> None:
    response = await _submit(world, world.alice, resources={"cpu": "1", "mem": "512m"})

    assert response.status_code == 201, response.text
    session = response.json()
    tenant = world.alice.tenant
    assert session["status"] == "PENDING"
    assert (session["user_id"], session["access_key"], session["group_id"]) == (
        str(tenant.user_id),
        tenant.access_key,
        str(tenant.group_id),
    )
    assert session["scaling_group"] == "default"
    assert session["requested_slots"] == {"cpu": "1", "mem": str(512 * 2**20)}
    assert await world.store.load_and_delete_schedule_mark(ScheduleType.SCHEDULE)


async def test_submit_takes_every_field(world: ApiWorld) -> None:
    dependency, _ = await add_session(
        world.engine, world.alice.tenant, status=SessionStatus.TERMINATED
    )
    response = await _submit(
        world,
        world.alice,
        name="train",
        command="python train.py",
        resources={"cpu": 2, "mem": "1g"},
        cluster_size=2,
        cluster_mode="multi-node",
        session_type="batch",
        priority=42,
        starts_at="2026-01-01T03:00:00+00:00",
        designated_agents=["a1", "a2"],
        dependencies=[str(dependency)],
        environ={"MODE": "train"},
        creation_id="client-token",
    )

    assert response.status_code == 201, response.text
    detail = (
        await world.client.get(f"/v1/sessions/{response.json()['id']}", headers=world.alice.headers)
    ).json()
    assert (detail["name"], detail["priority"], detail["session_type"]) == ("train", 42, "batch")
    assert (detail["cluster_mode"], detail["cluster_size"]) == ("multi-node", 2)
    assert detail["designated_agents"] == ["a1", "a2"]
    assert detail["creation_id"] == "client-token"
    assert detail["starts_at"] == "2026-01-01T03:00:00Z"
    assert detail["requested_slots"] == {"cpu": "4", "mem": str(2 * 2**30)}
    assert [k["cluster_role"] for k in detail["kernels"]] == ["main", "sub"]
    assert {k["requested_slots"]["cpu"] for k in detail["kernels"]} == {"2"}


async def test_never_fitting_request_is_refused_with_the_shortfall(world: ApiWorld) -> None:
    error = await _refused(world, world.alice, 422, resources={"cpu": "16", "mem": "4g"})

    assert error["code"] == "never-fits"
    assert (
        "the session needs cpu 16 but the closest x86_64 agent, a1, has cpu 8" in (error["message"])
    )
    assert error["details"] == {"shortfall": {"cpu": "8"}}


async def test_single_node_cluster_must_fit_one_agent_multi_node_each_kernel(
    world: ApiWorld,
) -> None:
    # 2 × 6 cpu = 12 on one agent: more than a1's 8. Spread, each 6 fits a1.
    error = await _refused(
        world, world.alice, 422, resources={"cpu": "6"}, cluster_size=2, cluster_mode="single-node"
    )
    assert "needs cpu 12" in error["message"]

    spread = await _submit(
        world, world.alice, resources={"cpu": "6"}, cluster_size=2, cluster_mode="multi-node"
    )
    assert spread.status_code == 201, spread.text


async def test_scaling_group_without_alive_agents_is_refused_with_no_agents(
    world: ApiWorld,
) -> None:
    await add_scaling_group(world.engine, "empty")
    await add_scaling_group(world.engine, "lost")
    await add_agent(world.engine, "gone", scaling_group="lost", status=AgentStatus.LOST)

    for group in ("empty", "lost"):
        error = await _refused(world, world.alice, 422, scaling_group=group)
        assert error["code"] == "never-fits"
        assert error["message"].startswith(
            f"no agents: there are no ALIVE agents in scaling group {group!r}"
        )


async def test_designated_agents_are_the_only_candidates(world: ApiWorld) -> None:
    error = await _refused(
        world, world.alice, 422, resources={"cpu": "6"}, designated_agents=["a2"]
    )
    assert "closest x86_64 agent, a2, has cpu 4" in error["message"]

    error = await _refused(world, world.alice, 422, designated_agents=["nowhere"])
    assert "none of the designated agents is an ALIVE agent" in error["message"]


@pytest.mark.parametrize("scope", ["keypair", "user", "group", "domain"])
async def test_request_over_an_owner_total_limit_is_refused_naming_it(
    world: ApiWorld, scope: str
) -> None:
    await add_resource_policy(world.engine, "tiny", total={"cpu": 2})
    policy: dict[str, Any] = {f"{scope}_policy": "tiny"}
    carol = await add_caller(world.engine, "carol", domain="acme", **policy)

    error = await _refused(world, carol, 422, resources={"cpu": "4"})

    assert error["code"] == "exceeds-resource-limit"
    assert f"the {scope} resource policy 'tiny' allows in total: cpu 4 > 2" in error["message"]
    assert error["details"] == {"scope": scope, "policy": "tiny", "limit": {"cpu": "2"}}
    assert (await _submit(world, carol, resources={"cpu": "2"})).status_code == 201


async def test_unknown_references_are_refused(world: ApiWorld) -> None:
    image = await _refused(world, world.alice, 404, image="ghost:1")
    assert "no such image is registered" in image["message"]
    no_agent = await _refused(world, world.alice, 422, architecture="aarch64")
    assert (
        "needs an agent of architecture aarch64, but the scaling group has only x86_64"
        in (no_agent["message"])
    )
    await add_agent(world.engine, "arm", architecture="aarch64")
    arch = await _refused(world, world.alice, 404, architecture="aarch64")
    assert "is not available for architecture aarch64" in arch["message"]
    group = await _refused(world, world.alice, 404, scaling_group="nowhere")
    assert "scaling group 'nowhere' does not exist" in group["message"]


async def test_inactive_scaling_group_is_refused(world: ApiWorld) -> None:
    await add_scaling_group(world.engine, "closed", is_active=False)
    error = await _refused(world, world.alice, 409, scaling_group="closed")
    assert error["code"] == "scaling-group-inactive"


async def test_a_member_of_several_groups_names_one(world: ApiWorld) -> None:
    dave = await add_caller(world.engine, "dave", domain="multi")
    erin = await add_caller(
        world.engine, "erin", domain="multi", group="second", create_domain=False
    )
    second = erin.tenant.group_id
    await insert(
        world.engine, t.group_members, [{"group_id": second, "user_id": dave.tenant.user_id}]
    )

    ambiguous = await _refused(world, dave, 400)
    assert ambiguous["message"] == (
        "you belong to several groups (default, second); name one in 'group'"
    )
    foreign = await _refused(world, dave, 403, group="third")
    assert "not a member of group 'third' in domain 'multi'" in foreign["message"]
    chosen = await _submit(world, dave, group="second")
    assert chosen.status_code == 201, chosen.text
    assert chosen.json()["group_id"] == str(second)


async def test_depending_on_another_users_session_looks_like_a_missing_one(
    world: ApiWorld,
) -> None:
    bobs, _ = await add_session(world.engine, world.bob.tenant)

    error = await _refused(world, world.alice, 404, dependencies=[str(bobs)])

    assert error["code"] == "session-not-found"
    assert (await _submit(world, world.admin, dependencies=[str(bobs)])).status_code == 201


async def test_pending_count_limit_is_enforced_at_submission(world: ApiWorld) -> None:
    await add_resource_policy(world.engine, "one-pending", max_pending_session_count=1)
    gina = await add_caller(world.engine, "gina", domain="g", keypair_policy="one-pending")
    assert (await _submit(world, gina)).status_code == 201

    error = await _refused(world, gina, 409)

    assert error["code"] == "pending-count-limit"
