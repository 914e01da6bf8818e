"""The API's own submission rules: group choice, never-fits, owners' total limits, amounts."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from sokovan.api.errors import NeverFitsError, ResourceLimitExceededError
from sokovan.api.schemas.common import parse_slots
from sokovan.api.schemas.sessions import SessionCreateRequest
from sokovan.api.submission import check_ever_fits, check_total_limits, choose_group
from sokovan.common.errors import InvalidResourceValueError, UnknownSlotTypeError
from sokovan.common.ids import AgentId, GroupId
from sokovan.common.resource_slot import DEFAULT_SLOT_TYPES, ResourceSlot
from sokovan.repositories.api.types import MemberGroup, PolicyLimit, SubmissionFacts
from sokovan.repositories.scheduler.snapshot_types import AgentSnapshot
from sokovan.scheduler.provisioner.capacity import KernelDemand
from sokovan.scheduling_controller import SessionOwnershipError, SessionSpecError

RESEARCH = MemberGroup(GroupId(uuid.UUID(int=1)), "research", None)
OPS = MemberGroup(GroupId(uuid.UUID(int=2)), "ops", PolicyLimit("ops", ResourceSlot({"cpu": 4})))


def _agent(agent_id: str, cpu: int) -> AgentSnapshot:
    return AgentSnapshot(
        AgentId(agent_id), "addr", "x86_64", ResourceSlot({"cpu": cpu}), ResourceSlot(), 0
    )


def _facts(
    *agents: AgentSnapshot, usable: bool = True, policies: dict[str, PolicyLimit] | None = None
) -> SubmissionFacts:
    """Facts with `agents` ALIVE; `policies` by owner scope ("keypair", "user", "domain")."""
    chosen = policies or {}
    return SubmissionFacts(
        scaling_group_usable=usable,
        max_container_count=None,
        alive_agents=agents,
        groups=(RESEARCH,),
        keypair_policy=chosen.get("keypair"),
        user_policy=chosen.get("user"),
        domain_policy=chosen.get("domain"),
    )


def _request(**fields: Any) -> SessionCreateRequest:
    return SessionCreateRequest.model_validate({"image": "python:3.11", **fields})


def _demand(cpu: int, count: int = 1) -> tuple[KernelDemand, ...]:
    return (KernelDemand("x86_64", ResourceSlot({"cpu": cpu})),) * count


def test_choose_group_by_name_or_the_only_one() -> None:
    assert choose_group([RESEARCH], None, "d") is RESEARCH
    assert choose_group([RESEARCH, OPS], "ops", "d") is OPS
    with pytest.raises(SessionSpecError, match=r"several groups \(research, ops\)"):
        choose_group([RESEARCH, OPS], None, "d")
    with pytest.raises(SessionOwnershipError, match="no group in domain 'd'"):
        choose_group([], None, "d")
    with pytest.raises(SessionOwnershipError, match="not a member of group 'x'"):
        choose_group([RESEARCH], "x", "d")


def test_ever_fits_names_the_closest_agent_and_the_shortfall() -> None:
    facts = _facts(_agent("big", 8), _agent("small", 2))
    check_ever_fits(facts, _demand(8), _request(), "default")

    with pytest.raises(NeverFitsError) as refused:
        check_ever_fits(facts, _demand(10), _request(), "default")

    assert "needs cpu 10 but the closest x86_64 agent, big, has cpu 8" in str(refused.value)
    assert refused.value.details == {"shortfall": {"cpu": "2"}}


def test_ever_fits_without_candidates_says_no_agents() -> None:
    with pytest.raises(NeverFitsError, match="no agents: there are no ALIVE agents"):
        check_ever_fits(_facts(), _demand(1), _request(), "default")
    with pytest.raises(NeverFitsError, match="none of the designated agents"):
        check_ever_fits(
            _facts(_agent("a1", 8)), _demand(1), _request(designated_agents=["a2"]), "default"
        )


def test_ever_fits_leaves_a_missing_scaling_group_to_the_controller() -> None:
    check_ever_fits(_facts(usable=False), _demand(100), _request(), "nowhere")


def test_total_limits_check_every_owner_scope() -> None:
    tight = PolicyLimit("tight", ResourceSlot({"cpu": 2, "mem": 2**30}))
    for scope in ("keypair", "user", "domain"):
        facts = _facts(policies={scope: tight})
        with pytest.raises(ResourceLimitExceededError, match=f"the {scope} resource policy"):
            check_total_limits(facts, RESEARCH, ResourceSlot({"cpu": 3}))
    with pytest.raises(ResourceLimitExceededError, match=r"group resource policy 'ops'.*cpu 5 > 4"):
        check_total_limits(_facts(), OPS, ResourceSlot({"cpu": 5}))
    # Slots the policy does not name, and amounts within it, pass.
    check_total_limits(
        _facts(policies={"keypair": tight}), OPS, ResourceSlot({"cpu": 2, "cuda.device": 8})
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"cpu": "1.5", "mem": "4g"}, {"cpu": Decimal("1.5"), "mem": Decimal(4 * 2**30)}),
        ({"cpu": 2, "mem": 512}, {"cpu": Decimal(2), "mem": Decimal(512)}),
        ({"cpu": 10**15}, {"cpu": Decimal(10**15)}),
        ({}, {}),
    ],
)
def test_parse_slots_reads_units(raw: dict[str, Any], expected: dict[str, Decimal]) -> None:
    assert parse_slots(raw, DEFAULT_SLOT_TYPES, "resources") == ResourceSlot(expected)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ({"cpu": 10**15 + 1}, InvalidResourceValueError),
        ({"mem": "1p"}, InvalidResourceValueError),
        ({"cpu": "-1"}, InvalidResourceValueError),
        ({"cpu": float("nan")}, InvalidResourceValueError),
        ({"warp": 1}, UnknownSlotTypeError),
    ],
)
def test_parse_slots_refuses_bad_amounts_naming_the_field(
    raw: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error, match=r"^resources: "):
        parse_slots(raw, DEFAULT_SLOT_TYPES, "resources")
