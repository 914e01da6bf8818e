"""Submitting a session over the API: the checks the API adds before the controller's own.

The controller validates a submission against the database and writes it. Before that, the
API refuses what could wait in the queue forever: a request no ALIVE agent of the scaling
group could hold even when empty (`can_ever_fit`), and a request larger on its own than any
owner's total resource limit. Both are 422 with the exact shortfall, and nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sokovan.api.auth import Principal
from sokovan.api.context import ApiContext
from sokovan.api.errors import NeverFitsError, ResourceLimitExceededError, SessionNotFoundError
from sokovan.api.schemas.common import parse_slots
from sokovan.api.schemas.sessions import SessionCreateRequest
from sokovan.common.ids import AgentId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.repositories.api.types import MemberGroup, PolicyLimit, SubmissionFacts
from sokovan.repositories.scheduler.snapshot_types import AgentSnapshot
from sokovan.scheduler.provisioner.capacity import KernelDemand, can_ever_fit
from sokovan.scheduler.provisioner.validators.slot_limits import format_amount, slot_overruns
from sokovan.scheduling_controller import (
    KernelCreationSpec,
    SessionCreationSpec,
    SessionOwnershipError,
    SessionSpecError,
)


async def submit_session(
    context: ApiContext, principal: Principal, request: SessionCreateRequest
) -> SessionId:
    """Check `request` as `principal`'s and enqueue it; raises a `SokovanError` otherwise."""
    per_kernel = parse_slots(dict(request.resources), context.config.slot_types, "resources")
    scaling_group = request.scaling_group or context.config.default_scaling_group
    facts = await context.api_repository.get_submission_facts(scaling_group, principal.access_key)
    group = choose_group(facts.groups, request.group, principal.domain_name)
    await _check_dependencies(context, principal, request.dependencies)
    demands = tuple(
        KernelDemand(request.architecture, per_kernel) for _ in range(request.cluster_size)
    )
    check_ever_fits(facts, demands, request, scaling_group)
    check_total_limits(facts, group, per_kernel * request.cluster_size)
    spec = build_spec(request, principal, group, scaling_group, per_kernel)
    return await context.controller.enqueue_session(spec)


def build_spec(
    request: SessionCreateRequest,
    principal: Principal,
    group: MemberGroup,
    scaling_group: str,
    per_kernel: ResourceSlot,
) -> SessionCreationSpec:
    """The controller's submission for `request`: `cluster_size` identical kernels."""
    kernel = KernelCreationSpec(
        image=request.image,
        resources=per_kernel,
        architecture=request.architecture,
        startup_command=request.command,
    )
    designated = request.designated_agents
    return SessionCreationSpec(
        name=request.name or f"session-{uuid.uuid4().hex[:8]}",
        access_key=principal.access_key,
        user_id=principal.user_id,
        group_id=group.group_id,
        domain_name=principal.domain_name,
        scaling_group=scaling_group,
        kernels=(kernel,) * request.cluster_size,
        session_type=request.session_type,
        priority=request.priority,
        cluster_mode=request.cluster_mode,
        cluster_size=request.cluster_size,
        starts_at=request.starts_at,
        designated_agent_ids=None if designated is None else tuple(map(AgentId, designated)),
        depends_on=tuple(SessionId(dep) for dep in request.dependencies),
        environ=dict(request.environ),
        creation_id=request.creation_id,
    )


def choose_group(groups: Sequence[MemberGroup], name: str | None, domain: str) -> MemberGroup:
    """The caller's group named `name`, or their only group when no name is given."""
    if name is not None:
        for group in groups:
            if group.name == name:
                return group
        raise SessionOwnershipError(
            f"you are not a member of group {name!r} in domain {domain!r}; name a group of yours"
        )
    if len(groups) == 1:
        return groups[0]
    if not groups:
        raise SessionOwnershipError(
            f"you belong to no group in domain {domain!r}; ask an administrator to add you to one"
        )
    names = ", ".join(group.name for group in groups)
    raise SessionSpecError(f"you belong to several groups ({names}); name one in 'group'")


async def _check_dependencies(
    context: ApiContext, principal: Principal, dependencies: Sequence[uuid.UUID]
) -> None:
    """Users may depend only on their own sessions; others' look as absent as unknown ones."""
    if principal.is_admin or not dependencies:
        return
    owners = await context.api_repository.get_session_owners(
        [SessionId(dep) for dep in dependencies]
    )
    foreign = sorted(
        str(dep) for dep in dependencies if owners.get(SessionId(dep)) != principal.user_id
    )
    if foreign:
        raise SessionNotFoundError(
            f"dependencies not found: {', '.join(foreign)}; depend only on your own sessions"
        )


def check_ever_fits(
    facts: SubmissionFacts,
    demands: tuple[KernelDemand, ...],
    request: SessionCreateRequest,
    scaling_group: str,
) -> None:
    """Raise `NeverFitsError` when no ALIVE agent the session may use could ever hold it.

    Skipped for a missing or inactive scaling group: the controller names that problem.
    """
    if not facts.scaling_group_usable:
        return
    agents = _candidates(facts.alive_agents, request.designated_agents)
    if not agents:
        which = (
            "none of the designated agents is an ALIVE agent"
            if request.designated_agents is not None
            else "there are no ALIVE agents"
        )
        raise NeverFitsError(
            f"no agents: {which} in scaling group {scaling_group!r}; start an agent there "
            "or submit to another scaling group",
            {"shortfall": sum((d.slots for d in demands), ResourceSlot()).to_json()},
        )
    verdict = can_ever_fit(demands, agents, request.cluster_mode, facts.max_container_count)
    if not verdict.fits:
        raise NeverFitsError(
            f"this session can never run in scaling group {scaling_group!r}: {verdict.message}; "
            "change the request or add agents that can hold it",
            {"shortfall": verdict.shortfall.to_json()},
        )


def _candidates(
    agents: tuple[AgentSnapshot, ...], designated: Sequence[str] | None
) -> tuple[AgentSnapshot, ...]:
    if designated is None:
        return agents
    allowed = set(designated)
    return tuple(agent for agent in agents if agent.agent_id in allowed)


def check_total_limits(facts: SubmissionFacts, group: MemberGroup, requested: ResourceSlot) -> None:
    """Raise `ResourceLimitExceededError` when `requested` alone exceeds an owner's limit."""
    owners: tuple[tuple[str, PolicyLimit | None], ...] = (
        ("keypair", facts.keypair_policy),
        ("user", facts.user_policy),
        ("group", group.policy),
        ("domain", facts.domain_policy),
    )
    for scope, policy in owners:
        if policy is None:
            continue
        overruns = slot_overruns(ResourceSlot(), requested, policy.total_resource_slots)
        if overruns:
            excess = ", ".join(
                f"{o.slot} {format_amount(o.slot, o.requested)} > {format_amount(o.slot, o.limit)}"
                for o in overruns
            )
            raise ResourceLimitExceededError(
                f"the session requests more than the {scope} resource policy {policy.name!r} "
                f"allows in total: {excess}; request less or ask an administrator to raise "
                "the limit",
                {
                    "scope": scope,
                    "policy": policy.name,
                    "limit": policy.total_resource_slots.to_json(),
                },
            )
