"""`sokovan up`: the embedded installation on this machine, running until Ctrl-C or SIGTERM.

It bootstraps (data directory, database, default tenancy, admin keypair, default image,
agent token; safe to rerun), serves the manager on `--host:--port` and runs `--agents`
local process agents beside it. Stopping terminates the running sessions (bounded), stops
the agents and leaves no process behind; the state in the data directory is kept, so the
next `sokovan up` resumes with the same sessions and credentials.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated

import typer

from sokovan.bootstrap import BootstrapReport, bootstrap, read_agent_token, record_api_url
from sokovan.cli import output
from sokovan.cli.options import DataDirOption
from sokovan.cli.settings import display_url, load_config
from sokovan.common.collector import settle_for_serving
from sokovan.config import SokovanConfig, default_data_dir
from sokovan.manager.embedded import EmbeddedCluster, EmbeddedOptions

HostOption = Annotated[str, typer.Option(help="Address the manager's API binds to.")]
PortOption = Annotated[int, typer.Option(min=0, max=65535, help="Port of the manager's API.")]


def up_command(
    data_dir: DataDirOption = None,
    agents: Annotated[int, typer.Option(min=1, max=64, help="Local agents to run.")] = 2,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8090,
    init_only: Annotated[
        bool, typer.Option("--init-only", help="Bootstrap only; start nothing.")
    ] = False,
) -> None:
    """Set up and run sokovan on this machine (embedded mode) until Ctrl-C; safe to rerun.

    Creates the data directory, migrates the database and ensures the defaults, then serves
    the manager's API and runs local process agents that register with it.
    """
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = load_config(data_dir=data_dir)
    if init_only:
        print_report(asyncio.run(bootstrap(config)))
        return
    asyncio.run(_run(config, EmbeddedOptions(host=host, port=port, agents=agents)))


async def _run(config: SokovanConfig, options: EmbeddedOptions) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    report = await bootstrap(config)
    print_report(report)
    cluster = EmbeddedCluster(config, options, read_agent_token(config))
    try:
        await cluster.start()
        settle_for_serving()
        record_api_url(report.credentials_file, cluster.manager.url)
        waiting = asyncio.create_task(_wait_for_agents(cluster, options.agents))
        stopped = asyncio.create_task(stopping.wait())
        await asyncio.wait({waiting, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not waiting.done():
            waiting.cancel()
        elif waiting.exception() is None:
            print_ready(config, report, cluster.manager.url)
            await stopped
        else:
            stopped.cancel()
            waiting.result()
    finally:
        output.print_line("stopping: terminating sessions, stopping agents…", style="yellow")
        await cluster.stop()
        output.print_line("sokovan stopped", style="green")


async def _wait_for_agents(cluster: EmbeddedCluster, total: int) -> None:
    with output.stdout().status(f"waiting for {total} local agent(s) to register…") as status:

        def progress(registered: int, wanted: int) -> None:
            status.update(f"waiting for local agents to register: {registered}/{wanted}")

        await cluster.wait_for_agents(progress)


def print_report(report: BootstrapReport) -> None:
    if report.already_initialised:
        output.print_line("sokovan is already initialised: nothing changed", style="green")
    else:
        output.print_line("sokovan initialised", style="green")
    revision = report.revision_after or "(empty)"
    if report.revision_before != report.revision_after:
        revision = f"{report.revision_before or '(empty)'} → {revision}"
    rows = [
        ("data dir", str(report.data_dir)),
        ("database", f"{display_url(report.database_url)} (revision {revision})"),
        ("access key", report.access_key),
        ("secret key", f"in {report.credentials_file} (mode 0600, readable by you only)"),
    ]
    if report.created:
        rows.append(("created", ", ".join(report.created)))
    output.print_fields(rows)


def print_ready(config: SokovanConfig, report: BootstrapReport, api_url: str) -> None:
    """The lines a user needs: where the API is, who they are, and what to try first."""
    output.print_line(f"sokovan is running at {api_url} (Ctrl-C stops it)", style="bold green")
    output.print_fields(
        [
            ("API URL", api_url),
            ("access key", report.access_key),
            ("secret key", f"in {report.credentials_file} (mode 0600, readable by you only)"),
        ]
    )
    prefix = "" if config.data_dir == default_data_dir() else f"SOKOVAN_DATA_DIR={config.data_dir} "
    output.print_line("try this:", style="bold")
    output.print_line(
        f"  {prefix}sokovan session create --image python --type batch "
        "--command \"python3 -c 'print(1)'\" --wait"
    )
    output.print_line(f"  {prefix}sokovan session ls")
