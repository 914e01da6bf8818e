"""The coordinator's retry and timeout policy and the schedule hints that follow a transition."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Final

from sokovan.common.scheduling import ScheduleType
from sokovan.common.status import SessionStatus

#: A failing phase is given up once this many attempts are recorded in its history.
SERVICE_MAX_RETRIES: Final = 5

#: Longest time a session may stay in a status before a failure there counts as expired.
#: Statuses absent here never expire.
STATUS_TIMEOUT_MAP: Final[Mapping[SessionStatus, timedelta]] = MappingProxyType(
    {
        SessionStatus.PREPARING: timedelta(seconds=900),
        SessionStatus.PULLING: timedelta(seconds=900),
        SessionStatus.CREATING: timedelta(seconds=600),
    }
)


def status_timeouts(terminating_grace_period: timedelta) -> Mapping[SessionStatus, timedelta]:
    """STATUS_TIMEOUT_MAP with TERMINATING timing out after `terminating_grace_period`.

    A TERMINATING session waits for agent events; one whose agent never answers would wait
    forever. With this map the coordinator expires it (promote-to-terminated's `expired`
    forces it TERMINATED) and treats termination failures past the grace period as expired.
    """
    return MappingProxyType(
        {**STATUS_TIMEOUT_MAP, SessionStatus.TERMINATING: terminating_grace_period}
    )


#: The schedule types with work to do once a session enters a status; statuses absent here
#: (PENDING, RUNNING, CANCELLED, ERROR) wake nothing. Entering TERMINATING wakes the
#: termination RPCs and also the TERMINATED promotion, because a session terminated for an
#: already-dead kernel may be complete at once. TERMINATED frees capacity, so placement runs.
STATUS_TO_NEXT_SCHEDULE_TYPE: Final[Mapping[SessionStatus, tuple[ScheduleType, ...]]] = (
    MappingProxyType(
        {
            SessionStatus.SCHEDULED: (ScheduleType.CHECK_PRECONDITION,),
            SessionStatus.PREPARING: (ScheduleType.CHECK_PULLING_PROGRESS,),
            SessionStatus.PULLING: (ScheduleType.CHECK_PULLING_PROGRESS,),
            SessionStatus.PREPARED: (ScheduleType.START,),
            SessionStatus.CREATING: (ScheduleType.CHECK_CREATING_PROGRESS,),
            SessionStatus.DEPRIORITIZING: (ScheduleType.DEPRIORITIZE,),
            SessionStatus.TERMINATING: (
                ScheduleType.TERMINATE,
                ScheduleType.CHECK_TERMINATING_PROGRESS,
            ),
            SessionStatus.TERMINATED: (ScheduleType.SCHEDULE,),
        }
    )
)

#: status_info given to kernels sent back to PENDING for a new placement.
KERNEL_RESET_REASON: Final = "EXCEEDED_MAX_RETRIES"

#: Reason recorded for a kernel a kernel handler reports as failed without saying why.
KERNEL_HANDLER_FAILURE: Final = "kernel_handler_failure"
