"""`sokovan session`: submit, list, inspect, follow and terminate sessions via the manager API."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import typer

from sokovan.cli import output
from sokovan.cli.client import EXIT_CODES_HELP, ApiClientError, ExitCode
from sokovan.cli.remote import (
    ApiUrlOption,
    JsonOption,
    connect,
    print_json,
    print_listing,
    remote_app,
)
from sokovan.cli.session_view import SESSION_COLUMNS, print_session
from sokovan.cli.session_wait import MAX_TIMEOUT, SLACK, Until, wait_for
from sokovan.common.errors import InvalidInputError
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import SessionType
from sokovan.common.status import SessionStatus

session_app = remote_app(
    "Submit, list, inspect, follow and terminate sessions.",
    "Example: sokovan session create --image python --command \"python3 -c 'print(1)'\" "
    f"--cpu 1 --mem 512m --wait\n\n{EXIT_CODES_HELP}",
)


SessionIdArgument = Annotated[str, typer.Argument(metavar="ID", help="The session's id.")]
TimeoutOption = Annotated[
    float,
    typer.Option(min=0.1, max=MAX_TIMEOUT, metavar="SECONDS", help="Give up (exit 5) after this."),
]


def session_id_of(raw: str) -> str:
    """`raw` as a canonical UUID; not-a-UUID is reported like a missing session (exit 3)."""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise ApiClientError(
            f"session {raw} not found: session ids are UUIDs", ExitCode.NOT_FOUND
        ) from None


@session_app.command("create")
def create_command(
    image: Annotated[str, typer.Option(help="A registered image, e.g. python:3.11.")],
    command: Annotated[str | None, typer.Option(help="Run this instead of the default.")] = None,
    cpu: Annotated[str, typer.Option(help="CPU cores per kernel, e.g. 1 or 0.5.")] = "1",
    mem: Annotated[str, typer.Option(help="Memory per kernel, e.g. 512m or 4g.")] = "512m",
    session_type: Annotated[
        SessionType, typer.Option("--type", help="Session type.")
    ] = SessionType.INTERACTIVE,
    cluster_size: Annotated[int, typer.Option(min=1, help="Number of kernels.")] = 1,
    priority: Annotated[int | None, typer.Option(help="Higher is placed first.")] = None,
    scaling_group: Annotated[str | None, typer.Option(help="Default: the manager's.")] = None,
    name: Annotated[str | None, typer.Option(help="Default: a generated one.")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until it runs or ends.")] = False,
    timeout: TimeoutOption = 600.0,
    api_url: ApiUrlOption = None,
) -> None:
    """Submit a session and print its id; with `--wait`, follow it until RUNNING.

    Example: `sokovan session create --image python:3.11 --command "python3 -c 'print(1)'"
    --cpu 1 --mem 512m --type batch --wait`
    """
    _check_amount("--cpu", "cpu", cpu)
    _check_amount("--mem", "mem", mem)
    body: dict[str, Any] = {
        "image": image,
        "resources": {"cpu": cpu, "mem": mem},
        "session_type": session_type.value,
        "cluster_size": cluster_size,
    }
    optional = {"command": command, "priority": priority, "scaling_group": scaling_group}
    body |= {key: value for key, value in optional.items() if value is not None}
    if name is not None:
        body["name"] = name
    with connect(api_url, read_timeout=timeout + SLACK) as client:
        session = client.post("/v1/sessions", body)
        typer.echo(session["id"])
        if wait:
            session = wait_for(client, session["id"], Until.RUNNING, timeout)
            output.print_line(f"session {session['id']} is {session['status']}", style="green")


def _check_amount(flag: str, slot: str, amount: str) -> None:
    """Refuse a malformed amount before any request, naming the flag (exit 1)."""
    try:
        ResourceSlot.parse({slot: amount})
    except InvalidInputError as exc:
        raise InvalidInputError(f"{flag}: {exc}") from None


@session_app.command("ls")
def list_command(
    status: Annotated[
        list[SessionStatus] | None, typer.Option(help="Only these statuses (repeatable).")
    ] = None,
    scaling_group: Annotated[str | None, typer.Option(help="Only this scaling group.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 100,
    as_json: JsonOption = False,
    api_url: ApiUrlOption = None,
) -> None:
    """List your sessions, newest first (administrators see everyone's).

    Example: `sokovan session ls --status PENDING --status RUNNING --json`
    """
    params: dict[str, Any] = {"limit": limit}
    if status:
        params["status"] = [item.value for item in status]
    if scaling_group:
        params["scaling_group"] = scaling_group
    with connect(api_url) as client:
        page = client.get("/v1/sessions", params)
    print_listing(SESSION_COLUMNS, page["items"], as_json)


@session_app.command("show")
def show_command(
    session_id: SessionIdArgument, as_json: JsonOption = False, api_url: ApiUrlOption = None
) -> None:
    """Show a session: status, kernels, why it is pending and its place in the queue, history.

    Example: `sokovan session show 6f1c… --json`
    """
    with connect(api_url) as client:
        session = client.get(f"/v1/sessions/{session_id_of(session_id)}")
    if as_json:
        print_json(session)
    else:
        print_session(session)


@session_app.command("logs")
def logs_command(
    session_id: SessionIdArgument,
    kernel: Annotated[str | None, typer.Option(help="A kernel id; default: the main one.")] = None,
    api_url: ApiUrlOption = None,
) -> None:
    """Print a kernel's console output (the main kernel unless `--kernel` names another).

    Example: `sokovan session logs 6f1c…`
    """
    params = {} if kernel is None else {"kernel_id": kernel}
    with connect(api_url) as client:
        answer = client.get(f"/v1/sessions/{session_id_of(session_id)}/logs", params)
    typer.echo(answer["logs"], nl=not answer["logs"].endswith("\n"))


@session_app.command("rm")
def remove_command(session_id: SessionIdArgument, api_url: ApiUrlOption = None) -> None:
    """Terminate a session: one that never started is cancelled at once.

    Example: `sokovan session rm 6f1c… && sokovan session wait 6f1c… --until TERMINATED`
    """
    with connect(api_url) as client:
        session = client.post(f"/v1/sessions/{session_id_of(session_id)}/terminate")
    output.print_line(f"session {session['id']} is {session['status']}")


@session_app.command("wait")
def wait_command(
    session_id: SessionIdArgument,
    until: Annotated[Until, typer.Option(help="The status to wait for.")] = Until.RUNNING,
    timeout: TimeoutOption = 60.0,
    as_json: JsonOption = False,
    api_url: ApiUrlOption = None,
) -> None:
    """Wait until a session is RUNNING (or has ended), or until it has ended.

    Exits 5 when the timeout passes first, 1 when the session ended before it ran.
    Example: `sokovan session wait 6f1c… --until TERMINATED --timeout 300`
    """
    with connect(api_url) as client:
        session = wait_for(client, session_id_of(session_id), until, timeout)
    if as_json:
        print_json(session)
    else:
        output.print_line(f"session {session['id']} is {session['status']}", style="green")
