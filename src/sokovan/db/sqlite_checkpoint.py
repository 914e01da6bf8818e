"""Copying SQLite's write-ahead log back into the database file, off the event loop.

In WAL mode every commit appends pages to the log, and by default the commit that takes the
log past 1,000 pages also copies the log back into the database file (a checkpoint) before
it returns. Statements run on the event loop's thread (sqlite_inline.py), so that copy
stalled the whole manager for several milliseconds at a time, ~2 % of a burst's CPU in all.

A `WalCheckpointer` runs passive checkpoints from a thread of its own, on its own
connection, every `interval` seconds. SQLite does the copying with the interpreter lock
released, so it overlaps with the manager's work instead of interrupting it. A passive
checkpoint never waits for readers or writers; what it cannot copy yet, the next one does.
The engine's connections keep an automatic checkpoint at a much larger log size
(`FALLBACK_AUTOCHECKPOINT_PAGES`), so the log stays bounded even if this thread falls
behind.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

#: Log size (pages) at which a commit checkpoints by itself: the background checkpoints
#: normally keep the log far below it.
FALLBACK_AUTOCHECKPOINT_PAGES = 16_000
DEFAULT_INTERVAL_SECONDS = 0.2


class WalCheckpointer:
    """A daemon thread that checkpoints the database at `path` until `stop` is called."""

    def __init__(
        self, path: str | Path, *, interval: float = DEFAULT_INTERVAL_SECONDS, busy_timeout: float
    ) -> None:
        if interval <= 0:
            raise ValueError("the checkpoint interval must be positive")
        self._path = str(path)
        self._interval = interval
        self._busy_timeout = busy_timeout
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-wal-checkpoint", daemon=True)
        #: Checkpoints run so far (for operators and tests).
        self.checkpoints = 0
        self._failing = False

    def start(self) -> None:
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Ask the thread to finish and wait for it (at most one checkpoint's time)."""
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while not self._stopping.wait(self._interval):
                connection = connection or self._open()
                if connection is not None:
                    self._checkpoint(connection)
        finally:
            if connection is not None:
                connection.close()

    def _open(self) -> sqlite3.Connection | None:
        """A connection to the database once its file exists (opening never creates it:
        the engine's own first connection does, as it always did)."""
        try:
            return sqlite3.connect(
                f"{Path(self._path).absolute().as_uri()}?mode=rw",
                uri=True,
                timeout=self._busy_timeout,
                isolation_level=None,
            )
        except sqlite3.Error:
            return None

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            # A failure (a read-only file, a disk error) leaves the work to the next round and
            # to the connections' own automatic checkpoint. Said once, not five times a second.
            if not self._failing:
                log.warning("background checkpoints of %s fail", self._path, exc_info=True)
            self._failing = True
            return
        if self._failing:
            log.info("background checkpoints of %s work again", self._path)
        self._failing = False
        self.checkpoints += 1
