"""`sokovan admin`: users, keypairs, resource policies and scaling groups (administrators only).

Every group has `ls` and `create`; created objects print as fields, or as JSON with `--json`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from sokovan.cli import output
from sokovan.cli.client import EXIT_CODES_HELP, ApiClient, ApiClientError, ExitCode
from sokovan.cli.remote import (
    ApiUrlOption,
    JsonOption,
    column,
    connect,
    display,
    print_json,
    print_listing,
    remote_app,
)
from sokovan.common.errors import InvalidInputError
from sokovan.common.scheduling import AgentSelectionStrategy, SequencerStrategy, UserRole

ADMIN = "/v1/admin"
#: The API's largest page: lookups by name read one page of this size.
PAGE = 500

admin_app = remote_app(
    "Manage users, keypairs, resource policies and scaling groups (administrators only).",
    f"Example: sokovan admin users ls --json\n\n{EXIT_CODES_HELP}",
)
users_app = remote_app("List and create users.", "Example: sokovan admin users ls")
keypairs_app = remote_app("List and issue keypairs.", "Example: sokovan admin keypairs ls")
policies_app = remote_app(
    "List and create resource policies.", "Example: sokovan admin policies ls"
)
groups_app = remote_app(
    "List and create scaling groups.", "Example: sokovan admin scaling-groups ls"
)
admin_app.add_typer(users_app, name="users")
admin_app.add_typer(keypairs_app, name="keypairs")
admin_app.add_typer(policies_app, name="policies")
admin_app.add_typer(groups_app, name="scaling-groups")

LimitOption = Annotated[int, typer.Option(min=1, max=PAGE, help="At most this many.")]
DomainOption = Annotated[str, typer.Option(help="The domain.")]

USER_COLUMNS = tuple(
    column(name) for name in ("id", "email", "username", "domain", "role", "is_active")
)
KEYPAIR_COLUMNS = tuple(
    column(name) for name in ("access_key", "user_id", "role", "is_active", "resource_policy")
)
POLICY_COLUMNS = (
    column("name"),
    column("total_resource_slots", "total"),
    column("max_concurrent_sessions", "max sessions"),
    column("max_pending_session_count", "max pending"),
    column("max_session_lifetime", "max lifetime (s)"),
)
SCALING_GROUP_COLUMNS = (
    column("name"),
    column("is_active", "active"),
    column("scheduler"),
    column("agent_selection_strategy", "agent selection"),
    column("pending_timeout", "pending timeout (s)"),
    column("max_container_count", "max containers"),
)


def _show_created(created: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(created)
    else:
        output.print_fields((key, display(value)) for key, value in created.items())


def _list(path: str, params: dict[str, Any], api_url: str | None) -> list[Any]:
    with connect(api_url) as client:
        items: list[Any] = client.get(f"{ADMIN}/{path}", params)
    return items


def _set(body: dict[str, Any], **values: Any) -> dict[str, Any]:
    """`body` with the values that were given (None means: leave it to the server)."""
    return body | {key: value for key, value in values.items() if value is not None}


# --- users --------------------------------------------------------------------------------


@users_app.command("ls")
def list_users(
    domain: Annotated[str | None, typer.Option(help="Only this domain.")] = None,
    limit: LimitOption = 100,
    as_json: JsonOption = False,
    api_url: ApiUrlOption = None,
) -> None:
    """List users. Example: `sokovan admin users ls --domain default`"""
    params = _set({"limit": limit}, domain=domain)
    print_listing(USER_COLUMNS, _list("users", params, api_url), as_json)


@users_app.command("create")
def create_user(
    email: Annotated[str, typer.Option(help="The login e-mail.")],
    username: Annotated[str, typer.Option(help="The display name.")],
    domain: DomainOption = "default",
    group: Annotated[str, typer.Option(help="A group of the domain, by name.")] = "default",
    role: Annotated[UserRole, typer.Option(help="The user's role.")] = UserRole.USER,
    as_json: JsonOption = False,
    api_url: ApiUrlOption = None,
) -> None:
    """Create a user in a group; issue a keypair next with `sokovan admin keypairs create`.

    Example: `sokovan admin users create --email alice@example.com --username alice`
    """
    with connect(api_url) as client:
        group_id = _group_id(client, domain, group)
        body = {"email": email, "username": username, "domain": domain, "group_id": group_id}
        created = client.post(f"{ADMIN}/users", body | {"role": role.value})
    _show_created(created, as_json)


def _group_id(client: ApiClient, domain: str, name: str) -> str:
    groups = client.get(f"{ADMIN}/groups", {"domain": domain, "limit": PAGE})
    for group in groups:
        if group["name"] == name:
            return str(group["id"])
    raise ApiClientError(f"domain {domain!r} has no group {name!r}", ExitCode.NOT_FOUND)


# --- keypairs -----------------------------------------------------------------------------


@keypairs_app.command("ls")
def list_keypairs(
    user: Annotated[str | None, typer.Option(help="Only this user's (id or e-mail).")] = None,
    limit: LimitOption = 100,
    as_json: JsonOption = False,
    api_url: ApiUrlOption = None,
) -> None:
    """List keypairs (never their secrets). Example: `sokovan admin keypairs ls --user alice@…`"""
    with connect(api_url) as client:
        user_id = None if user is None else _user_id(client, user)
        keypairs = client.get(f"{ADMIN}/keypairs", _set({"limit": limit}, user_id=user_id))
    print_listing(KEYPAIR_COLUMNS, keypairs, as_json)


@keypairs_app.command("create")
def create_keypair(
    user: Annotated[str, typer.Option(help="The owner, by id or e-mail.")],
    role: Annotated[UserRole, typer.Option(help="At most the user's role.")] = UserRole.USER,
    resource_policy: Annotated[str | None, typer.Option(help="Default: the server's.")] = None,
    as_json: JsonOption = False,
    api_url: ApiUrlOption = None,
) -> None:
    """Issue a keypair; its secret key is printed this once and never again.

    Example: `sokovan admin keypairs create --user alice@example.com`
    """
    with connect(api_url) as client:
        body = {"user_id": _user_id(client, user), "role": role.value}
        created = client.post(f"{ADMIN}/keypairs", _set(body, resource_policy=resource_policy))
    _show_created(created, as_json)


def _user_id(client: ApiClient, user: str) -> str:
    """`user` if it is a UUID, else the id of the user with that e-mail."""
    try:
        return str(uuid.UUID(user))
    except ValueError:
        pass
    for row in client.get(f"{ADMIN}/users", {"limit": PAGE}):
        if row["email"] == user:
            return str(row["id"])
    raise ApiClientError(f"no user with e-mail {user!r}", ExitCode.NOT_FOUND)


# --- resource policies --------------------------------------------------------------------


@policies_app.command("ls")
def list_policies(
    limit: LimitOption = 100, as_json: JsonOption = False, api_url: ApiUrlOption = None
) -> None:
    """List resource policies. Example: `sokovan admin policies ls --json`"""
    print_listing(POLICY_COLUMNS, _list("resource-policies", {"limit": limit}, api_url), as_json)


@policies_app.command("create")
def create_policy(
    name: Annotated[str, typer.Argument(help="The policy's name.")],
    total: Annotated[
        list[str] | None, typer.Option(metavar="SLOT=AMOUNT", help="Total limit (repeatable).")
    ] = None,
    max_sessions: Annotated[int | None, typer.Option(min=0, help="Concurrent sessions.")] = None,
    max_pending: Annotated[int | None, typer.Option(min=0, help="Pending sessions.")] = None,
    max_lifetime: Annotated[float | None, typer.Option(min=0, help="Seconds.")] = None,
    as_json: JsonOption = False,
    api_url: ApiUrlOption = None,
) -> None:
    """Create a resource policy; absent limits mean no limit.

    Example: `sokovan admin policies create small --total cpu=4 --total mem=16g --max-sessions 2`
    """
    body = _set(
        {"name": name, "total_resource_slots": slot_map(total or ())},
        max_concurrent_sessions=max_sessions,
        max_pending_session_count=max_pending,
        max_session_lifetime=max_lifetime,
    )
    with connect(api_url) as client:
        created = client.post(f"{ADMIN}/resource-policies", body)
    _show_created(created, as_json)


def slot_map(pairs: Sequence[str]) -> dict[str, str]:
    """`["cpu=4", "mem=16g"]` as `{"cpu": "4", "mem": "16g"}`; the server checks the amounts."""
    slots: dict[str, str] = {}
    for pair in pairs:
        slot, sep, amount = pair.partition("=")
        if not sep or not slot.strip() or not amount.strip():
            raise InvalidInputError(f"--total {pair!r}: write SLOT=AMOUNT, e.g. cpu=4 or mem=16g")
        slots[slot.strip()] = amount.strip()
    return slots


# --- scaling groups -----------------------------------------------------------------------


@groups_app.command("ls")
def list_scaling_groups(
    limit: LimitOption = 100, as_json: JsonOption = False, api_url: ApiUrlOption = None
) -> None:
    """List scaling groups. Example: `sokovan admin scaling-groups ls`"""
    with connect(api_url) as client:
        groups = client.get("/v1/scaling-groups", {"limit": limit})
    print_listing(SCALING_GROUP_COLUMNS, groups, as_json)


@groups_app.command("create")
def create_scaling_group(
    name: Annotated[str, typer.Argument(help="The scaling group's name.")],
    scheduler: Annotated[SequencerStrategy, typer.Option()] = SequencerStrategy.FIFO,
    agent_selection: Annotated[
        AgentSelectionStrategy, typer.Option()
    ] = AgentSelectionStrategy.CONCENTRATED,
    pending_timeout: Annotated[float | None, typer.Option(min=0, help="Seconds.")] = None,
    max_containers: Annotated[int | None, typer.Option(min=0, help="Per agent.")] = None,
    as_json: JsonOption = False,
    api_url: ApiUrlOption = None,
) -> None:
    """Create a scaling group. Example: `sokovan admin scaling-groups create gpu --scheduler drf`"""
    body = _set(
        {"name": name, "scheduler": scheduler.value},
        agent_selection_strategy=agent_selection.value,
        pending_timeout=pending_timeout,
        max_container_count=max_containers,
    )
    with connect(api_url) as client:
        created = client.post("/v1/scaling-groups", body)
    _show_created(created, as_json)
