"""`sokovan agent`: run the agent daemon on this node until SIGINT or SIGTERM.

Settings come from the flags, then SOKOVAN_AGENT_* variables, then the `--config` TOML file.
The token is deliberately not a flag (command lines are visible to every local user): set
SOKOVAN_AGENT_TOKEN or `token` in the file.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from sokovan.agent.config import AgentConfig, RuntimeKind
from sokovan.agent.daemon import AgentDaemon
from sokovan.cli import output
from sokovan.common.errors import ConfigurationError


def agent_command(
    config_file: Annotated[
        Path | None,
        typer.Option("--config", metavar="FILE", dir_okay=False, help="TOML settings file."),
    ] = None,
    agent_id: Annotated[str | None, typer.Option(help="Default: the host name.")] = None,
    scaling_group: Annotated[str | None, typer.Option(help="Default: 'default'.")] = None,
    host: Annotated[str | None, typer.Option(help="RPC bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="RPC port; 0 picks a free one.")] = None,
    manager_url: Annotated[str | None, typer.Option(help="The manager's base URL.")] = None,
    data_dir: Annotated[
        Path | None, typer.Option(file_okay=False, help="Registry, kernels and venvs.")
    ] = None,
    runtime: Annotated[RuntimeKind | None, typer.Option(help="How kernels run.")] = None,
) -> None:
    """Run the agent daemon: serve kernel RPC and report to the manager.

    Kernels outlive the daemon: a restarted agent takes them back from its registry.
    """
    flags = {
        "config_file": config_file,
        "agent_id": agent_id,
        "scaling_group": scaling_group,
        "bind_host": host,
        "bind_port": port,
        "manager_url": manager_url,
        "data_dir": data_dir.absolute() if data_dir else None,
        "runtime": runtime,
    }
    config = load_agent_config({name: value for name, value in flags.items() if value is not None})
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # One line per heartbeat and event batch would drown everything else.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(_run(config))


def load_agent_config(overrides: dict[str, Any]) -> AgentConfig:
    """The effective settings; invalid ones raise one `ConfigurationError` naming each field."""
    try:
        return AgentConfig(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_setting_name(error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise ConfigurationError(
            f"invalid agent configuration (flags, SOKOVAN_AGENT_* or the config file): {problems}"
        ) from None


def _setting_name(location: tuple[int | str, ...]) -> str:
    """`simulated.seed (SOKOVAN_AGENT_SIMULATED__SEED)`: the file key and the variable."""
    parts = [str(part) for part in location]
    variable = "SOKOVAN_AGENT_" + "__".join(part.upper() for part in parts)
    return f"{'.'.join(parts)} ({variable})"


async def _run(config: AgentConfig) -> None:
    daemon = AgentDaemon(config)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    try:
        try:
            await daemon.start()
        except OSError as exc:
            raise ConfigurationError(
                f"cannot serve on {config.bind_host}:{config.bind_port}: {exc.strerror or exc}"
            ) from None
        output.print_line(
            f"agent {config.agent_id} serving on {daemon.addr} (instance {daemon.instance_id})",
            style="green",
        )
        await stopping.wait()
    finally:
        await daemon.stop()
