"""The scheduler's repository and the value types it speaks."""

from sokovan.repositories.scheduler.repository import SchedulerRepository

__all__ = ["SchedulerRepository"]
