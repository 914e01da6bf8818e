"""Authentication (401), authorisation (403) and the credential cache, over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from integration.api.api_world import SECRET, ApiWorld
from sokovan.db import tables as t

ADMIN_ENDPOINTS = [
    ("GET", "/v1/agents"),
    ("POST", "/v1/agents/a1/schedulable"),
    ("GET", "/v1/scaling-groups"),
    ("POST", "/v1/scaling-groups"),
    ("PATCH", "/v1/scaling-groups/default"),
    ("GET", "/v1/admin/domains"),
    ("POST", "/v1/admin/domains"),
    ("GET", "/v1/admin/groups"),
    ("GET", "/v1/admin/users"),
    ("PATCH", "/v1/admin/users/00000000-0000-0000-0000-000000000000"),
    ("GET", "/v1/admin/keypairs"),
    ("POST", "/v1/admin/keypairs"),
    ("PATCH", "/v1/admin/keypairs/AKX"),
    ("GET", "/v1/admin/resource-policies"),
    ("POST", "/v1/admin/resource-policies"),
]


def _bearer(value: str) -> dict[str, str]:
    return {"Authorization": value}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        _bearer(""),
        _bearer("Basic dXNlcjpwYXNz"),
        _bearer("Bearer no-colon"),
        _bearer("Bearer :secret"),
        _bearer("Bearer AK-with-dash:secret"),
        _bearer("Bearer UNKNOWNKEY:" + SECRET),
    ],
    ids=["absent", "empty", "basic", "no-colon", "no-key", "bad-key", "unknown-key"],
)
async def test_missing_or_invalid_credentials_get_401_with_a_challenge(
    world: ApiWorld, headers: dict[str, str]
) -> None:
    response = await world.client.get("/v1/sessions", headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="sokovan"'
    assert response.json()["error"]["code"] == "unauthenticated"


async def test_wrong_secret_gets_401(world: ApiWorld) -> None:
    key = world.alice.tenant.access_key
    response = await world.client.get("/v1/sessions", headers=_bearer(f"Bearer {key}:wrong"))
    assert response.status_code == 401
    assert "wrong secret" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("table", "column"),
    [(t.keypairs, "access_key"), (t.users, "id"), (t.domains, "name")],
    ids=["keypair", "user", "domain"],
)
async def test_inactive_keypair_user_or_domain_gets_401(
    world: ApiWorld, table: sa.Table, column: str
) -> None:
    tenant = world.alice.tenant
    key = {"access_key": tenant.access_key, "id": tenant.user_id, "name": tenant.domain_name}
    async with world.engine.begin() as conn:
        await conn.execute(
            table.update().where(table.c[column] == key[column]).values(is_active=False)
        )

    response = await world.client.get("/v1/sessions", headers=world.alice.headers)

    assert response.status_code == 401
    assert "inactive" in response.json()["error"]["message"]


@pytest.mark.parametrize(("method", "path"), ADMIN_ENDPOINTS)
async def test_admin_endpoints_refuse_users_with_403(
    world: ApiWorld, method: str, path: str
) -> None:
    response = await world.client.request(method, path, headers=world.alice.headers, json={})

    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "forbidden"


async def test_a_keypair_grants_no_more_than_its_users_role(world: ApiWorld) -> None:
    async with world.engine.begin() as conn:
        await conn.execute(
            t.keypairs.update()
            .where(t.keypairs.c.access_key == world.alice.tenant.access_key)
            .values(role="superadmin")
        )
    response = await world.client.get("/v1/agents", headers=world.alice.headers)
    assert response.status_code == 403


async def test_verified_credentials_are_cached_until_their_ttl(world: ApiWorld) -> None:
    assert (await world.client.get("/v1/sessions", headers=world.alice.headers)).status_code == 200
    # Deactivated behind the API's back (as another manager would): the cache still vouches.
    async with world.engine.begin() as conn:
        await conn.execute(
            t.keypairs.update()
            .where(t.keypairs.c.access_key == world.alice.tenant.access_key)
            .values(is_active=False)
        )
    assert (await world.client.get("/v1/sessions", headers=world.alice.headers)).status_code == 200

    world.clock.advance(timedelta(seconds=world.context.config.credential_cache_ttl))

    assert (await world.client.get("/v1/sessions", headers=world.alice.headers)).status_code == 401


async def test_deactivating_a_keypair_through_the_api_takes_effect_at_once(
    world: ApiWorld,
) -> None:
    assert (await world.client.get("/v1/sessions", headers=world.alice.headers)).status_code == 200

    response = await world.client.patch(
        f"/v1/admin/keypairs/{world.alice.tenant.access_key}",
        json={"is_active": False},
        headers=world.admin.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    assert (await world.client.get("/v1/sessions", headers=world.alice.headers)).status_code == 401


async def test_deactivating_a_user_through_the_api_takes_effect_at_once(world: ApiWorld) -> None:
    assert (await world.client.get("/v1/sessions", headers=world.bob.headers)).status_code == 200

    response = await world.client.patch(
        f"/v1/admin/users/{world.bob.tenant.user_id}",
        json={"is_active": False},
        headers=world.admin.headers,
    )

    assert response.status_code == 200, response.text
    assert (await world.client.get("/v1/sessions", headers=world.bob.headers)).status_code == 401
