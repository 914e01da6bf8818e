"""The engine factory: one URL selects SQLite (embedded default) or PostgreSQL.

`sqlite:///path` and `postgresql://…` are accepted as users write them and mapped to the async
drivers. Every failure to understand or reach the database becomes a `DatabaseError` whose
message says what to fix, so the CLI can print one line instead of a traceback.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from sokovan.common.errors import DatabaseError
from sokovan.db.sqlite_checkpoint import FALLBACK_AUTOCHECKPOINT_PAGES, WalCheckpointer
from sokovan.db.sqlite_inline import inline_connector

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_BACKEND_ALIASES = {"postgres": "postgresql"}
CONNECT_TIMEOUT_SECONDS = 10.0
#: How long a SQLite statement waits for another process's write lock.
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


def parse_database_url(raw: str) -> URL:
    """Validate `raw` and return it with the async driver for its backend."""
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError) as exc:
        # The URL is not echoed: it could not be parsed, so its password cannot be hidden.
        raise DatabaseError(
            f"malformed database URL ({exc}): expected sqlite:///PATH or "
            "postgresql://USER@HOST:PORT/DATABASE"
        ) from None
    backend = url.get_backend_name()
    backend = _BACKEND_ALIASES.get(backend, backend)
    if backend not in _ASYNC_DRIVERS:
        raise DatabaseError(
            f"unsupported database backend {backend!r} in {url.render_as_string()!r}: "
            "use sqlite or postgresql"
        )
    if backend == "sqlite" and not url.database:
        raise DatabaseError("a SQLite URL needs a file path, e.g. sqlite:///./sokovan.db")
    if backend == "postgresql" and not url.database:
        raise DatabaseError(
            f"the PostgreSQL URL {url.render_as_string()!r} names no database: append /DATABASE"
        )
    return url.set(drivername=_ASYNC_DRIVERS[backend])


def create_engine(raw_url: str, *, echo: bool = False) -> AsyncEngine:
    """Create an engine; does not connect (see `check_connection`)."""
    url = parse_database_url(raw_url)
    try:
        if url.get_backend_name() == "sqlite":
            return _create_sqlite_engine(url, echo=echo)
        return create_async_engine(
            url,
            echo=echo,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=10,
            connect_args={"timeout": CONNECT_TIMEOUT_SECONDS},
        )
    except NoSuchModuleError as exc:  # pragma: no cover - drivers are hard dependencies
        raise DatabaseError(f"database driver missing: {exc}") from None


def _create_sqlite_engine(url: URL, *, echo: bool) -> AsyncEngine:
    assert url.database is not None
    if url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connector = inline_connector(url.database, busy_timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    checkpointer = None
    if url.database not in ("", ":memory:"):  # a file of its own to checkpoint
        checkpointer = WalCheckpointer(
            Path(url.database).expanduser(), busy_timeout=SQLITE_BUSY_TIMEOUT_SECONDS
        )
    engine = _SqliteEngine(
        create_async_engine(url, echo=echo, async_creator=connector).sync_engine, checkpointer
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so that BEGIN (below) is ours:
        # otherwise DDL would auto-commit and a failed migration could leave half a schema.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if checkpointer is not None:  # it copies the log back; commits need not (see there)
            cursor.execute(f"PRAGMA wal_autocheckpoint={FALLBACK_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # A writer (`engine.begin()`) takes the write lock up front: two writers queue on
        # busy_timeout instead of both reading, then one failing with "database is locked"
        # on upgrade. A reader (`engine.connect()`) takes no lock at all: in WAL mode it reads
        # a consistent snapshot while a writer works, instead of queueing behind it.
        writer = connection.get_execution_options().get(_WRITER_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


#: Execution option that marks the connections of `engine.begin()` on SQLite.
_WRITER_OPTION = "sokovan_sqlite_writer"


class _InlineConnection(AsyncConnection):
    """An AsyncConnection whose `async with` block closes it in place.

    SQLAlchemy closes a connection at the end of an `async with` block in a task of its own
    and waits for that task, so that a cancellation arriving mid-close cannot abandon the
    connection half returned to its pool. Every read and write would then give up its turn
    of the event loop at its end and queue behind everything else that is ready: under load,
    a handful of such waits per scheduler step. On SQLite the close runs on the loop's
    thread without ever suspending (sqlite_inline.py), so no cancellation can arrive during
    it, and closing in place is just as safe.
    """

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        await self.close()


class _SqliteEngine(AsyncEngine):
    """`begin()` marks its connection as a writer (see `_on_begin`); connections close in
    place (see `_InlineConnection`); all else is as usual.

    Every write goes through `begin()`: a `connect()` block never commits. Writers of this
    engine take turns on an asyncio lock before asking SQLite for its write lock: statements
    run on the loop's thread (sqlite_inline.py), so a writer that waited in SQLite for a
    holder suspended at an await would wait for a holder that cannot run until it gives up.
    """

    _connection_cls = _InlineConnection

    def __init__(self, sync_engine: sa.Engine, checkpointer: WalCheckpointer | None) -> None:
        super().__init__(sync_engine)
        # One lock per event loop: an asyncio lock belongs to the loop it first waited on.
        self._writers: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            WeakKeyDictionary()
        )
        self.checkpointer = checkpointer
        if checkpointer is not None:
            checkpointer.start()
            # An engine dropped without dispose() must not leave its thread behind.
            weakref.finalize(self, checkpointer.stop)

    async def dispose(self, close: bool = True) -> None:
        await super().dispose(close)
        if self.checkpointer is not None:
            self.checkpointer.stop()

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        # The turn starts before connecting, so a writer waiting for it holds no pooled
        # connection, and ends at the commit, before the connection is closed.
        async with AsyncExitStack() as closing, self._writer_lock():
            conn = await closing.enter_async_context(self.connect())
            await conn.execution_options(**{_WRITER_OPTION: True})
            async with conn.begin():
                yield conn

    def _writer_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._writers.get(loop)
        if lock is None:
            lock = self._writers[loop] = asyncio.Lock()
        return lock


async def check_connection(engine: AsyncEngine) -> None:
    """Connect once; raise DatabaseError with an actionable message if that fails."""
    target = engine.url.render_as_string(hide_password=True)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS + 1):
            async with engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
    except (OSError, TimeoutError, DBAPIError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DatabaseError(
            f"cannot connect to the database at {target}: {reason or type(exc).__name__}. "
            "Check that the server is running and the URL (host, port, user, database) is right."
        ) from None
