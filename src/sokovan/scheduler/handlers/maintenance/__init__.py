"""Maintenance handlers: clean-up that runs on the long loop, not on a session's hot path."""

from sokovan.scheduler.handlers.maintenance.sweep_sessions import SweepSessionsLifecycleHandler

__all__ = ["SweepSessionsLifecycleHandler"]
