"""SchedulingController: enqueue sessions, mark them for termination, mark scheduling needed."""

from sokovan.scheduling_controller.controller import SchedulingController
from sokovan.scheduling_controller.types import (
    KernelCreationSpec,
    ScalingGroupInactiveError,
    SessionCreationSpec,
    SessionOwnershipError,
    SessionReferenceError,
    SessionSpecError,
)

__all__ = [
    "KernelCreationSpec",
    "ScalingGroupInactiveError",
    "SchedulingController",
    "SessionCreationSpec",
    "SessionOwnershipError",
    "SessionReferenceError",
    "SessionSpecError",
]
