"""SQLite transactions: writers take turns, readers never wait for them, and statements
run on the event loop's thread (sqlite_inline.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.db.engine import create_engine

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'tx.db'}")
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        await conn.execute(sa.text("INSERT INTO counter VALUES (0)"))
    yield engine
    await engine.dispose()


async def test_a_reader_reads_its_snapshot_while_a_writer_holds_the_lock(
    engine: AsyncEngine,
) -> None:
    writer_holds_lock = asyncio.Event()
    reader_done = asyncio.Event()

    async def write() -> None:
        async with engine.begin() as conn:
            await conn.execute(sa.text("UPDATE counter SET n = 1"))
            writer_holds_lock.set()
            # The writer commits only after the reader has finished: had the reader needed
            # the write lock, this would wait for ever (until the test's timeout).
            await reader_done.wait()

    async def read() -> int:
        await writer_holds_lock.wait()
        async with engine.connect() as conn:
            value = await conn.scalar(sa.text("SELECT n FROM counter"))
        reader_done.set()
        assert isinstance(value, int)
        return value

    async with asyncio.timeout(10):
        _, seen = await asyncio.gather(write(), read())
    assert seen == 0  # the last committed value, not the writer's uncommitted one
    async with engine.connect() as conn:
        assert await conn.scalar(sa.text("SELECT n FROM counter")) == 1


async def test_concurrent_writers_queue_and_lose_no_update(engine: AsyncEngine) -> None:
    # Each writer reads then writes: with the write lock taken at BEGIN they run one after
    # the other; a deferred BEGIN would let two read 0 and one fail on upgrade.
    async def increment() -> None:
        async with engine.begin() as conn:
            n = await conn.scalar(sa.text("SELECT n FROM counter"))
            await asyncio.sleep(0)
            await conn.execute(sa.text("UPDATE counter SET n = :n"), {"n": n + 1})

    async with asyncio.timeout(20):
        await asyncio.gather(*(increment() for _ in range(8)))
    async with engine.connect() as conn:
        assert await conn.scalar(sa.text("SELECT n FROM counter")) == 8


class LoopTurns:
    """Counts the turns another task gets on the event loop while it is `running`."""

    def __init__(self) -> None:
        self.count = 0

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async def tick() -> None:
            while True:
                self.count += 1
                await asyncio.sleep(0)

        ticker = asyncio.create_task(tick())
        await asyncio.sleep(0)
        try:
            yield
        finally:
            ticker.cancel()


async def test_a_transaction_runs_without_yielding_to_the_loop(engine: AsyncEngine) -> None:
    # Statements run on the loop's thread: a transaction that awaits only the database
    # finishes before any other task runs, so it holds the write lock only for its work.
    turns = LoopTurns()
    async with turns.running(), engine.begin() as conn:
        inside = turns.count
        for _ in range(5):
            n = await conn.scalar(sa.text("SELECT n FROM counter"))
            await conn.execute(sa.text("UPDATE counter SET n = :n"), {"n": n + 1})
        assert turns.count == inside
    async with engine.connect() as conn:
        assert await conn.scalar(sa.text("SELECT n FROM counter")) == 5


async def test_reads_and_writes_end_without_yielding_to_the_loop(engine: AsyncEngine) -> None:
    # Closing a connection happens in place: a block that awaits only the database gives
    # no other task a turn, not even at its end.
    turns = LoopTurns()
    async with turns.running():
        before = turns.count
        for _ in range(3):
            async with engine.connect() as conn:
                await conn.scalar(sa.text("SELECT n FROM counter"))
            async with engine.begin() as conn:
                await conn.execute(sa.text("UPDATE counter SET n = n + 1"))
        assert turns.count == before
    async with engine.connect() as conn:
        assert await conn.scalar(sa.text("SELECT n FROM counter")) == 3


async def test_a_connection_closed_in_place_goes_back_to_the_pool(engine: AsyncEngine) -> None:
    for _ in range(50):  # more than the pool holds: each block must give its connection back
        async with engine.connect() as conn:
            await conn.scalar(sa.text("SELECT n FROM counter"))
        with pytest.raises(RuntimeError, match="aborted"):
            await _abort_an_update(engine)
    assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    async with engine.connect() as conn:
        assert await conn.scalar(sa.text("SELECT n FROM counter")) == 0


async def _abort_an_update(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(sa.text("UPDATE counter SET n = n + 1"))
        raise RuntimeError("aborted")


async def test_a_writer_waits_its_turn_while_the_holder_is_suspended(
    engine: AsyncEngine,
) -> None:
    # Had the second writer asked SQLite for the write lock, it would have blocked the
    # loop's thread, and with it the holder, until the busy timeout ran out.
    holder_inside = asyncio.Event()
    second_waiting = asyncio.Event()

    async def holder() -> None:
        async with engine.begin() as conn:
            await conn.execute(sa.text("UPDATE counter SET n = n + 1"))
            holder_inside.set()
            await second_waiting.wait()

    async def second() -> None:
        await holder_inside.wait()
        second_waiting.set()
        async with engine.begin() as conn:
            await conn.execute(sa.text("UPDATE counter SET n = n * 10"))

    async with asyncio.timeout(10):
        await asyncio.gather(holder(), second())
    async with engine.connect() as conn:
        assert await conn.scalar(sa.text("SELECT n FROM counter")) == 10


async def test_sqlite_errors_surface_as_the_driver_errors(engine: AsyncEngine) -> None:
    with pytest.raises(sa.exc.OperationalError, match="no such table"):
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT * FROM missing"))
    with pytest.raises(sa.exc.IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(sa.text("INSERT INTO counter VALUES (NULL)"))
    async with engine.connect() as conn:  # the failed writer left nothing behind
        assert await conn.scalar(sa.text("SELECT count(*) FROM counter")) == 1
