"""SchedulerRepository: every query and write the scheduler makes, in one typed facade.

The methods live in focused mixins (reads, the placement snapshot, history, status updates,
allocation, kernel writes) that share the engine and clock of `RepositoryBase`.
"""

from __future__ import annotations

from sokovan.repositories.scheduler.allocation import AllocationMixin
from sokovan.repositories.scheduler.history import HistoryMixin
from sokovan.repositories.scheduler.kernel_writes import KernelWritesMixin
from sokovan.repositories.scheduler.scheduling_data import SchedulingDataMixin
from sokovan.repositories.scheduler.session_reads import SessionReadsMixin
from sokovan.repositories.scheduler.status_updates import StatusUpdateMixin
from sokovan.repositories.scheduler.write_enqueue import SessionEnqueueMixin
from sokovan.repositories.scheduler.write_results import SessionResultMixin
from sokovan.repositories.scheduler.write_status_data import SessionStatusDataMixin
from sokovan.repositories.scheduler.write_termination_marks import TerminationMarkMixin


class SchedulerRepository(
    SessionReadsMixin,
    SchedulingDataMixin,
    HistoryMixin,
    StatusUpdateMixin,
    AllocationMixin,
    KernelWritesMixin,
    SessionEnqueueMixin,
    TerminationMarkMixin,
    SessionStatusDataMixin,
    SessionResultMixin,
):
    """The scheduler's only door to the database."""
