"""Lifecycle handlers: one step of a session's way from PENDING to TERMINATED each."""

from sokovan.scheduler.handlers.lifecycle.check_precondition import (
    CheckPreconditionLifecycleHandler,
)
from sokovan.scheduler.handlers.lifecycle.deprioritize_sessions import (
    DeprioritizeSessionsLifecycleHandler,
)
from sokovan.scheduler.handlers.lifecycle.schedule_sessions import (
    ScheduleSessionsLifecycleHandler,
)
from sokovan.scheduler.handlers.lifecycle.start_sessions import StartSessionsLifecycleHandler
from sokovan.scheduler.handlers.lifecycle.terminate_sessions import (
    TerminateSessionsLifecycleHandler,
)

__all__ = [
    "CheckPreconditionLifecycleHandler",
    "DeprioritizeSessionsLifecycleHandler",
    "ScheduleSessionsLifecycleHandler",
    "StartSessionsLifecycleHandler",
    "TerminateSessionsLifecycleHandler",
]
