"""Condition values (see `conditions.py`) as SQLAlchemy WHERE clauses.

Session clauses are written against the `sessions` table, kernel clauses against `kernels`.
Kernel matching is evaluated in SQL with correlated EXISTS subqueries, so a querier with a
limit returns the first N *matching* sessions rather than N sessions filtered afterwards.
An empty id or status set matches nothing (SQL `IN ()` is false), never everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import assert_never

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from sokovan.common.scheduling import KernelMatchType
from sokovan.common.status import KernelStatus
from sokovan.db import tables as t
from sokovan.repositories.scheduler.conditions import (
    ByAgentIds,
    ByKernelIds,
    ByKernelMatch,
    ByKernelSessionIds,
    ByKernelStatuses,
    ByScalingGroup,
    BySessionIds,
    BySessionStatuses,
    ByStatusChangedBefore,
    KernelCondition,
    SessionCondition,
)


def session_condition_clause(condition: SessionCondition) -> ColumnElement[bool]:
    """The WHERE clause of one session condition (on `sessions`)."""
    sessions = t.sessions.c
    match condition:
        case ByScalingGroup(scaling_group=scaling_group):
            return sessions.scaling_group == scaling_group
        case BySessionStatuses(statuses=statuses):
            return sessions.status.in_(sorted(statuses))
        case BySessionIds(session_ids=session_ids):
            return sessions.id.in_(list(session_ids))
        case ByKernelMatch(statuses=statuses, match_type=match_type):
            return kernel_match_clause(statuses, match_type)
        case ByStatusChangedBefore(cutoffs=cutoffs):
            return sa.or_(
                sa.false(),
                *(
                    sa.and_(sessions.status == status, sessions.status_changed < cutoff)
                    for status, cutoff in sorted(cutoffs)
                ),
            )
        case _:
            assert_never(condition)


#: Keeps the subquery's kernels apart from a `kernels` the outer query may use (built once:
#: an alias copies every column of the table).
_MATCHED_KERNELS = t.kernels.alias("matched_kernels")


def kernel_match_clause(
    statuses: frozenset[KernelStatus], match_type: KernelMatchType
) -> ColumnElement[bool]:
    """Whether a session's kernels match `statuses` in the sense of `match_type`.

    ALL: the session has at least one kernel and none outside `statuses`.
    ANY: at least one kernel is in `statuses`.
    NOT_ANY: no kernel is in `statuses` (true for a session without kernels).
    """
    kernels = _MATCHED_KERNELS
    of_session = kernels.c.session_id == t.sessions.c.id
    in_statuses = kernels.c.status.in_(sorted(statuses))
    if match_type is KernelMatchType.ALL:
        has_kernel = sa.exists().where(of_session)
        has_other = sa.exists().where(of_session, sa.not_(in_statuses))
        return sa.and_(has_kernel, sa.not_(has_other))
    if match_type is KernelMatchType.ANY:
        return sa.exists().where(of_session, in_statuses)
    if match_type is KernelMatchType.NOT_ANY:
        return sa.not_(sa.exists().where(of_session, in_statuses))
    assert_never(match_type)


def kernel_condition_clause(condition: KernelCondition) -> ColumnElement[bool]:
    """The WHERE clause of one kernel condition (on `kernels`)."""
    kernels = t.kernels.c
    match condition:
        case ByScalingGroup(scaling_group=scaling_group):
            return kernels.scaling_group == scaling_group
        case ByKernelStatuses(statuses=statuses):
            return kernels.status.in_(sorted(statuses))
        case ByKernelIds(kernel_ids=kernel_ids):
            return kernels.id.in_(list(kernel_ids))
        case ByKernelSessionIds(session_ids=session_ids):
            return kernels.session_id.in_(list(session_ids))
        case ByAgentIds(agent_ids=agent_ids):
            return kernels.agent_id.in_(sorted(agent_ids))
        case _:
            assert_never(condition)


def session_where(conditions: Iterable[SessionCondition]) -> list[ColumnElement[bool]]:
    """Clauses for `Select.where(*…)`: all conditions must hold."""
    return [session_condition_clause(condition) for condition in conditions]


def kernel_where(conditions: Iterable[KernelCondition]) -> list[ColumnElement[bool]]:
    """Clauses for `Select.where(*…)`: all conditions must hold."""
    return [kernel_condition_clause(condition) for condition in conditions]
