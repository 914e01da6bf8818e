"""Administration over HTTP: agents, scaling groups, domains, groups, users, keypairs, policies."""

from __future__ import annotations

from typing import Any

from integration.api.api_world import ApiWorld
from sokovan.common.ids import AgentId
from sokovan.common.status import AgentStatus
from support.factories import add_agent, add_resource_policy


async def _call(world: ApiWorld, method: str, path: str, status: int, **kwargs: Any) -> Any:
    response = await world.client.request(method, path, headers=world.admin.headers, **kwargs)
    assert response.status_code == status, response.text
    return response.json()


async def test_agents_are_listed_filtered_and_made_unschedulable(world: ApiWorld) -> None:
    await add_agent(world.engine, "z-lost", status=AgentStatus.LOST)

    everyone = await _call(world, "GET", "/v1/agents", 200)
    alive = await _call(world, "GET", "/v1/agents", 200, params={"status": "ALIVE"})
    changed = await _call(
        world, "POST", "/v1/agents/a2/schedulable", 200, json={"schedulable": False}
    )

    assert [agent["id"] for agent in everyone] == ["a1", "a2", "z-lost"]
    assert [agent["id"] for agent in alive] == ["a1", "a2"]
    assert everyone[0]["available_slots"] == {"cpu": "8", "mem": str(32 * 2**30)}
    assert changed["schedulable"] is False
    assert (await world.context.agent_repository.get_agent(AgentId("a2"))).schedulable is False
    await _call(world, "POST", "/v1/agents/ghost/schedulable", 404, json={"schedulable": True})
    await _call(world, "POST", "/v1/agents/a1/schedulable", 422, json={"schedulable": "no"})


async def test_scaling_groups_are_created_listed_and_changed(world: ApiWorld) -> None:
    created = await _call(
        world,
        "POST",
        "/v1/scaling-groups",
        201,
        json={"name": "gpu", "scheduler": "drf", "pending_timeout": 60},
    )
    changed = await _call(
        world,
        "PATCH",
        "/v1/scaling-groups/gpu",
        200,
        json={
            "description": "GPU nodes",
            "pending_timeout": None,
            "agent_selection_resource_priority": ["cuda.device", "cpu"],
            "is_active": False,
        },
    )
    listed = await _call(world, "GET", "/v1/scaling-groups", 200)

    assert (created["scheduler"], created["pending_timeout"]) == ("drf", 60.0)
    assert changed["description"] == "GPU nodes"
    assert changed["pending_timeout"] is None
    assert changed["agent_selection_resource_priority"] == ["cuda.device", "cpu"]
    assert changed["is_active"] is False
    assert changed["scheduler"] == "drf"
    assert [group["name"] for group in listed] == ["default", "gpu"]
    await _call(world, "POST", "/v1/scaling-groups", 409, json={"name": "gpu"})
    await _call(world, "PATCH", "/v1/scaling-groups/ghost", 404, json={"is_active": True})
    await _call(world, "PATCH", "/v1/scaling-groups/gpu", 422, json={"is_active": None})


async def test_domains_groups_and_users_are_administered(world: ApiWorld) -> None:
    await add_resource_policy(world.engine, "gold")
    domain = await _call(world, "POST", "/v1/admin/domains", 201, json={"name": "acme"})
    group = await _call(
        world,
        "POST",
        "/v1/admin/groups",
        201,
        json={"domain": "acme", "name": "research", "resource_policy": "gold"},
    )
    user = await _call(
        world,
        "POST",
        "/v1/admin/users",
        201,
        json={
            "email": "hana@acme.example",
            "username": "hana",
            "domain": "acme",
            "group_id": group["id"],
        },
    )
    renamed = await _call(
        world, "PATCH", "/v1/admin/domains/acme", 200, json={"description": "ACME Corp"}
    )
    promoted = await _call(
        world,
        "PATCH",
        f"/v1/admin/users/{user['id']}",
        200,
        json={"role": "admin", "resource_policy": "gold"},
    )

    assert (domain["name"], domain["is_active"]) == ("acme", True)
    assert (group["domain"], group["resource_policy"]) == ("acme", "gold")
    assert (user["role"], user["group_ids"]) == ("user", [group["id"]])
    assert renamed["description"] == "ACME Corp"
    assert (promoted["role"], promoted["resource_policy"]) == ("admin", "gold")
    groups = await _call(world, "GET", "/v1/admin/groups", 200, params={"domain": "acme"})
    users = await _call(world, "GET", "/v1/admin/users", 200, params={"domain": "acme"})
    assert [g["name"] for g in groups] == ["research"]
    assert [u["username"] for u in users] == ["hana"]


