"""`sokovan agents ls`: the agent registry (administrators only).

`sokovan agent` runs the agent daemon, so the registry lives under the plural `agents`.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sokovan.cli.client import EXIT_CODES_HELP
from sokovan.cli.remote import ApiUrlOption, JsonOption, column, connect, print_listing, remote_app
from sokovan.common.status import AgentStatus

agents_app = remote_app(
    "Inspect the agents registered with the manager (administrators only).",
    f"Example: sokovan agents ls --status ALIVE\n\n{EXIT_CODES_HELP}",
)

AGENT_COLUMNS = (
    column("id"),
    column("status"),
    column("scaling_group", "scaling group"),
    column("schedulable"),
    column("available_slots", "available"),
    column("occupied_slots", "occupied"),
    column("container_count", "containers"),
    column("addr"),
    column("last_heartbeat", "last heartbeat"),
)


@agents_app.command("ls")
def list_agents_command(
    scaling_group: Annotated[str | None, typer.Option(help="Only this scaling group.")] = None,
    status: Annotated[
        list[AgentStatus] | None, typer.Option(help="Only these statuses (repeatable).")
    ] = None,
    as_json: JsonOption = False,
    api_url: ApiUrlOption = None,
) -> None:
    """List agents by id with their capacity and what is placed on them.

    Example: `sokovan agents ls --scaling-group default --json`
    """
    params: dict[str, Any] = {}
    if scaling_group:
        params["scaling_group"] = scaling_group
    if status:
        params["status"] = [item.value for item in status]
    with connect(api_url) as client:
        agents = client.get("/v1/agents", params)
    print_listing(AGENT_COLUMNS, agents, as_json)
