"""Failure classification: what a handler's failure means for its session (pure policy).

Handlers only report that a session failed; the coordinator decides, per session and in this
order of priority:

1. give_up    - the phase has been attempted `max_retries` times or more;
2. expired    - the session has been in its status longer than its timeout (measured from
                the start of the current phase, or from the last status change when the
                phase has no history yet);
3. need_retry - anything else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sokovan.common.clock import Clock
from sokovan.common.ids import SessionId
from sokovan.common.scheduling import StatusTransitions
from sokovan.common.status import SessionStatus
from sokovan.repositories.scheduler.types import SessionInfo, SessionWithKernels
from sokovan.scheduler.constants import SERVICE_MAX_RETRIES, STATUS_TIMEOUT_MAP
from sokovan.scheduler.results import SessionTransitionInfo


@dataclass(frozen=True, slots=True)
class FailureClassification:
    give_up: list[SessionTransitionInfo] = field(default_factory=list)
    expired: list[SessionTransitionInfo] = field(default_factory=list)
    need_retry: list[SessionTransitionInfo] = field(default_factory=list)

    def under(self, transitions: StatusTransitions) -> FailureClassification:
        """This classification as `transitions` let it apply.

        A handler that declares no failure transition but `expired` (need_retry and give_up
        both unset, or both identical to it) has said what any failure of its means: all
        its failures are expired, whatever their attempts or age. This is how a launcher
        error sends SCHEDULED or PREPARED sessions back to PENDING at once, and how the
        pending-timeout sweep's failures are recorded as EXPIRED.
        """
        if not _only_expired(transitions):
            return self
        return FailureClassification(expired=[*self.give_up, *self.expired, *self.need_retry])


def _only_expired(transitions: StatusTransitions) -> bool:
    expired = transitions.expired
    if expired is None:
        return False
    others = (transitions.need_retry, transitions.give_up)
    return others == (None, None) or others == (expired, expired)


class FailureClassifier:
    """Classifies failures by attempts and time in status, with the clock given."""

    def __init__(
        self,
        clock: Clock,
        *,
        max_retries: int = SERVICE_MAX_RETRIES,
        timeouts: Mapping[SessionStatus, timedelta] = STATUS_TIMEOUT_MAP,
    ) -> None:
        self._clock = clock
        self._max_retries = max_retries
        self._timeouts = timeouts

    def classify(
        self,
        failures: Sequence[SessionTransitionInfo],
        sessions: Sequence[SessionWithKernels],
    ) -> FailureClassification:
        """Split `failures` in order; a failure whose session is not in `sessions` has no
        attempts or age to judge by and is need_retry."""
        by_id: dict[SessionId, SessionWithKernels] = {s.session_id: s for s in sessions}
        give_up: list[SessionTransitionInfo] = []
        expired: list[SessionTransitionInfo] = []
        need_retry: list[SessionTransitionInfo] = []
        for failure in failures:
            session = by_id.get(failure.session_id)
            if session is not None and session.phase_attempts >= self._max_retries:
                give_up.append(failure)
            elif session is not None and self.is_expired(session.status, _phase_start(session)):
                expired.append(failure)
            else:
                need_retry.append(failure)
        return FailureClassification(give_up, expired, need_retry)

    def overdue(self, sessions: Iterable[SessionInfo]) -> list[SessionTransitionInfo]:
        """The sessions past their status's timeout, as failures with a timeout reason."""
        return [
            SessionTransitionInfo.of(session, timeout_reason(session.status))
            for session in sessions
            if self.is_expired(session.status, session.status_changed)
        ]

    def expiry_cutoffs(self, statuses: Iterable[SessionStatus]) -> dict[SessionStatus, datetime]:
        """For each of `statuses` with a timeout: a session that entered it before this moment
        is past it (`is_expired`)."""
        now = self._clock.now()
        return {
            status: now - timeout
            for status in statuses
            if (timeout := self._timeouts.get(status)) is not None
        }

    def is_expired(self, status: SessionStatus, since: datetime) -> bool:
        """Whether a session in `status` since `since` is past that status's timeout (strictly)."""
        timeout = self._timeouts.get(status)
        return timeout is not None and self._clock.now() - since > timeout


def _phase_start(session: SessionWithKernels) -> datetime:
    return session.phase_started_at or session.session_info.status_changed


def timeout_reason(status: SessionStatus) -> str:
    """The reason recorded for a session that overstayed `status`, e.g. PULLING_TIMEOUT_EXCEEDED."""
    return f"{status.value}_TIMEOUT_EXCEEDED"
