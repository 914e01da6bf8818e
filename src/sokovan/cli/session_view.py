"""How sessions read on a terminal: the listing columns and the `session show` page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sokovan.cli import output
from sokovan.cli.remote import Column, column, display, print_table

SESSION_COLUMNS = (
    column("id"),
    column("name"),
    column("status"),
    column("session_type", "type"),
    column("scaling_group", "scaling group"),
    column("requested_slots", "resources"),
    column("created_at", "created"),
)
KERNEL_COLUMNS = (
    column("id"),
    column("cluster_role", "role"),
    column("agent_id", "agent"),
    column("status"),
    column("status_info", "status info"),
    column("exit_code", "exit code"),
)
HISTORY_COLUMNS = (
    column("created_at", "at"),
    column("phase"),
    column("result"),
    Column(
        "transition",
        lambda row: f"{display(row.get('from_status'))} → {display(row.get('to_status'))}",
    ),
    column("message"),
    column("attempts"),
)


def print_session(session: Mapping[str, Any]) -> None:
    """The detail page: fields, why a PENDING session waits, kernels, scheduling history."""
    output.print_fields(_summary(session))
    kernels = session.get("kernels") or []
    history = session.get("history") or []
    if kernels:
        output.print_line("kernels", style="bold")
        print_table(KERNEL_COLUMNS, kernels)
    if history:
        output.print_line("history", style="bold")
        print_table(HISTORY_COLUMNS, history)


def _summary(session: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = [
        ("id", display(session.get("id"))),
        ("name", display(session.get("name"))),
        ("status", display(session.get("status"))),
        ("status info", display(session.get("status_info"))),
        ("result", display(session.get("result"))),
        ("type", display(session.get("session_type"))),
        ("priority", display(session.get("priority"))),
        (
            "cluster",
            f"{display(session.get('cluster_size'))} × {display(session.get('cluster_mode'))}",
        ),
        ("scaling group", display(session.get("scaling_group"))),
        ("resources", display(session.get("requested_slots"))),
        ("created", display(session.get("created_at"))),
        ("status changed", display(session.get("status_changed"))),
    ]
    if session.get("status") == "PENDING":
        rows.append(("why pending", _why_pending(session.get("why_pending"))))
        rows.append(("queue position", display(session.get("queue_position"))))
    return rows


def _why_pending(why: Mapping[str, Any] | None) -> str:
    if not why:
        return "not looked at by the scheduler yet"
    code = why.get("code")
    reason = f"{code}: {why.get('message')}" if code else str(why.get("message"))
    return f"{reason} (same answer {why.get('attempts')} cycle(s) in a row)"
