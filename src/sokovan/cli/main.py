"""The `sokovan` command: subcommands are registered here, errors reported by `ReportingGroup`."""

from __future__ import annotations

from typing import Annotated

import typer

from sokovan import __version__
from sokovan.cli.agent_cmd import agent_command
from sokovan.cli.api_commands import add_api_commands
from sokovan.cli.config_cmd import config_app
from sokovan.cli.db import db_app
from sokovan.cli.errors import ReportingGroup
from sokovan.cli.manager_cmd import manager_command
from sokovan.cli.up import up_command

app = typer.Typer(
    name="sokovan",
    cls=ReportingGroup,
    help="sokovan orchestrates AI compute sessions and model-serving deployments.",
    epilog="Example: sokovan up --data-dir ./sokovan-data",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("up")(up_command)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.command("agent")(agent_command)
app.command("manager")(manager_command)
add_api_commands(app)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"sokovan {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Root options only (`--version`)."""
