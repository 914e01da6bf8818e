"""SQLite connections whose statements run on the event loop's own thread.

The async SQLite driver runs every call on a worker thread per connection and hands the
result back through the event loop. For an embedded database that costs more than it saves:
each statement's result waits for the loop's next turn, and when the loop is busy that wait
dwarfs the statement itself. A writer holds SQLite's single write lock through all of those
waits, so under load the lock, not the work, becomes the limit (in a burst of 3,000 sessions
write transactions held it ~75 % of the time while doing work for a fraction of it).

Here a statement runs to completion where it is called. A transaction that awaits nothing but
the database therefore never yields to the loop, and holds the write lock only for its own
work. The price is that a statement blocks the loop while it runs, which for this embedded
backend is the same CPU the worker thread took from the loop's thread anyway (the GIL).

`InlineConnection` offers the part of the aiosqlite interface that SQLAlchemy's aiosqlite
dialect uses, so the dialect and its type handling stay exactly as they are; it is plugged
in with `create_async_engine(..., async_creator=...)`.

Writers of one process must not interleave (see `_SqliteEngine` in engine.py): one that
waited for the write lock on this thread would wait for a holder that cannot run.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

#: What sqlite3 accepts as a connection's isolation level (None: no implicit BEGIN).
IsolationLevel = Literal["DEFERRED", "EXCLUSIVE", "IMMEDIATE"] | None


class InlineCursor:
    """An sqlite3 cursor behind aiosqlite's awaitable cursor interface."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _InlineQueue:
    """Where SQLAlchemy's dialect queues calls for the worker thread: run them at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:  # the dialect awaits the future and handles the error
            future.set_exception(exc)


class InlineConnection:
    """An sqlite3 connection behind the aiosqlite interface SQLAlchemy's dialect uses."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn: sqlite3.Connection | None = connection
        self._tx = _InlineQueue()

    @property
    def _connection(self) -> sqlite3.Connection | None:
        """The dialect checks this to tell whether the connection is still open."""
        return self._conn

    @property
    def _running(self) -> bool:
        return self._conn is not None

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("Connection closed")
        return self._conn

    @property
    def isolation_level(self) -> IsolationLevel:
        return self._open().isolation_level

    @isolation_level.setter
    def isolation_level(self, value: IsolationLevel) -> None:
        self._open().isolation_level = value

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._open().cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        return InlineCursor(self._open().execute(sql, parameters))

    async def commit(self) -> None:
        self._open().commit()

    async def rollback(self) -> None:
        self._open().rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._open().create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Forced close (the dialect's terminate): nothing runs elsewhere to interrupt."""
        self._conn, connection = None, self._conn
        if connection is not None:
            connection.close()


def inline_connector(
    database: str | Path, *, busy_timeout: float
) -> Callable[[], Awaitable[InlineConnection]]:
    """The `async_creator` of an engine on the SQLite file `database`.

    `busy_timeout` bounds how long a statement waits for another process's write lock.
    """

    async def connect() -> InlineConnection:
        # Pools may close a connection from a finalizer on another thread; nothing else
        # ever uses one off the loop's thread.
        connection = sqlite3.connect(
            str(database), timeout=busy_timeout, check_same_thread=False, isolation_level=None
        )
        return InlineConnection(connection)

    return connect
