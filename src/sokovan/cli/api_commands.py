"""The command groups that call the manager API, registered on the root command in one go."""

from __future__ import annotations

import typer

from sokovan.cli.admin_cmd import admin_app
from sokovan.cli.agent_ls import agents_app
from sokovan.cli.session_cmd import session_app


def add_api_commands(app: typer.Typer) -> None:
    """`sokovan session`, `sokovan agents` and `sokovan admin`."""
    app.add_typer(session_app, name="session")
    # `sokovan agent` (singular) runs the agent daemon; the registry is `agents`.
    app.add_typer(agents_app, name="agents")
    app.add_typer(admin_app, name="admin")
