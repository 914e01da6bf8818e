"""Status hooks the coordinator runs before sessions enter a status."""

from sokovan.scheduler.hooks.registry import HookExecutionResult, HookRegistry, run_hook
from sokovan.scheduler.hooks.status import RunningStatusHook, StatusHook

__all__ = ["HookExecutionResult", "HookRegistry", "RunningStatusHook", "StatusHook", "run_hook"]
