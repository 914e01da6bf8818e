"""Background checkpoints: the log reaches the database file without any commit copying it."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from sokovan.db.engine import create_engine
from sokovan.db.sqlite_checkpoint import FALLBACK_AUTOCHECKPOINT_PAGES, WalCheckpointer

pytestmark = pytest.mark.timeout(30)


def _checkpointer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "sqlite-wal-checkpoint"]


async def test_written_pages_reach_the_database_file_from_the_background(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        async with engine.begin() as conn:
            assert await conn.scalar(sa.text("PRAGMA wal_autocheckpoint")) == (
                FALLBACK_AUTOCHECKPOINT_PAGES
            )
            await conn.execute(sa.text("CREATE TABLE blob (body TEXT NOT NULL)"))
            await conn.execute(
                sa.text("INSERT INTO blob VALUES (:body)"), [{"body": "x" * 4000}] * 200
            )
        # Far below the automatic threshold: only the background thread copies the log.
        for _ in range(200):  # up to 10 s
            if path.stat().st_size >= 200 * 4000:
                break
            await asyncio.sleep(0.05)
        assert path.stat().st_size >= 200 * 4000
    finally:
        await engine.dispose()


async def test_dispose_stops_the_thread(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'stop.db'}")
    async with engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))
    assert len(_checkpointer_threads()) >= 1

    await engine.dispose()

    assert engine.checkpointer is not None  # type: ignore[attr-defined]
    assert not engine.checkpointer.running  # type: ignore[attr-defined]


def test_an_engine_dropped_without_dispose_stops_its_thread(tmp_path: Path) -> None:
    before = len(_checkpointer_threads())
    engine = create_engine(f"sqlite:///{tmp_path / 'dropped.db'}")
    assert len(_checkpointer_threads()) == before + 1

    del engine
    gc.collect()

    assert len(_checkpointer_threads()) == before


def test_an_in_memory_database_has_no_checkpointer() -> None:
    engine = create_engine("sqlite:///:memory:")
    assert engine.checkpointer is None  # type: ignore[attr-defined]


def test_a_failing_checkpoint_leaves_the_thread_running_and_is_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    not_a_database = tmp_path / "garbage.db"
    not_a_database.write_bytes(b"not a database" * 100)
    checkpointer = WalCheckpointer(not_a_database, interval=0.01, busy_timeout=1)
    with caplog.at_level(logging.WARNING, logger="sokovan.db.sqlite_checkpoint"):
        checkpointer.start()
        try:
            threading.Event().wait(0.1)
            assert checkpointer.running
            assert checkpointer.checkpoints == 0
        finally:
            checkpointer.stop()
    assert not checkpointer.running
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


def test_the_interval_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="positive"):
        WalCheckpointer(tmp_path / "x.db", interval=0, busy_timeout=1)


def test_the_thread_never_creates_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "not-yet.db"
    checkpointer = WalCheckpointer(path, interval=0.01, busy_timeout=1)
    checkpointer.start()
    try:
        threading.Event().wait(0.1)
        assert not path.exists()
        assert checkpointer.running  # it waits for the file instead of giving up
    finally:
        checkpointer.stop()
