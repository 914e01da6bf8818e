"""max_concurrent_sessions: running sessions, plus this cycle's placements, plus this one."""

from __future__ import annotations

import pytest

from sokovan.scheduler.provisioner.cycle import CycleState
from sokovan.scheduler.provisioner.errors import ConcurrencyLimitExceeded
from sokovan.scheduler.provisioner.validators.concurrency import ConcurrencyValidator
from unit.sokovan.scheduler.provisioner.snapshot_builders import (
    AK,
    T0,
    occupancy,
    pending_session,
    policies,
    policy,
    scheduling_data,
)


def _cycle(limit: int | None, running: int, *, with_policy: bool = True) -> CycleState:
    by_keypair = {AK: policy("gold", max_concurrent=limit)} if with_policy else {}
    data = scheduling_data(
        policy_snapshot=policies(by_keypair=by_keypair),
        occupancy_snapshot=occupancy(concurrent={AK: running}),
    )
    return CycleState(data=data, now=T0)


@pytest.mark.parametrize(
    ("limit", "running"),
    [
        (3, 2),  # 2 + 1 = 3 ≤ 3
        (1, 0),  # 0 + 1 = 1 ≤ 1
        (None, 1000),  # no limit
    ],
)
def test_sessions_within_the_limit_pass(limit: int | None, running: int) -> None:
    ConcurrencyValidator().validate(pending_session(), _cycle(limit, running))


def test_a_keypair_without_a_policy_is_unlimited() -> None:
    ConcurrencyValidator().validate(pending_session(), _cycle(1, 50, with_policy=False))


def test_cp_005_concurrency_limit_reached_rejects() -> None:
    """CP-005 (resource policy violation): the seed's example is max_vfolder_count; sokovan has
    no vfolders, so the keypair policy's max_concurrent_sessions stands in for it."""
    # 3 running + 1 = 4 > 3
    with pytest.raises(ConcurrencyLimitExceeded) as caught:
        ConcurrencyValidator().validate(pending_session(), _cycle(3, 3))

    assert caught.value.message == (
        f"keypair {AK} has 3 of 3 concurrent sessions (policy 'gold'); wait for one to finish"
    )
    assert caught.value.code == "concurrency-limit"


def test_placements_earlier_in_the_cycle_count() -> None:
    cycle = _cycle(3, 1)
    cycle.record_placement(pending_session())
    cycle.record_placement(pending_session())

    # 1 running + 2 placed this cycle + 1 = 4 > 3
    with pytest.raises(ConcurrencyLimitExceeded, match="has 3 of 3"):
        ConcurrencyValidator().validate(pending_session(), cycle)
