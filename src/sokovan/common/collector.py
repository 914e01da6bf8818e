"""How the manager uses Python's cyclic garbage collector: settings for serving, and pauses.

Serving (`settle_for_serving`, once the process is built): everything startup allocated
(modules, the web app, schemas, caches) lives as long as the process, so it is frozen out of
every later collection; and a busy scheduler allocates many short-lived objects, so the
young generation is collected less often. Measured on the session latency benchmark's
burst: about a fifth more sessions reach RUNNING per second.

Pausing (`collector_paused`) while a bulk operation builds long-lived values: a SCHEDULE
step (snapshot, placement, commit) reads and writes tens of thousands of rows, and
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

#: Collection thresholds once serving (CPython's defaults are 700, 10, 10).
SERVING_THRESHOLDS = (50_000, 20, 100)


def settle_for_serving() -> None:
    """Freeze what the process allocated so far and collect less often (module docstring)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_THRESHOLDS)


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
