"""Waiting for a session with a live status line.

The API's wait endpoint is called in short slices rather than once for the whole timeout: each
slice that ends early (408) reports the current status, which keeps the spinner's text true,
and a long `--timeout` never outlives the server's own per-call limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from sokovan.cli import output
from sokovan.cli.client import ApiClient, ApiClientError, ExitCode

#: Seconds per wait call: short enough for a lively status line.
SLICE = 2.0
#: Slack on top of a slice for the answer to arrive before the HTTP read times out.
SLACK = 10.0
MAX_TIMEOUT = 86400.0


class Until(StrEnum):
    RUNNING = "RUNNING"  #: every kernel runs (or the session ended first)
    TERMINATED = "TERMINATED"  #: the session ended, however it ended


def wait_for(client: ApiClient, session_id: str, until: Until, timeout: float) -> dict[str, Any]:
    """The session once it is `until` or has ended, with a spinner on a terminal.

    Raises `ApiClientError` with exit code TIMEOUT when `timeout` seconds pass first, and with
    exit code ERROR when the session ended before reaching RUNNING.
    """
    console = output.stdout()
    with console.status(f"waiting for session {session_id} to be {until}…") as status:
        session = _poll(client, session_id, until, timeout, status.update)
    if until is Until.RUNNING and session["status"] != Until.RUNNING:
        info = session.get("status_info")
        raise ApiClientError(
            f"session {session_id} ended as {session['status']} before it ran"
            + (f": {info}" if info else "")
        )
    return session


def _poll(
    client: ApiClient, session_id: str, until: Until, timeout: float, show: Callable[[str], None]
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        step = max(min(SLICE, remaining), 0.05)
        try:
            session: dict[str, Any] = client.get(
                f"/v1/sessions/{session_id}/wait",
                {"until": until.value, "timeout": step},
                timeout=step + SLACK,
            )
            return session
        except ApiClientError as exc:
            if exc.exit_code is not ExitCode.TIMEOUT:
                raise
            current = _status_of(exc.details)
        if time.monotonic() >= deadline:
            raise ApiClientError(
                f"session {session_id} is still {current} after {timeout:g} s",
                ExitCode.TIMEOUT,
            )
        show(f"session {session_id} is {current}; waiting for {until}…")


def _status_of(details: object) -> str:
    if isinstance(details, dict) and isinstance(details.get("status"), str):
        return str(details["status"])
    return "not there yet"
