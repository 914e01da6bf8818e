"""Another manager writing to the same database: its own engine, thread and event loop.

On SQLite a statement runs on its event loop's thread, so a second writer in the same loop
cannot stand in for another manager: waiting for its lock would stop the loop it needs to
finish. A rival on its own thread and loop behaves as another process would.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.db.engine import create_engine

Work = Callable[[AsyncConnection], Awaitable[object]]


@asynccontextmanager
async def rival_transaction(
    database_url: str, first: Work, then: Work | None = None, *, hold: float = 0.3
) -> AsyncIterator[None]:
    """Inside the block, a rival transaction has run `first` and holds what it locked.

    The rival keeps its transaction open `hold` seconds after `first`, runs `then`, and
    commits, while the block goes on; leaving the block waits for the rival and raises
    what it raised.
    """
    started = threading.Event()
    failure: list[BaseException] = []

    async def run() -> None:
        engine = create_engine(database_url)
        try:
            async with engine.begin() as conn:
                await first(conn)
                started.set()
                await asyncio.sleep(hold)
                if then is not None:
                    await then(conn)
        finally:
            await engine.dispose()

    def thread_main() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:  # handed to the test below
            failure.append(exc)
        finally:
            started.set()

    thread = threading.Thread(target=thread_main, name="rival-manager")
    thread.start()
    try:
        await asyncio.to_thread(started.wait, 10)
        if failure:
            raise failure[0]
        yield
    finally:
        await asyncio.to_thread(thread.join, 10)
    if failure:
        raise failure[0]
