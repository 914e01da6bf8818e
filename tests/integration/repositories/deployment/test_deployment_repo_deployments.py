"""DeploymentRepository: deployment creation, reads, lifecycle and replica writes, context."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.clock import ManualClock
from sokovan.common.errors import InvalidInputError, NotFoundError
from sokovan.common.ids import AccessKey, DeploymentId, GroupId
from sokovan.common.status import DeploymentLifecycle
from sokovan.db import tables as t
from sokovan.repositories.deployment import DeploymentCreationSpec, DeploymentRepository
from support.factories import T0, Tenant


async def _count_deployments(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(t.deployments)) or 0)


async def test_created_deployment_reads_back_as_pending(
    repo: DeploymentRepository, spec: DeploymentCreationSpec, tenant: Tenant
) -> None:
    deployment_id = await repo.create_deployment(spec)

    [info] = await repo.get_endpoints_by_ids([deployment_id])

    assert info.id == deployment_id
    assert info.lifecycle_stage is DeploymentLifecycle.PENDING
    assert info.created_at == T0
    assert (info.name, info.image, info.architecture, info.port) == (
        "llama",
        "vllm:0.6",
        "x86_64",
        8000,
    )
    assert info.resource_slots["cpu"] == Decimal("0.5")
    assert info.resource_slots["mem"] == 2**30
    assert info.session_owner == tenant.access_key
    assert info.created_user == tenant.user_id
    assert info.group_id == tenant.group_id
    assert info.environ == {"MODEL": "llama"}
    assert (info.command, info.health_check_path, info.replicas) == (
        "serve --model llama",
        "/health",
        2,
    )
    assert (info.url, info.open_to_public) == (None, False)


async def test_get_endpoints_by_ids_skips_unknown_ids_and_empty_input(
    repo: DeploymentRepository, deployment_id: DeploymentId
) -> None:
    found = await repo.get_endpoints_by_ids([deployment_id, DeploymentId(uuid.uuid4())])

    assert [info.id for info in found] == [deployment_id]
    assert await repo.get_endpoints_by_ids([]) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"replicas": -1}, "replicas must be 0 or more"),
        ({"port": 0}, "port must be between 1 and 65535"),
        ({"port": 70000}, "port must be between 1 and 65535"),
        ({"name": "  "}, "non-empty name"),
    ],
)
async def test_create_deployment_rejects_invalid_spec_without_writing(
    repo: DeploymentRepository,
    spec: DeploymentCreationSpec,
    db_engine: AsyncEngine,
    change: dict[str, object],
    message: str,
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        await repo.create_deployment(dataclasses.replace(spec, **change))  # type: ignore[arg-type]

    assert await _count_deployments(db_engine) == 0


async def test_create_deployment_names_every_unknown_reference(
    repo: DeploymentRepository, spec: DeploymentCreationSpec, db_engine: AsyncEngine
) -> None:
    bad = dataclasses.replace(
        spec,
        resource_group="nowhere",
        session_owner=AccessKey("AKNOBODY"),
        group_id=GroupId(uuid.uuid4()),
    )

    with pytest.raises(NotFoundError) as caught:
        await repo.create_deployment(bad)

    message = str(caught.value)
    assert "resource group 'nowhere'" in message
    assert "keypair 'AKNOBODY'" in message
    assert f"group {bad.group_id}" in message
    assert "user" not in message
    assert await _count_deployments(db_engine) == 0


async def test_get_deployments_by_lifecycle_filters_and_orders_oldest_first(
    repo: DeploymentRepository, spec: DeploymentCreationSpec, clock: ManualClock
) -> None:
    first = await repo.create_deployment(spec)
    clock.advance(timedelta(seconds=1))
    second = await repo.create_deployment(dataclasses.replace(spec, name="second"))
    clock.advance(timedelta(seconds=1))
    ready = await repo.create_deployment(dataclasses.replace(spec, name="ready"))
    await repo.update_deployment_lifecycle([ready], DeploymentLifecycle.READY)

    pending = await repo.get_deployments_by_lifecycle([DeploymentLifecycle.PENDING])
    both = await repo.get_deployments_by_lifecycle(
        {DeploymentLifecycle.PENDING, DeploymentLifecycle.READY}
    )

    assert [info.id for info in pending] == [first, second]
    assert [info.id for info in both] == [first, second, ready]
    assert await repo.get_deployments_by_lifecycle([]) == []


async def test_update_deployment_lifecycle_is_compare_and_set_with_expected(
    repo: DeploymentRepository, spec: DeploymentCreationSpec
) -> None:
    a = await repo.create_deployment(spec)
    b = await repo.create_deployment(dataclasses.replace(spec, name="b"))
    await repo.update_deployment_lifecycle([b], DeploymentLifecycle.SCALING)

    moved = await repo.update_deployment_lifecycle(
        [a, b], DeploymentLifecycle.READY, expected=DeploymentLifecycle.PENDING
    )

    assert moved == 1
    stages = {info.id: info.lifecycle_stage for info in await repo.get_endpoints_by_ids([a, b])}
    assert stages == {a: DeploymentLifecycle.READY, b: DeploymentLifecycle.SCALING}
    assert await repo.update_deployment_lifecycle([], DeploymentLifecycle.READY) == 0


async def test_reaching_destroyed_stamps_destroyed_at(
    repo: DeploymentRepository,
    deployment_id: DeploymentId,
    clock: ManualClock,
    db_engine: AsyncEngine,
) -> None:
    clock.advance(timedelta(minutes=5))

    await repo.update_deployment_lifecycle([deployment_id], DeploymentLifecycle.DESTROYED)

    async with db_engine.connect() as conn:
        destroyed_at = await conn.scalar(sa.select(t.deployments.c.destroyed_at))
    assert destroyed_at == T0 + timedelta(minutes=5)


async def test_update_desired_replicas(
    repo: DeploymentRepository, deployment_id: DeploymentId
) -> None:
    assert await repo.update_desired_replicas(deployment_id, 5) is True
    [info] = await repo.get_endpoints_by_ids([deployment_id])
    assert info.replicas == 5
    assert await repo.update_desired_replicas(deployment_id, 0) is True
    assert await repo.update_desired_replicas(DeploymentId(uuid.uuid4()), 1) is False


async def test_update_desired_replicas_refuses_negative_and_destroying(
    repo: DeploymentRepository, deployment_id: DeploymentId
) -> None:
    with pytest.raises(InvalidInputError, match="replicas must be 0 or more"):
        await repo.update_desired_replicas(deployment_id, -1)
    await repo.update_deployment_lifecycle([deployment_id], DeploymentLifecycle.DESTROYING)

    assert await repo.update_desired_replicas(deployment_id, 4) is False
    [info] = await repo.get_endpoints_by_ids([deployment_id])
    assert info.replicas == 2


async def test_fetch_deployment_context_resolves_owner_and_image_environment(
    repo: DeploymentRepository, deployment_id: DeploymentId, tenant: Tenant
) -> None:
    [info] = await repo.get_endpoints_by_ids([deployment_id])

    context = await repo.fetch_deployment_context(info)

    assert context.deployment == info
    assert context.user_id == tenant.user_id
    assert context.access_key == tenant.access_key
    assert (context.domain_name, context.group_id) == (tenant.domain_name, tenant.group_id)
    assert context.image_environment == {"command": ["vllm", "serve"]}


async def test_fetch_deployment_context_for_unregistered_image(
    repo: DeploymentRepository, spec: DeploymentCreationSpec
) -> None:
    deployment_id = await repo.create_deployment(dataclasses.replace(spec, architecture="aarch64"))
    [info] = await repo.get_endpoints_by_ids([deployment_id])

    with pytest.raises(
        NotFoundError, match=r"'vllm:0\.6' is not registered for architecture 'aarch64'"
    ):
        await repo.fetch_deployment_context(info)


async def test_fetch_deployment_context_for_vanished_owner(
    repo: DeploymentRepository, deployment_id: DeploymentId
) -> None:
    [info] = await repo.get_endpoints_by_ids([deployment_id])
    stale = dataclasses.replace(info, session_owner=AccessKey("AKGONE"))

    with pytest.raises(NotFoundError, match="owner keypair 'AKGONE' does not exist"):
        await repo.fetch_deployment_context(stale)
