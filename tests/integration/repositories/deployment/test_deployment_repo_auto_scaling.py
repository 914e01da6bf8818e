"""DeploymentRepository: auto-scaling rules."""

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
from sokovan.common.ids import DeploymentId
from sokovan.db import tables as t
from sokovan.repositories.deployment import (
    AutoScalingRuleId,
    AutoScalingRuleSpec,
    Comparator,
    DeploymentRepository,
    MetricSource,
)
from support.factories import T0


@pytest.fixture
def rule_spec(deployment_id: DeploymentId) -> AutoScalingRuleSpec:
    return AutoScalingRuleSpec(
        endpoint_id=deployment_id,
        metric_source=MetricSource.KERNEL,
        metric_name="cpu_util",
        threshold=Decimal("75.5"),
        comparator=Comparator.GREATER_THAN,
        step_size=1,
        cooldown_seconds=300,
        min_replicas=1,
        max_replicas=8,
    )


async def _rule_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        count = await conn.scalar(sa.select(sa.func.count()).select_from(t.auto_scaling_rules))
    return int(count or 0)


async def test_rules_round_trip_in_creation_order(
    repo: DeploymentRepository,
    rule_spec: AutoScalingRuleSpec,
    deployment_id: DeploymentId,
    clock: ManualClock,
) -> None:
    scale_out = await repo.create_auto_scaling_rule(rule_spec)
    clock.advance(timedelta(seconds=1))
    scale_in = await repo.create_auto_scaling_rule(
        dataclasses.replace(
            rule_spec,
            metric_source=MetricSource.INFERENCE_FRAMEWORK,
            metric_name="requests_per_second",
            threshold=Decimal("0.1"),
            comparator=Comparator.LESS_THAN_OR_EQUAL,
            step_size=-1,
            min_replicas=None,
            max_replicas=None,
        )
    )

    rules = await repo.list_auto_scaling_rules(deployment_id)

    assert [rule.id for rule in rules] == [scale_out.id, scale_in.id]
    assert rules[0].spec == rule_spec
    assert rules[0].created_at == T0
    assert rules[0].last_triggered_at is None
    assert rules[1].spec.threshold == Decimal("0.1")
    assert rules[1].spec.comparator is Comparator.LESS_THAN_OR_EQUAL
    assert await repo.list_auto_scaling_rules(DeploymentId(uuid.uuid4())) == []


async def test_delete_auto_scaling_rule(
    repo: DeploymentRepository, rule_spec: AutoScalingRuleSpec, deployment_id: DeploymentId
) -> None:
    rule = await repo.create_auto_scaling_rule(rule_spec)

    assert await repo.delete_auto_scaling_rule(rule.id) is True
    assert await repo.delete_auto_scaling_rule(rule.id) is False
    assert await repo.delete_auto_scaling_rule(AutoScalingRuleId(uuid.uuid4())) is False
    assert await repo.list_auto_scaling_rules(deployment_id) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"metric_name": ""}, "non-empty metric name"),
        ({"step_size": 0}, "step_size must not be 0"),
        ({"cooldown_seconds": -5}, "cooldown_seconds must be 0 or more"),
        ({"min_replicas": -1}, "min_replicas must be 0 or more"),
        ({"min_replicas": 5, "max_replicas": 2}, r"min_replicas \(5\) must not exceed"),
        ({"threshold": Decimal("NaN")}, "threshold must be a finite number"),
    ],
)
async def test_create_auto_scaling_rule_rejects_invalid_spec(
    repo: DeploymentRepository,
    rule_spec: AutoScalingRuleSpec,
    db_engine: AsyncEngine,
    change: dict[str, object],
    message: str,
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        await repo.create_auto_scaling_rule(dataclasses.replace(rule_spec, **change))  # type: ignore[arg-type]

    assert await _rule_count(db_engine) == 0


async def test_create_auto_scaling_rule_for_unknown_deployment(
    repo: DeploymentRepository, rule_spec: AutoScalingRuleSpec, db_engine: AsyncEngine
) -> None:
    orphan = dataclasses.replace(rule_spec, endpoint_id=DeploymentId(uuid.uuid4()))

    with pytest.raises(NotFoundError, match="not found"):
        await repo.create_auto_scaling_rule(orphan)

    assert await _rule_count(db_engine) == 0
