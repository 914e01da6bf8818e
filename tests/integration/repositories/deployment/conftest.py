"""Fixtures for DeploymentRepository tests: a tenant, a resource group, an image, a spec."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.clock import ManualClock
from sokovan.common.ids import DeploymentId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.repositories.deployment import DeploymentCreationSpec, DeploymentRepository
from support.factories import T0, Tenant, add_image, add_scaling_group, add_tenant


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def repo(db_engine: AsyncEngine, clock: ManualClock) -> DeploymentRepository:
    return DeploymentRepository(db_engine, clock)


@pytest.fixture
async def tenant(db_engine: AsyncEngine) -> Tenant:
    tenant = await add_tenant(db_engine)
    await add_scaling_group(db_engine, "default")
    await add_image(db_engine, "vllm:0.6", environment={"command": ["vllm", "serve"]})
    return tenant


@pytest.fixture
def spec(tenant: Tenant) -> DeploymentCreationSpec:
    return DeploymentCreationSpec(
        name="llama",
        domain_name=tenant.domain_name,
        group_id=tenant.group_id,
        created_user=tenant.user_id,
        session_owner=tenant.access_key,
        resource_group="default",
        image="vllm:0.6",
        architecture="x86_64",
        resource_slots=ResourceSlot({"cpu": "0.5", "mem": 2**30}),
        port=8000,
        replicas=2,
        command="serve --model llama",
        environ={"MODEL": "llama"},
        health_check_path="/health",
    )


@pytest.fixture
async def deployment_id(repo: DeploymentRepository, spec: DeploymentCreationSpec) -> DeploymentId:
    return await repo.create_deployment(spec)
