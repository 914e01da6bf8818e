"""Deciding which history specs merge into the latest row and which start a new one (pure).

A scheduling phase that keeps producing the same outcome (same phase, result, error code and
target status) is one row whose `attempts` counts the repetitions; anything else starts a new
row with one attempt. The coordinator reads `attempts` back as the phase's attempt count.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sokovan.common.ids import SessionId, time_ordered_uuid
from sokovan.common.scheduling import SchedulingResult
from sokovan.common.status import SessionStatus
from sokovan.repositories.scheduler.write_specs import SessionHistorySpec


@dataclass(frozen=True, slots=True)
class HistoryHead:
    """The fields of a session's latest history row that decide whether a new outcome merges."""

    id: uuid.UUID
    phase: str
    result: SchedulingResult
    error_code: str | None
    to_status: SessionStatus | None

    def merges(self, spec: SessionHistorySpec) -> bool:
        return (self.phase, self.result, self.error_code, self.to_status) == (
            spec.phase,
            spec.result,
            spec.error_code,
            spec.to_status,
        )


@dataclass(frozen=True, slots=True)
class HistoryIncrement:
    """Add `attempts` to an existing row and take the newest message."""

    row_id: uuid.UUID
    attempts: int
    message: str


@dataclass(frozen=True, slots=True)
class HistoryPlan:
    increments: list[HistoryIncrement] = field(default_factory=list)
    inserts: list[dict[str, Any]] = field(default_factory=list)


def plan_history(
    heads: Mapping[SessionId, HistoryHead], specs: Iterable[SessionHistorySpec], now: datetime
) -> HistoryPlan:
    """Merge each spec into its session's head row or plan a new row, in spec order.

    Several specs for one session are applied one after the other, so a repeated outcome in
    the same batch merges into the row planned for the previous one.
    """
    heads = dict(heads)
    increments: dict[uuid.UUID, HistoryIncrement] = {}
    inserts: dict[uuid.UUID, dict[str, Any]] = {}
    for spec in specs:
        head = heads.get(spec.session_id)
        if head is not None and head.merges(spec):
            if head.id in inserts:
                inserts[head.id]["attempts"] += 1
                inserts[head.id]["message"] = spec.message
            else:
                previous = increments.get(head.id, HistoryIncrement(head.id, 0, spec.message))
                increments[head.id] = replace(
                    previous, attempts=previous.attempts + 1, message=spec.message
                )
            continue
        row = _new_row(spec, now)
        inserts[row["id"]] = row
        heads[spec.session_id] = HistoryHead(
            row["id"], spec.phase, spec.result, spec.error_code, spec.to_status
        )
    return HistoryPlan(list(increments.values()), list(inserts.values()))


def _new_row(spec: SessionHistorySpec, now: datetime) -> dict[str, Any]:
    return {
        "id": time_ordered_uuid(),
        "session_id": spec.session_id,
        "phase": spec.phase,
        "from_status": spec.from_status,
        "to_status": spec.to_status,
        "result": spec.result,
        "error_code": spec.error_code,
        "message": spec.message,
        "attempts": 1,
        "created_at": now,
        "updated_at": now,
    }
