"""The validator chain: documented order, first rejection wins."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sokovan.common.scheduling import SessionType
from sokovan.common.status import SessionResult, SessionStatus
from sokovan.repositories.scheduler.snapshot_types import (
    DependencyState,
    PendingSession,
    PendingStats,
)
from sokovan.scheduler.provisioner.cycle import CycleState
from sokovan.scheduler.provisioner.errors import (
    ConcurrencyLimitExceeded,
    DependencyFailed,
    PendingSessionCountLimitExceeded,
    QuotaExceeded,
    ReservedBatchNotStarted,
    SchedulingRejection,
)
from sokovan.scheduler.provisioner.validators.concurrency import ConcurrencyValidator
from sokovan.scheduler.provisioner.validators.dependencies import DependencyValidator
from sokovan.scheduler.provisioner.validators.domain_limit import DomainResourceLimitValidator
from sokovan.scheduler.provisioner.validators.group_limit import GroupResourceLimitValidator
from sokovan.scheduler.provisioner.validators.keypair_limit import KeypairResourceLimitValidator
from sokovan.scheduler.provisioner.validators.pending_count import PendingCountValidator
from sokovan.scheduler.provisioner.validators.pending_resource import PendingResourceValidator
from sokovan.scheduler.provisioner.validators.reserved_batch import ReservedBatchValidator
from sokovan.scheduler.provisioner.validators.user_limit import UserResourceLimitValidator
from sokovan.scheduler.provisioner.validators.validator import (
    SchedulingValidator,
    default_validators,
)
from unit.sokovan.scheduler.provisioner.snapshot_builders import (
    AK,
    T0,
    USER,
    occupancy,
    pending_session,
    policies,
    policy,
    scheduling_data,
    session_id,
    slots,
)


class _Recording:
    """A validator that records that it ran and optionally rejects."""

    def __init__(self, name: str, log: list[str], *, rejects: bool = False) -> None:
        self.name, self.log, self.rejects = name, log, rejects

    def validate(self, session: PendingSession, cycle: CycleState) -> None:
        self.log.append(self.name)
        if self.rejects:
            raise SchedulingRejection(self.name)


def test_validators_run_in_order_and_the_first_rejection_wins() -> None:
    log: list[str] = []
    chain = SchedulingValidator(
        [
            _Recording("first", log),
            _Recording("second", log, rejects=True),
            _Recording("third", log, rejects=True),
        ]
    )

    with pytest.raises(SchedulingRejection, match="second"):
        chain.validate(pending_session(), CycleState(data=scheduling_data(), now=T0))

    assert log == ["first", "second"]


def test_default_order_is_cheap_and_definitive_first() -> None:
    assert [type(v) for v in default_validators()] == [
        ReservedBatchValidator,
        DependencyValidator,
        ConcurrencyValidator,
        PendingCountValidator,
        PendingResourceValidator,
        KeypairResourceLimitValidator,
        UserResourceLimitValidator,
        GroupResourceLimitValidator,
        DomainResourceLimitValidator,
    ]


def _violating_everything(session: PendingSession) -> CycleState:
    """A snapshot where `session` breaks every rule the default chain checks."""
    strict = policy(
        "strict",
        total=slots(cpu=1),
        max_concurrent=1,
        max_pending_count=1,
        max_pending_slots=slots(cpu=1),
    )
    data = scheduling_data(
        policy_snapshot=policies(by_keypair={AK: strict}, by_user={USER: strict}),
        occupancy_snapshot=occupancy(
            by_keypair={AK: slots(cpu=1)},
            by_user={USER: slots(cpu=1)},
            concurrent={AK: 1},
        ),
        dependencies={session_id(1): DependencyState(SessionStatus.ERROR, SessionResult.FAILURE)},
    )
    return CycleState(data=data, now=T0)


@pytest.mark.parametrize(
    ("reserved", "depends", "expected"),
    [
        (True, True, ReservedBatchNotStarted),
        (False, True, DependencyFailed),
        (False, False, ConcurrencyLimitExceeded),
    ],
)
def test_the_reported_reason_follows_the_documented_order(
    reserved: bool, depends: bool, expected: type[SchedulingRejection]
) -> None:
    session = pending_session(
        session_type=SessionType.BATCH,
        starts_at=T0 + timedelta(hours=1) if reserved else None,
        depends_on=[session_id(1)] if depends else [],
        requested=slots(cpu=2),
    )

    with pytest.raises(expected):
        SchedulingValidator(default_validators()).validate(session, _violating_everything(session))


def test_a_session_breaking_no_rule_passes_the_default_chain() -> None:
    session = pending_session(requested=slots(cpu=1))
    roomy = policy("roomy", total=slots(cpu=8), max_concurrent=2, max_pending_count=2)
    data = scheduling_data(
        sessions=[session],
        policy_snapshot=policies(by_keypair={AK: roomy}, by_user={USER: roomy}),
        occupancy_snapshot=occupancy(by_keypair={AK: slots(cpu=7)}, concurrent={AK: 1}),
    )

    SchedulingValidator(default_validators()).validate(session, CycleState(data=data, now=T0))


def test_cp_002_user_quota_exceeded_through_the_default_chain() -> None:
    """CP-002: user quota fully used; the chain fails the session with code quota-exceeded."""
    session = pending_session(requested=slots(cpu=1))
    data = scheduling_data(
        sessions=[session],
        policy_snapshot=policies(by_user={USER: policy("team", total=slots(cpu=4))}),
        occupancy_snapshot=occupancy(by_user={USER: slots(cpu=4)}),
    )

    with pytest.raises(QuotaExceeded) as caught:
        SchedulingValidator(default_validators()).validate(session, CycleState(data=data, now=T0))

    assert caught.value.code == "quota-exceeded"
    assert caught.value.message.startswith("user quota: cpu 4 + 1 > 4 (policy 'team')")


def test_cp_005_policy_violation_at_submission_through_the_default_chain() -> None:
    """CP-005 (resource policy violation): the seed's example is max_vfolder_count; sokovan has
    no vfolders, so a submission beyond max_pending_session_count stands in for it."""
    submitted = pending_session()  # not in the snapshot: it is being submitted
    limited = policy("limited", max_pending_count=2)
    data = scheduling_data(
        policy_snapshot=policies(by_keypair={AK: limited}),
        occupancy_snapshot=occupancy(pending={AK: PendingStats(count=2)}),
    )

    with pytest.raises(PendingSessionCountLimitExceeded, match="has 2 of 2 pending sessions"):
        SchedulingValidator(default_validators()).validate(submitted, CycleState(data, T0))
