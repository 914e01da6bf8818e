"""Deployment rows: creation, reads by id or lifecycle stage, lifecycle and replica writes."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.errors import NotFoundError
from sokovan.common.ids import AccessKey, DeploymentId, UserId, new_deployment_id
from sokovan.common.status import DeploymentLifecycle
from sokovan.db import tables as t
from sokovan.repositories.base import RepositoryBase
from sokovan.repositories.deployment.rows import DEPLOYMENT_COLUMNS, deployment_from_row
from sokovan.repositories.deployment.types import (
    DeploymentContext,
    DeploymentCreationSpec,
    DeploymentInfo,
)
from sokovan.repositories.deployment.validation import check_creation_spec, check_replicas

#: Stages in which a deployment is on its way out; its desired replicas are frozen.
_WINDING_DOWN = (DeploymentLifecycle.DESTROYING, DeploymentLifecycle.DESTROYED)


class DeploymentsMixin(RepositoryBase):
    async def create_deployment(self, spec: DeploymentCreationSpec) -> DeploymentId:
        """Insert a PENDING deployment and return its id.

        Raises InvalidInputError for a malformed spec and NotFoundError naming every
        referenced row that does not exist (domain, group in that domain, user, owner
        keypair, resource group); nothing is written in either case.
        """
        check_creation_spec(spec)
        deployment_id = new_deployment_id()
        async with self._engine.begin() as conn:
            await _check_references(conn, spec)
            await conn.execute(
                t.deployments.insert().values(
                    id=deployment_id,
                    name=spec.name,
                    domain_name=spec.domain_name,
                    group_id=spec.group_id,
                    created_user=spec.created_user,
                    session_owner=spec.session_owner,
                    resource_group=spec.resource_group,
                    image=spec.image,
                    architecture=spec.architecture,
                    resource_slots=spec.resource_slots,
                    command=spec.command,
                    environ=dict(spec.environ),
                    port=spec.port,
                    health_check_path=spec.health_check_path,
                    replicas=spec.replicas,
                    lifecycle_stage=DeploymentLifecycle.PENDING,
                    url=spec.url,
                    open_to_public=spec.open_to_public,
                    created_at=self._clock.now(),
                )
            )
        return deployment_id

    async def get_endpoints_by_ids(
        self, endpoint_ids: Collection[DeploymentId]
    ) -> list[DeploymentInfo]:
        """The deployments among `endpoint_ids` that exist, oldest first; unknown ids are absent."""
        if not endpoint_ids:
            return []
        query = sa.select(*DEPLOYMENT_COLUMNS).where(t.deployments.c.id.in_(list(endpoint_ids)))
        return await self._read_deployments(query)

    async def get_deployments_by_lifecycle(
        self, stages: Collection[DeploymentLifecycle]
    ) -> list[DeploymentInfo]:
        """Deployments in any of `stages`, oldest first."""
        if not stages:
            return []
        query = sa.select(*DEPLOYMENT_COLUMNS).where(
            t.deployments.c.lifecycle_stage.in_(list(stages))
        )
        return await self._read_deployments(query)

    async def update_deployment_lifecycle(
        self,
        deployment_ids: Collection[DeploymentId],
        to_stage: DeploymentLifecycle,
        expected: DeploymentLifecycle | None = None,
    ) -> int:
        """Move deployments to `to_stage`; returns how many rows were updated.

        With `expected`, only deployments currently in that stage move (a compare-and-set,
        so two coordinators cannot both act on one transition). Reaching DESTROYED stamps
        `destroyed_at`.
        """
        if not deployment_ids:
            return 0
        values: dict[str, object] = {"lifecycle_stage": to_stage}
        if to_stage is DeploymentLifecycle.DESTROYED:
            values["destroyed_at"] = self._clock.now()
        stmt = (
            t.deployments.update()
            .where(t.deployments.c.id.in_(list(deployment_ids)))
            .values(**values)
        )
        if expected is not None:
            stmt = stmt.where(t.deployments.c.lifecycle_stage == expected)
        async with self._engine.begin() as conn:
            result = await conn.execute(stmt)
        return result.rowcount

    async def update_desired_replicas(self, deployment_id: DeploymentId, replicas: int) -> bool:
        """Set the desired replica count; False when the deployment is unknown or destroying.

        Raises InvalidInputError for a negative count.
        """
        check_replicas(replicas)
        stmt = (
            t.deployments.update()
            .where(
                t.deployments.c.id == deployment_id,
                t.deployments.c.lifecycle_stage.not_in(_WINDING_DOWN),
            )
            .values(replicas=replicas)
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(stmt)
        return result.rowcount == 1

    async def fetch_deployment_context(self, deployment: DeploymentInfo) -> DeploymentContext:
        """What enqueueing a replica session of `deployment` needs, read in one statement.

        Raises NotFoundError when the deployment's image is not registered for its
        architecture (the session could never start) or its owner keypair is gone.
        """
        owner_user = (
            sa.select(t.keypairs.c.user_id)
            .where(t.keypairs.c.access_key == deployment.session_owner)
            .scalar_subquery()
        )
        image_env = (
            sa.select(t.images.c.environment)
            .where(
                t.images.c.name == deployment.image,
                t.images.c.architecture == deployment.architecture,
            )
            .scalar_subquery()
        )
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(sa.select(owner_user.label("user_id"), image_env.label("env")))
            ).one()
        if row.user_id is None:
            raise NotFoundError(
                f"deployment {deployment.name!r}: owner keypair {deployment.session_owner!r} "
                "does not exist"
            )
        if row.env is None:
            raise NotFoundError(
                f"deployment {deployment.name!r}: image {deployment.image!r} is not registered "
                f"for architecture {deployment.architecture!r}; register it or change the image"
            )
        return DeploymentContext(
            deployment=deployment,
            user_id=UserId(row.user_id),
            access_key=AccessKey(deployment.session_owner),
            domain_name=deployment.domain_name,
            group_id=deployment.group_id,
            image_environment=dict(row.env),
        )

    async def _read_deployments(self, query: sa.Select[tuple[object, ...]]) -> list[DeploymentInfo]:
        query = query.order_by(t.deployments.c.created_at, t.deployments.c.id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [deployment_from_row(row) for row in rows]


async def _check_references(conn: AsyncConnection, spec: DeploymentCreationSpec) -> None:
    """Raise NotFoundError listing each row `spec` refers to that does not exist."""
    checks = {
        f"domain {spec.domain_name!r}": sa.exists().where(t.domains.c.name == spec.domain_name),
        f"group {spec.group_id} in domain {spec.domain_name!r}": sa.exists().where(
            t.groups.c.id == spec.group_id, t.groups.c.domain_name == spec.domain_name
        ),
        f"user {spec.created_user}": sa.exists().where(t.users.c.id == spec.created_user),
        f"keypair {spec.session_owner!r}": sa.exists().where(
            t.keypairs.c.access_key == spec.session_owner
        ),
        f"resource group {spec.resource_group!r}": sa.exists().where(
            t.scaling_groups.c.name == spec.resource_group
        ),
    }
    row = (await conn.execute(sa.select(*checks.values()))).one()
    missing = [name for name, present in zip(checks, row, strict=True) if not present]
    if missing:
        raise NotFoundError(f"cannot create deployment {spec.name!r}: unknown {', '.join(missing)}")
