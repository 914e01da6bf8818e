"""Deciding placements for one cycle: a pure function from snapshot to plan.

The stages, and why they sit where they do (Nomad's feasible → rank → select):

1. priority bucket: only the highest pending priority competes, so a stream of small
   low-priority sessions cannot keep a large high-priority one from ever fitting;
2. sequencer (FIFO | LIFO | DRF): the order in which the bucket's sessions are tried. DRF's
   order depends on what was placed, so the sequencer is a cursor fed every outcome — it
   interleaves with placement rather than sorting once up front;
3. validators: quota, concurrency, dependency and start-time gates, checked against occupancy
   *including* this cycle's earlier placements; cheap, and no agent is examined for a session
   that may not run anyway;
4. selector: feasibility filters (architecture, free capacity, container count, designated
   agents) then the strategy's ranking, on an indexed pool that tracks in-cycle reservations.

Nothing here touches the database: the plan is a frozen value committed afterwards in one
transaction (decide, then commit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sokovan.repositories.scheduler.snapshot_types import PendingSession, SchedulingData
from sokovan.scheduler.provisioner.cycle import CycleState
from sokovan.scheduler.provisioner.errors import SchedulingRejection
from sokovan.scheduler.provisioner.selectors import (
    AgentPool,
    AgentSelection,
    AgentSelector,
    SelectionConfig,
    SessionRequirements,
)
from sokovan.scheduler.provisioner.sequencers.factory import make_sequencer
from sokovan.scheduler.provisioner.sequencers.priority import highest_priority_bucket
from sokovan.scheduler.provisioner.types import UnscheduledSession
from sokovan.scheduler.provisioner.validators.base import Validator

LOWER_PRIORITY_CODE = "lower-priority"


class PlannedSession(NamedTuple):
    """One placed session (a NamedTuple: one is built per placement, see `selectors.types`)."""

    session: PendingSession
    selection: AgentSelection


@dataclass(frozen=True, slots=True)
class PlacementPlan:
    placed: tuple[PlannedSession, ...]
    unscheduled: tuple[UnscheduledSession, ...]
    #: Where the round-robin selector stopped, to persist with the allocation.
    roundrobin_next_index: int


def _unscheduled(session: PendingSession, code: str, reason: str) -> UnscheduledSession:
    return UnscheduledSession(session.session_id, session.access_key, code, reason)


def plan_placements(data: SchedulingData, validator: Validator, now: datetime) -> PlacementPlan:
    """Place as many of the snapshot's pending sessions as its agents and quotas allow."""
    group = data.scaling_group
    bucket = highest_priority_bucket(data.pending_sessions)
    unscheduled = [
        _unscheduled(deferred.session, LOWER_PRIORITY_CODE, deferred.reason)
        for deferred in bucket.deferred
    ]
    placed: list[PlannedSession] = []
    cycle = CycleState(data, now)
    pool = AgentPool(data.agents)
    selector = AgentSelector(
        group.agent_selection_strategy, roundrobin_start_index=group.roundrobin_next_index
    )
    config = SelectionConfig.from_scaling_group(group)
    cursor = make_sequencer(group.scheduler).start(bucket.sessions, data)
    while (session := cursor.next()) is not None:
        try:
            validator.validate(session, cycle)
            selection = selector.select_agents_for_batch_requirements(
                pool,
                SessionRequirements.from_pending(session),
                config,
                session.designated_agent_ids,
            )
        except SchedulingRejection as rejection:
            unscheduled.append(_unscheduled(session, rejection.code, rejection.message))
            cursor.rejected(session)
            continue
        pool.reserve(selection)
        cycle.record_placement(session)
        cursor.placed(session)
        placed.append(PlannedSession(session, selection))
    return PlacementPlan(tuple(placed), tuple(unscheduled), selector.roundrobin_next_index)
