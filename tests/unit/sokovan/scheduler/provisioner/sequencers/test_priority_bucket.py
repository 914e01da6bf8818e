"""Only the highest-priority bucket is sequenced; the rest wait with a reason."""

from __future__ import annotations

from sokovan.scheduler.provisioner.sequencers.priority import highest_priority_bucket
from unit.sokovan.scheduler.provisioner.snapshot_builders import pending_session


def test_ss_008_higher_priority_sessions_go_first_and_others_are_deferred() -> None:
    low = pending_session(priority=10, at=0)
    high_a = pending_session(priority=20, at=1)
    lowest = pending_session(priority=5, at=2)
    high_b = pending_session(priority=20, at=3)

    bucket = highest_priority_bucket([low, high_a, lowest, high_b])

    assert bucket.priority == 20
    assert bucket.sessions == (high_a, high_b)
    assert [d.session for d in bucket.deferred] == [low, lowest]
    assert {d.reason for d in bucket.deferred} == {"waiting for 2 sessions of higher priority (20)"}


def test_one_higher_priority_session_is_named_in_the_singular() -> None:
    high, low = pending_session(priority=30), pending_session(priority=0)

    bucket = highest_priority_bucket([low, high])

    assert bucket.deferred[0].reason == "waiting for 1 session of higher priority (30)"


def test_equal_priorities_defer_nothing() -> None:
    sessions = [pending_session(priority=10, at=i) for i in range(3)]

    bucket = highest_priority_bucket(sessions)

    assert bucket.sessions == tuple(sessions)
    assert bucket.deferred == ()


def test_no_pending_sessions_give_an_empty_bucket() -> None:
    bucket = highest_priority_bucket([])

    assert (bucket.priority, bucket.sessions, bucket.deferred) == (None, (), ())
