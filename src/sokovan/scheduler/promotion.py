"""Promotions: declarative status changes driven by what a session's kernels report.

A promotion needs no handler code. Its spec says which sessions it looks at, what their
kernels must look like, and where such a session goes; the coordinator queries exactly those
sessions and applies the transition with the same hooks, history, events and
post-processors as a lifecycle handler's successes (DESIGN §3).

Two refinements beyond the plain kernel match keep sessions from getting stuck or from being
promoted half broken:

- `excluded_kernels`: a session with any kernel in these statuses is never promoted forward.
  A dead kernel is not "no longer pulling"; such sessions are left to detect-termination.
- `expired`: where to send a session that has stayed in a target status longer than the
  status timeout without qualifying (a pull or a creation that never finishes). The timeout
  map covers exactly the statuses promotions wait in (PREPARING, PULLING, CREATING; and
  TERMINATING, with its configurable grace period, for force termination).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType
from typing import Final

from sokovan.common.scheduling import KernelMatchType, ScheduleType, TransitionStatus
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.repositories.scheduler.conditions import (
    SessionCondition,
    SessionConditions,
    SessionQuerier,
)
from sokovan.scheduler.handlers.base import KernelMatch


@dataclass(frozen=True, slots=True)
class PromotionSpec:
    #: The phase name recorded in history.
    name: str
    schedule_type: ScheduleType
    #: Sessions in these statuses are candidates.
    target_statuses: frozenset[SessionStatus]
    #: What a candidate's kernels must look like to be promoted.
    kernel_match: KernelMatch
    success: TransitionStatus
    #: Becomes status_info; None keeps the session's current status_info.
    reason: str | None
    #: A candidate with any kernel in these statuses is never promoted.
    excluded_kernels: frozenset[KernelStatus] = frozenset()
    #: For candidates past their status timeout that still do not qualify; None: they wait.
    expired: TransitionStatus | None = None

    def querier(self, scaling_group: str) -> SessionQuerier:
        """The sessions of `scaling_group` this promotion applies to now."""
        conditions: list[SessionCondition] = [
            SessionConditions.by_scaling_group(scaling_group),
            SessionConditions.by_statuses(self.target_statuses),
            SessionConditions.by_kernel_match(
                self.kernel_match.statuses, self.kernel_match.match_type
            ),
        ]
        if self.excluded_kernels:
            conditions.append(
                SessionConditions.by_kernel_match(self.excluded_kernels, KernelMatchType.NOT_ANY)
            )
        return SessionQuerier(tuple(conditions))

    def overdue_querier(
        self, scaling_group: str, cutoffs: Mapping[SessionStatus, datetime]
    ) -> SessionQuerier:
        """The sessions of `scaling_group` in a target status, qualifying or not, that entered
        it before its cutoff: only those can be overdue, however many wait in the status."""
        return SessionQuerier(
            (
                SessionConditions.by_scaling_group(scaling_group),
                SessionConditions.by_statuses(self.target_statuses),
                SessionConditions.by_status_changed_before(cutoffs),
            )
        )


_TERMINATING = TransitionStatus(SessionStatus.TERMINATING, KernelStatus.TERMINATING)
_DEAD_KERNELS = KernelStatus.terminal_statuses()

PROMOTE_TO_PREPARED: Final = PromotionSpec(
    name="promote-to-prepared",
    schedule_type=ScheduleType.CHECK_PULLING_PROGRESS,
    target_statuses=frozenset({SessionStatus.PREPARING, SessionStatus.PULLING}),
    kernel_match=KernelMatch(KernelStatus.pre_prepared_statuses(), KernelMatchType.NOT_ANY),
    success=TransitionStatus(SessionStatus.PREPARED, KernelStatus.PREPARED),
    reason="images-ready",
    excluded_kernels=_DEAD_KERNELS,
    expired=_TERMINATING,
)

PROMOTE_TO_RUNNING: Final = PromotionSpec(
    name="promote-to-running",
    schedule_type=ScheduleType.CHECK_CREATING_PROGRESS,
    target_statuses=frozenset({SessionStatus.CREATING}),
    kernel_match=KernelMatch(KernelStatus.pre_running_statuses(), KernelMatchType.NOT_ANY),
    success=TransitionStatus(SessionStatus.RUNNING, KernelStatus.RUNNING),
    reason="kernels-running",
    excluded_kernels=_DEAD_KERNELS,
    expired=_TERMINATING,
)

#: A CANCELLED kernel never ran and never will: it counts as finished like a TERMINATED one.
#: The session keeps its status_info, which says why it was terminated.
PROMOTE_TO_TERMINATED: Final = PromotionSpec(
    name="promote-to-terminated",
    schedule_type=ScheduleType.CHECK_TERMINATING_PROGRESS,
    target_statuses=frozenset({SessionStatus.TERMINATING}),
    kernel_match=KernelMatch(KernelStatus.finished_statuses(), KernelMatchType.ALL),
    success=TransitionStatus(SessionStatus.TERMINATED, None),
    reason=None,
)

#: promote-to-terminated with force termination: a TERMINATING session whose kernels have not
#: all finished when its grace period is over (an agent that never answers) is forced to
#: TERMINATED together with its kernels, which frees what they held. The grace period is the
#: coordinator's status timeout for TERMINATING (`constants.status_timeouts`); without one,
#: this spec behaves exactly like PROMOTE_TO_TERMINATED.
PROMOTE_OR_FORCE_TERMINATED: Final = replace(
    PROMOTE_TO_TERMINATED,
    expired=TransitionStatus(SessionStatus.TERMINATED, KernelStatus.TERMINATED),
)

ABNORMAL_TERMINATION: Final = "ABNORMAL_TERMINATION"

DETECT_TERMINATION: Final = PromotionSpec(
    name="detect-termination",
    schedule_type=ScheduleType.DETECT_KERNEL_TERMINATION,
    target_statuses=SessionStatus.before_running_statuses() | {SessionStatus.RUNNING},
    kernel_match=KernelMatch(KernelStatus.finished_statuses(), KernelMatchType.ANY),
    success=_TERMINATING,
    reason=ABNORMAL_TERMINATION,
)

#: Every promotion, by the schedule type that runs it.
PROMOTION_SPECS: Final[Mapping[ScheduleType, PromotionSpec]] = MappingProxyType(
    {
        spec.schedule_type: spec
        for spec in (
            PROMOTE_TO_PREPARED,
            PROMOTE_TO_RUNNING,
            PROMOTE_TO_TERMINATED,
            DETECT_TERMINATION,
        )
    }
)

#: The promotions a manager runs: PROMOTION_SPECS with force termination of TERMINATING
#: sessions past their grace period.
PROMOTION_SPECS_WITH_FORCE_TERMINATION: Final[Mapping[ScheduleType, PromotionSpec]] = (
    MappingProxyType(
        {**PROMOTION_SPECS, PROMOTE_OR_FORCE_TERMINATED.schedule_type: PROMOTE_OR_FORCE_TERMINATED}
    )
)
