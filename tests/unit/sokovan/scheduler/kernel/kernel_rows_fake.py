"""An in-memory stand-in for the kernel rows the KernelStateEngine reads and writes.

It keeps the repository's contract for those methods: `apply_kernel_changes` moves kernels in
order, each only from its change's expected statuses, only while bound to its agent (when
the change names one) and never a finished one;
`mark_kernel_terminated` moves any unfinished kernel; searches filter by ids, agents and
statuses. Hints are recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sokovan.common.ids import AccessKey, AgentId, KernelId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ScheduleType
from sokovan.common.status import KernelStatus
from sokovan.repositories.scheduler.conditions import (
    ByAgentIds,
    ByKernelIds,
    ByKernelStatuses,
    KernelQuerier,
)
from sokovan.repositories.scheduler.kernel_writes import KernelChange
from sokovan.repositories.scheduler.types import KernelInfo, KernelSearchResult

T0 = datetime(2026, 1, 1, tzinfo=UTC)
_FINISHED = KernelStatus.finished_statuses()


def kernel_info(
    status: KernelStatus,
    *,
    agent_id: str | None = "a1",
    image: str = "python:3.11",
    session_id: SessionId | None = None,
) -> KernelInfo:
    return KernelInfo(
        kernel_id=KernelId(uuid.uuid4()),
        session_id=session_id or SessionId(uuid.uuid4()),
        access_key=AccessKey("AK"),
        scaling_group="default",
        agent_id=AgentId(agent_id) if agent_id else None,
        agent_addr=f"http://127.0.0.1:6001/{agent_id}" if agent_id else None,
        container_id=None,
        cluster_role="main",
        cluster_idx=1,
        local_rank=0,
        cluster_hostname="main1",
        image=image,
        architecture="x86_64",
        requested_slots=ResourceSlot({"cpu": 1}),
        occupied_slots=ResourceSlot(),
        status=status,
        status_info=None,
        status_changed=T0,
        exit_code=None,
    )


@dataclass
class KernelRows:
    rows: dict[KernelId, KernelInfo] = field(default_factory=dict)
    writes: list[tuple[str, KernelId, KernelStatus]] = field(default_factory=list)

    def add(self, *kernels: KernelInfo) -> None:
        for kernel in kernels:
            self.rows[kernel.kernel_id] = kernel

    def status(self, kernel: KernelInfo) -> KernelStatus:
        return self.rows[kernel.kernel_id].status

    async def reset_kernels_to_pending(self, session_ids: Sequence[SessionId], reason: str) -> int:
        raise NotImplementedError

    async def mark_kernel_terminated(
        self, kernel_id: KernelId, reason: str, exit_code: int | None = None
    ) -> bool:
        self.writes.append(("mark_kernel_terminated", kernel_id, KernelStatus.TERMINATED))
        row = self.rows.get(kernel_id)
        if row is None or row.status in _FINISHED:
            return False
        self.rows[kernel_id] = replace(
            row, status=KernelStatus.TERMINATED, status_info=reason, exit_code=exit_code
        )
        return True

    async def apply_kernel_changes(self, changes: Sequence[KernelChange]) -> list[bool]:
        return [self._apply(change) for change in changes]

    def _apply(self, change: KernelChange) -> bool:
        self.writes.append(("apply_kernel_change", change.kernel_id, change.to_status))
        row = self.rows.get(change.kernel_id)
        if row is None or row.status in _FINISHED:
            return False
        if change.expected is not None and row.status not in change.expected:
            return False
        if change.bound_to is not None and row.agent_id != change.bound_to:
            return False
        self.rows[change.kernel_id] = replace(
            row,
            status=change.to_status,
            status_info=change.reason if change.reason is not None else row.status_info,
            container_id=change.container_id or row.container_id,
            exit_code=change.exit_code if change.exit_code is not None else row.exit_code,
        )
        return True

    async def search_kernels_for_handler(self, querier: KernelQuerier) -> KernelSearchResult:
        found = list(self.rows.values())
        for condition in querier.conditions:
            match condition:
                case ByKernelIds(kernel_ids=ids):
                    found = [k for k in found if k.kernel_id in ids]
                case ByAgentIds(agent_ids=ids):
                    found = [k for k in found if k.agent_id in ids]
                case ByKernelStatuses(statuses=statuses):
                    found = [k for k in found if k.status in statuses]
                case _:
                    raise AssertionError(f"unexpected condition {condition}")
        return KernelSearchResult(found)


@dataclass
class RecordingHints:
    marked: list[ScheduleType] = field(default_factory=list)
    fail: bool = False

    async def mark_schedule_needed(self, schedule_type: ScheduleType) -> None:
        if self.fail:
            raise ConnectionError("hint store down")
        self.marked.append(schedule_type)
