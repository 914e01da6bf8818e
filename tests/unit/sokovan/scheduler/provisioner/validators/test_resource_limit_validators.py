"""Keypair, user, group and domain quotas: occupied (this cycle included) + requested ≤ limit."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from sokovan.common.resource_slot import ResourceSlot
from sokovan.scheduler.provisioner.cycle import CycleState
from sokovan.scheduler.provisioner.errors import QuotaExceeded
from sokovan.scheduler.provisioner.validators.base import Validator
from sokovan.scheduler.provisioner.validators.domain_limit import DomainResourceLimitValidator
from sokovan.scheduler.provisioner.validators.group_limit import GroupResourceLimitValidator
from sokovan.scheduler.provisioner.validators.keypair_limit import KeypairResourceLimitValidator
from sokovan.scheduler.provisioner.validators.slot_limits import format_amount
from sokovan.scheduler.provisioner.validators.user_limit import UserResourceLimitValidator
from unit.sokovan.scheduler.provisioner.snapshot_builders import (
    AK,
    DOMAIN,
    GROUP,
    T0,
    USER,
    occupancy,
    pending_session,
    policies,
    policy,
    scheduling_data,
    slots,
)

#: (scope, its validator, the key the session's owner has in that scope)
SCOPES: list[tuple[str, Validator, Any]] = [
    ("keypair", KeypairResourceLimitValidator(), AK),
    ("user", UserResourceLimitValidator(), USER),
    ("group", GroupResourceLimitValidator(), GROUP),
    ("domain", DomainResourceLimitValidator(), DOMAIN),
]
scopes = pytest.mark.parametrize(
    ("scope", "validator", "key"), SCOPES, ids=[scope for scope, _, _ in SCOPES]
)


def _cycle(scope: str, key: Any, limit: ResourceSlot | None, held: ResourceSlot) -> CycleState:
    # Both snapshots name their per-scope mappings alike: by_keypair, by_user, …
    field = f"by_{scope}"
    limits: dict[str, Any] = {field: {} if limit is None else {key: policy("p", total=limit)}}
    holdings: dict[str, Any] = {field: {key: held}}
    data = scheduling_data(
        policy_snapshot=replace(policies(), **limits),
        occupancy_snapshot=replace(occupancy(), **holdings),
    )
    return CycleState(data=data, now=T0)


@scopes
@pytest.mark.parametrize(
    ("held", "requested", "limit"),
    [
        (slots(cpu=190), slots(cpu=10), slots(cpu=200)),  # 190 + 10 = 200 ≤ 200
        (slots(cpu=500), slots(cpu=10), ResourceSlot()),  # empty policy slots: unlimited
        (slots(cpu=500), slots(cpu=10), None),  # no policy at all
        (slots(mem="1t"), slots(cpu=1, mem="1t"), slots(cpu=2)),  # mem is not limited
        # cuda.device 5 > 4 already (quota lowered), but this session asks for no GPU.
        (ResourceSlot({"cuda.device": 5}), slots(cpu=1), ResourceSlot({"cuda.device": 4})),
    ],
)
def test_requests_within_the_quota_pass(
    scope: str,
    validator: Validator,
    key: Any,
    held: ResourceSlot,
    requested: ResourceSlot,
    limit: ResourceSlot | None,
) -> None:
    validator.validate(pending_session(requested=requested), _cycle(scope, key, limit, held))


@scopes
def test_cp_002_quota_exceeded_names_the_arithmetic(
    scope: str, validator: Validator, key: Any
) -> None:
    cycle = _cycle(scope, key, slots(cpu=200), slots(cpu=195))

    # 195 held + 10 requested = 205 > 200
    with pytest.raises(QuotaExceeded) as caught:
        validator.validate(pending_session(requested=slots(cpu=10)), cycle)

    assert caught.value.message == (
        f"{scope} quota: cpu 195 + 10 > 200 (policy 'p'); "
        "wait for running sessions to finish or request fewer resources"
    )
    assert caught.value.code == "quota-exceeded"


def test_cp_002_user_at_full_quota_cannot_start_another_session() -> None:
    """CP-002: the user's quota is 100% used; any new request is rejected as quota-exceeded."""
    cycle = _cycle("user", USER, slots(cpu=8, mem="32g"), slots(cpu=8, mem="32g"))

    # the default request is cpu 1, mem 1g: cpu 8 + 1 > 8 and mem 32g + 1g > 32g
    with pytest.raises(QuotaExceeded, match=r"^user quota: cpu 8 \+ 1 > 8, mem 32g \+ 1g > 32g "):
        UserResourceLimitValidator().validate(pending_session(), cycle)


@scopes
def test_placements_earlier_in_the_cycle_count(scope: str, validator: Validator, key: Any) -> None:
    cycle = _cycle(scope, key, slots(cpu=2), ResourceSlot())
    cycle.record_placement(pending_session(requested=slots(cpu="1.5")))

    # 0 held + 1.5 placed this cycle + 1 requested = 2.5 > 2
    with pytest.raises(QuotaExceeded, match=r"cpu 1\.5 \+ 1 > 2 "):
        validator.validate(pending_session(requested=slots(cpu=1)), cycle)


def test_every_exceeded_slot_is_listed() -> None:
    limit = ResourceSlot({"cpu": 4, "cuda.shares": "1"})
    cycle = _cycle("keypair", AK, limit, ResourceSlot({"cpu": 3, "cuda.shares": "0.75"}))
    requested = ResourceSlot({"cpu": 2, "cuda.shares": "0.5"})

    # cpu 3 + 2 = 5 > 4; cuda.shares 0.75 + 0.5 = 1.25 > 1
    with pytest.raises(QuotaExceeded, match=r"cpu 3 \+ 2 > 4, cuda.shares 0.75 \+ 0.5 > 1 "):
        KeypairResourceLimitValidator().validate(pending_session(requested=requested), cycle)


@pytest.mark.parametrize(
    ("slot", "amount", "text"),
    [
        ("cpu", Decimal("195.00"), "195"),  # no trailing zeros, no exponent
        ("cpu", Decimal("0.5"), "0.5"),
        ("cpu", Decimal("2E+2"), "200"),
        ("cpu", Decimal("0.00"), "0"),
        (
            "cuda.shares",
            Decimal("1234567890123456789012345678.5"),
            "1234567890123456789012345678.5",
        ),
        ("mem", Decimal(0), "0"),
        ("mem", Decimal(32 * 2**30), "32g"),  # 32 × 1024³
        ("mem", Decimal(3 * 2**29), "1536m"),  # 1.5 GiB: the largest unit dividing exactly
        ("mem", Decimal(1000), "1000"),  # no binary unit divides 1000 bytes
        ("cuda.shares", Decimal(2048), "2048"),  # only byte slots get units
    ],
)
def test_amounts_read_exactly_in_user_syntax(slot: str, amount: Decimal, text: str) -> None:
    assert format_amount(slot, amount) == text