async def test_administration_refusals_name_the_problem_and_write_nothing(
    world: ApiWorld,
) -> None:
    before = await world.row_counts()
    taken = await _call(world, "POST", "/v1/admin/domains", 409, json={"name": "default"})
    no_policy = await _call(
        world, "POST", "/v1/admin/domains", 404, json={"name": "x", "resource_policy": "none"}
    )
    no_domain = await _call(
        world, "POST", "/v1/admin/groups", 404, json={"domain": "ghost", "name": "g"}
    )
    same_group = await _call(
        world, "POST", "/v1/admin/groups", 409, json={"domain": "default", "name": "default"}
    )
    same_email = await _call(
        world,
        "POST",
        "/v1/admin/users",
        409,
        json={
            "email": "alice@example.com",
            "username": "alice2",
            "domain": "default",
            "group_id": str(world.alice.tenant.group_id),
        },
    )
    unknown_policy = await _call(
        world, "PATCH", "/v1/admin/domains/default", 404, json={"resource_policy": "none"}
    )

    assert taken["error"]["message"] == "a domain 'default' already exists; choose another"
    assert "resource policy 'none' does not exist" in no_policy["error"]["message"]
    assert "domain 'ghost' does not exist" in no_domain["error"]["message"]
    assert same_group["error"]["code"] == "already-exists"
    assert "alice@example.com" in same_email["error"]["message"]
    assert "resource policy 'none' does not exist" in unknown_policy["error"]["message"]
    assert await world.row_counts() == before


async def test_a_new_keypair_shows_its_secret_once_and_works(world: ApiWorld) -> None:
    created = await _call(
        world,
        "POST",
        "/v1/admin/keypairs",
        201,
        json={"user_id": str(world.bob.tenant.user_id)},
    )
    header = {"Authorization": f"Bearer {created['access_key']}:{created['secret_key']}"}

    listed = await _call(
        world, "GET", "/v1/admin/keypairs", 200, params={"user_id": str(world.bob.tenant.user_id)}
    )
    as_bob = await world.client.get("/v1/sessions", headers=header)

    assert as_bob.status_code == 200, as_bob.text
    assert sorted(k["access_key"] for k in listed) == sorted(
        [created["access_key"], world.bob.tenant.access_key]
    )
    assert all("secret_key" not in k and "secret_key_hash" not in k for k in listed)
    await _call(
        world,
        "POST",
        "/v1/admin/keypairs",
        404,
        json={"user_id": "00000000-0000-0000-0000-000000000000"},
    )


async def test_resource_policies_are_created_and_changed_with_units(world: ApiWorld) -> None:
    created = await _call(
        world,
        "POST",
        "/v1/admin/resource-policies",
        201,
        json={
            "name": "team",
            "total_resource_slots": {"cpu": 16, "mem": "64g"},
            "max_pending_session_count": 3,
        },
    )
    changed = await _call(
        world,
        "PATCH",
        "/v1/admin/resource-policies/team",
        200,
        json={"total_resource_slots": {"cpu": "8"}, "max_pending_session_count": None},
    )
    listed = await _call(world, "GET", "/v1/admin/resource-policies", 200)

    assert created["total_resource_slots"] == {"cpu": "16", "mem": str(64 * 2**30)}
    assert changed["total_resource_slots"] == {"cpu": "8"}
    assert changed["max_pending_session_count"] is None
    assert "team" in [policy["name"] for policy in listed]
    await _call(world, "POST", "/v1/admin/resource-policies", 409, json={"name": "team"})
    unknown = await _call(
        world,
        "PATCH",
        "/v1/admin/resource-policies/team",
        400,
        json={"total_resource_slots": {"warp": "1"}},
    )
    assert "unknown resource slot 'warp'" in unknown["error"]["message"]


async def test_only_a_superadmin_grants_the_superadmin_role(world: ApiWorld) -> None:
    await world.client.patch(
        f"/v1/admin/users/{world.bob.tenant.user_id}",
        json={"role": "admin"},
        headers=world.admin.headers,
    )
    await world.client.patch(
        f"/v1/admin/keypairs/{world.bob.tenant.access_key}",
        json={"role": "admin"},
        headers=world.admin.headers,
    )

    as_admin = await world.client.patch(
        f"/v1/admin/users/{world.alice.tenant.user_id}",
        json={"role": "superadmin"},
        headers=world.bob.headers,
    )
    allowed = await world.client.patch(
        f"/v1/admin/users/{world.alice.tenant.user_id}",
        json={"role": "admin"},
        headers=world.bob.headers,
    )

    assert as_admin.status_code == 403
    assert as_admin.json()["error"]["message"] == "only a superadmin may grant the superadmin role"
    assert allowed.status_code == 200, allowed.text


async def test_only_a_superadmin_changes_a_superadmins_account(world: ApiWorld) -> None:
    for path in (
        f"/v1/admin/users/{world.bob.tenant.user_id}",
        f"/v1/admin/keypairs/{world.bob.tenant.access_key}",
    ):
        await _call(world, "PATCH", path, 200, json={"role": "admin"})
    admin = world.admin.tenant

    users = await world.client.patch(
        f"/v1/admin/users/{admin.user_id}", json={"is_active": False}, headers=world.bob.headers
    )
    keypairs = await world.client.patch(
        f"/v1/admin/keypairs/{admin.access_key}",
        json={"is_active": False},
        headers=world.bob.headers,
    )
    missing = await world.client.patch(
        "/v1/admin/keypairs/NOSUCHKEY", json={"is_active": False}, headers=world.bob.headers
    )

    assert users.status_code == keypairs.status_code == 403
    assert users.json()["error"]["message"] == (
        "only a superadmin may change a superadmin's account"
    )
    assert missing.status_code == 404
    assert (await world.client.get("/v1/agents", headers=world.admin.headers)).status_code == 200
