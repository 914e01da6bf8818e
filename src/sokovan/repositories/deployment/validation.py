"""Input checks that keep impossible values out of the deployment tables.

Each check raises `InvalidInputError` with a message that names the field and the accepted
range, before anything is written.
"""

from __future__ import annotations

from sokovan.common.errors import InvalidInputError
from sokovan.repositories.deployment.types import AutoScalingRuleSpec, DeploymentCreationSpec

MAX_PORT = 65535


def check_replicas(replicas: int) -> None:
    if replicas < 0:
        raise InvalidInputError(f"replicas must be 0 or more, got {replicas}")


def check_route_count(count: int) -> None:
    if count < 0:
        raise InvalidInputError(f"the number of routes to create must be 0 or more, got {count}")


def check_creation_spec(spec: DeploymentCreationSpec) -> None:
    if not spec.name.strip():
        raise InvalidInputError("a deployment needs a non-empty name")
    if not 1 <= spec.port <= MAX_PORT:
        raise InvalidInputError(f"port must be between 1 and {MAX_PORT}, got {spec.port}")
    check_replicas(spec.replicas)


def check_rule_spec(spec: AutoScalingRuleSpec) -> None:
    if not spec.metric_name.strip():
        raise InvalidInputError("an auto-scaling rule needs a non-empty metric name")
    if not spec.threshold.is_finite():
        raise InvalidInputError(f"threshold must be a finite number, got {spec.threshold}")
    if spec.step_size == 0:
        raise InvalidInputError(
            "step_size must not be 0: use a positive step to scale out, a negative one to scale in"
        )
    if spec.cooldown_seconds < 0:
        raise InvalidInputError(f"cooldown_seconds must be 0 or more, got {spec.cooldown_seconds}")
    for name, bound in (("min_replicas", spec.min_replicas), ("max_replicas", spec.max_replicas)):
        if bound is not None and bound < 0:
            raise InvalidInputError(f"{name} must be 0 or more, got {bound}")
    if (
        spec.min_replicas is not None
        and spec.max_replicas is not None
        and spec.min_replicas > spec.max_replicas
    ):
        raise InvalidInputError(
            f"min_replicas ({spec.min_replicas}) must not exceed max_replicas ({spec.max_replicas})"
        )
