"""`sokovan manager`: the manager alone (API, scheduler loops, agent gateway, agent-loss
monitor), for agents running elsewhere; until SIGINT or SIGTERM.

The database comes from SokovanConfig (SOKOVAN_DATABASE_URL, SQLite or PostgreSQL) and must
be migrated (`sokovan db upgrade` or `sokovan up --init-only`). The agent token is
SOKOVAN_AGENT_TOKEN, or the token file `sokovan up` keeps in the data directory.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from sokovan.bootstrap import read_agent_token
from sokovan.cli import output
from sokovan.cli.options import DatabaseUrlOption, DataDirOption
from sokovan.cli.settings import load_config
from sokovan.cli.up import HostOption, PortOption
from sokovan.common.collector import settle_for_serving
from sokovan.common.errors import ConfigurationError
from sokovan.config import SokovanConfig
from sokovan.db.engine import create_engine
from sokovan.manager.service import ManagerService
from sokovan.manager.wiring import build_manager


def manager_command(
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8090,
) -> None:
    """Run the manager: serve the API and the agent gateway, run the scheduler."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = load_config(data_dir=data_dir, database_url=database_url)
    asyncio.run(_run(config, host, port))


async def _run(config: SokovanConfig, host: str, port: int) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    engine = create_engine(config.resolved_database_url(), echo=config.database_echo)
    service = ManagerService(
        build_manager(config.manager, engine, agent_token=read_agent_token(config)), host, port
    )
    settle_for_serving()
    try:
        try:
            await service.start()
        except OSError as exc:
            raise ConfigurationError(
                f"cannot serve on {host}:{port}: {exc.strerror or exc}"
            ) from None
        output.print_line(f"manager serving on {service.url} (Ctrl-C stops it)", style="green")
        await stopping.wait()
    finally:
        await service.stop()
        await engine.dispose()
