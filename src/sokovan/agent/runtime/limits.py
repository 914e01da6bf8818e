"""The resource limits the process runtime can enforce without cgroups.

- `mem`: RLIMIT_AS (address space) of the kernel's main process, so allocations beyond it fail.
  It bounds virtual, not resident, memory, and each child the kernel forks gets its own limit.
- `cpu`: the kernel is pinned to ceil(cpu) of the CPUs the agent may use, rotating through them
  so that kernels spread out. Fractions of a CPU are not enforced.
Everything else (accelerators, disk, network) is accounted by the scheduler only.

The limits are applied right after the spawn, before the kernel's program has started its
work; a kernel that has already exited by then simply misses them.
"""

from __future__ import annotations

import logging
import math
import os
import resource
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation

log = logging.getLogger(__name__)


class CpuPicker:
    """Hands out sets of CPUs round-robin over those the agent itself may run on."""

    def __init__(self) -> None:
        available = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
        self._cpus = sorted(available)
        self._next = 0

    def pick(self, count: int) -> set[int] | None:
        """`count` CPUs, or None when pinning would not restrict anything."""
        if count <= 0 or count >= len(self._cpus):
            return None
        chosen = {self._cpus[(self._next + offset) % len(self._cpus)] for offset in range(count)}
        self._next = (self._next + count) % len(self._cpus)
        return chosen


def apply_limits(pid: int, slots: Mapping[str, str], cpus: CpuPicker) -> None:
    """Best effort: a limit the OS refuses is logged, never fatal to the kernel."""
    memory = int(_amount(slots, "mem"))
    if memory > 0 and hasattr(resource, "prlimit"):
        limit = (memory, memory)
        _try(f"memory limit of {memory} bytes", pid, resource.prlimit, resource.RLIMIT_AS, limit)
    cpu = _amount(slots, "cpu")
    chosen = cpus.pick(math.ceil(cpu)) if cpu > 0 else None
    if chosen is not None and hasattr(os, "sched_setaffinity"):
        _try(f"CPU affinity {sorted(chosen)}", pid, os.sched_setaffinity, chosen)


def _amount(slots: Mapping[str, str], slot: str) -> Decimal:
    try:
        return Decimal(slots.get(slot, "0"))
    except InvalidOperation:
        return Decimal(0)


def _try(what: str, pid: int, apply: Callable[..., object], *args: object) -> None:
    try:
        apply(pid, *args)
    except ProcessLookupError:  # already exited: nothing left to limit
        pass
    except (OSError, ValueError) as exc:
        log.warning("could not apply the %s to pid %s: %s", what, pid, exc)
