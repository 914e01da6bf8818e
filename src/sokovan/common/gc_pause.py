"""Pausing the cyclic garbage collector while a bulk operation builds long-lived values.

A SCHEDULE step (snapshot, placement, commit) reads and writes tens of thousands of rows, and
every row becomes several container objects (records, rows, dataclasses) that live until the
step ends. Allocating them keeps triggering collections, and the full ones traverse the
whole heap, snapshot included, to find next to no garbage: measured, they took a third of
the snapshot's and the commit's time. Reference counting still frees everything that is not
in a cycle while the collector is paused; the first allocations after the pause collect what
cycles were left.

Pauses nest and overlap across tasks: the collector runs again once the last pause ends, and
only if it was enabled when the first began (an application that disabled it keeps it so).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_active = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the body with the cyclic collector paused (see the module docstring)."""
    global _active, _was_enabled
    if _active == 0:
        _was_enabled = gc.isenabled()
        gc.disable()
    _active += 1
    try:
        yield
    finally:
        _active -= 1
        if _active == 0 and _was_enabled:
            gc.enable()
