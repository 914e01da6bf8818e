"""The manager's REST API (FastAPI): sessions, agents, scaling groups, administration."""

from sokovan.api.app import create_app
from sokovan.api.context import ApiConfig, ApiContext, KernelLogs, KernelLogTarget
from sokovan.api.metrics import SchedulingMetrics

__all__ = [
    "ApiConfig",
    "ApiContext",
    "KernelLogTarget",
    "KernelLogs",
    "SchedulingMetrics",
    "create_app",
]
