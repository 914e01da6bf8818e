"""Auto-scaling rules of deployments: create, list, delete."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from sokovan.common.errors import NotFoundError
from sokovan.common.ids import DeploymentId
from sokovan.db import tables as t
from sokovan.repositories.base import RepositoryBase
from sokovan.repositories.deployment.rows import rule_from_row
from sokovan.repositories.deployment.types import (
    AutoScalingRule,
    AutoScalingRuleId,
    AutoScalingRuleSpec,
)
from sokovan.repositories.deployment.validation import check_rule_spec


class AutoScalingMixin(RepositoryBase):
    async def create_auto_scaling_rule(self, spec: AutoScalingRuleSpec) -> AutoScalingRule:
        """Store a rule for `spec.endpoint_id` and return it.

        Raises InvalidInputError for a malformed spec and NotFoundError for an unknown
        deployment; nothing is written in either case.
        """
        check_rule_spec(spec)
        rule = AutoScalingRule(
            id=AutoScalingRuleId(uuid.uuid4()),
            spec=spec,
            created_at=self._clock.now(),
            last_triggered_at=None,
        )
        async with self._engine.begin() as conn:
            known = await conn.scalar(
                sa.select(sa.exists().where(t.deployments.c.id == spec.endpoint_id))
            )
            if not known:
                raise NotFoundError(
                    f"cannot add an auto-scaling rule: deployment {spec.endpoint_id} not found"
                )
            await conn.execute(
                t.auto_scaling_rules.insert().values(
                    id=rule.id,
                    endpoint_id=spec.endpoint_id,
                    metric_source=spec.metric_source.value,
                    metric_name=spec.metric_name,
                    threshold=spec.threshold,
                    comparator=spec.comparator.value,
                    step_size=spec.step_size,
                    cooldown_seconds=spec.cooldown_seconds,
                    min_replicas=spec.min_replicas,
                    max_replicas=spec.max_replicas,
                    created_at=rule.created_at,
                    last_triggered_at=None,
                )
            )
        return rule

    async def list_auto_scaling_rules(self, endpoint_id: DeploymentId) -> list[AutoScalingRule]:
        """The deployment's rules, oldest first (empty for an unknown deployment)."""
        rules = t.auto_scaling_rules
        query = (
            sa.select(rules)
            .where(rules.c.endpoint_id == endpoint_id)
            .order_by(rules.c.created_at, rules.c.id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [rule_from_row(row) for row in rows]

    async def delete_auto_scaling_rule(self, rule_id: AutoScalingRuleId) -> bool:
        """Delete a rule; False when there was no such rule."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                t.auto_scaling_rules.delete().where(t.auto_scaling_rules.c.id == rule_id)
            )
        return result.rowcount == 1
