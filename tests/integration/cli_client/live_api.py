"""A real manager API over real HTTP, for driving the CLI end to end.

The app is the one of tests/integration/api (same world: admin, alice, bob, agents a1 and a2)
on a SQLite copy, served by uvicorn on 127.0.0.1 in a thread with its own event loop: the CLI
runs as blocking subprocesses, which would starve a server sharing the test's loop.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import uvicorn

from integration.api.api_world import NOW, SECRET, Caller, build_context, populate
from sokovan.api import create_app
from sokovan.common.clock import ManualClock
from sokovan.db import tables as t
from sokovan.db.engine import create_engine
from sokovan.infra.valkey_schedule.memory import InMemoryValkeySchedule

#: The installed console script next to the running interpreter.
SOKOVAN = str(Path(sys.executable).parent / "sokovan")
STARTUP_TIMEOUT = 20.0


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


class LiveApi:
    """Serves the API world until `stop`; `admin` and `alice` are its callers."""

    def __init__(self, database_url: str, home: Path) -> None:
        self.database_url = database_url
        self.home = home
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._server: uvicorn.Server | None = None
        self._ready = threading.Event()
        self._callers: dict[str, Caller] = {}
        self._thread = threading.Thread(target=self._run, name="live-api", daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(STARTUP_TIMEOUT):
            raise RuntimeError("the API server did not start")
        httpx.get(f"{self.url}/healthz", timeout=STARTUP_TIMEOUT)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(STARTUP_TIMEOUT)
        self._socket.close()

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        engine = create_engine(self.database_url)
        try:
            admin, alice, bob = await populate(engine)
            self._callers = {"admin": admin, "alice": alice, "bob": bob}
            clock = ManualClock(NOW)
            _, context = build_context(engine, clock, InMemoryValkeySchedule(clock))
            config = uvicorn.Config(
                create_app(context), log_level="warning", lifespan="off", ws="none"
            )
            self._server = uvicorn.Server(config)
            self._ready.set()
            await self._server.serve(sockets=[self._socket])
        finally:
            await engine.dispose()

    def caller(self, name: str) -> Caller:
        return self._callers[name]

    def env(self, caller: str = "alice", secret: str = SECRET) -> dict[str, str]:
        """A clean environment whose keypair is `caller`'s (with `secret`)."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("SOKOVAN_")}
        env |= {
            "HOME": str(self.home),
            "SOKOVAN_DATA_DIR": str(self.home / "data"),
            "SOKOVAN_API_URL": self.url,
            "SOKOVAN_ACCESS_KEY": self.caller(caller).tenant.access_key,
            "SOKOVAN_SECRET_KEY": secret,
            "COLUMNS": "200",
        }
        return env

    def run(self, *args: str, env: Mapping[str, str] | None = None) -> CliResult:
        """`sokovan ARGS` as a subprocess, as alice unless `env` says otherwise."""
        done = subprocess.run(
            [SOKOVAN, *args],
            env=dict(env if env is not None else self.env()),
            capture_output=True,
            text=True,
            timeout=50,
            check=False,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    def session_count(self) -> int:
        """Rows in `sessions`, read through a separate engine."""
        return int(asyncio.run(_count(self.database_url, t.sessions)))


async def _count(database_url: str, table: sa.Table) -> Any:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(sa.select(sa.func.count()).select_from(table))
    finally:
        await engine.dispose()
