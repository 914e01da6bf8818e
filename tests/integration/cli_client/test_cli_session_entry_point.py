"""The installed `sokovan` script against a live manager API: sessions end to end.

Each invocation is a fresh interpreter, which is slow; independent invocations therefore run
side by side.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

from integration.cli_client.live_api import CliResult, LiveApi

CREATE = (
    "session",
    "create",
    "--image",
    "python:3.11",
    "--command",
    "python3 -c 'print(1)'",
    "--cpu",
    "1",
    "--mem",
    "512m",
    "--type",
    "batch",
)


def _run_all(
    api: LiveApi, *commands: tuple[tuple[str, ...], dict[str, str] | None]
) -> list[CliResult]:
    with ThreadPoolExecutor(len(commands)) as pool:
        return list(pool.map(lambda command: api.run(*command[0], env=command[1]), commands))


def test_create_list_show_terminate_and_wait_round_trip(live_api: LiveApi) -> None:
    created = live_api.run(*CREATE)
    assert created.exit_code == 0, created.stderr
    session_id = created.stdout.strip()
    uuid.UUID(session_id)

    listed, shown = _run_all(
        live_api,
        (("session", "ls", "--json"), None),
        (("session", "show", session_id, "--json"), None),
    )

    assert listed.exit_code == 0, listed.stderr
    assert session_id in [item["id"] for item in json.loads(listed.stdout)]
    assert shown.exit_code == 0, shown.stderr
    detail = json.loads(shown.stdout)
    assert (detail["id"], detail["status"], detail["session_type"]) == (
        session_id,
        "PENDING",
        "batch",
    )
    assert detail["requested_slots"] == {"cpu": "1", "mem": str(512 * 2**20)}
    assert len(detail["kernels"]) == 1

    # The wait starts alongside the termination and sees it happen.
    waited, removed = _run_all(
        live_api,
        (
            ("session", "wait", session_id, "--until", "TERMINATED", "--timeout", "30", "--json"),
            None,
        ),
        (("session", "rm", session_id), None),
    )
    assert removed.exit_code == 0, removed.stderr
    assert waited.exit_code == 0, waited.stderr
    assert json.loads(waited.stdout)["status"] == "CANCELLED"


def test_failures_exit_with_their_code_and_one_error_line(live_api: LiveApi) -> None:
    before = live_api.session_count()

    wrong_secret, unknown, bad_cpu = _run_all(
        live_api,
        (("session", "ls"), live_api.env(secret="wrong-secret")),
        (("session", "show", str(uuid.uuid4())), None),
        ((*CREATE[:6], "--cpu", "-1"), None),
    )

    assert wrong_secret.exit_code == 4
    assert unknown.exit_code == 3
    assert bad_cpu.exit_code in (1, 2)
    assert "--cpu" in bad_cpu.stderr
    for result in (wrong_secret, unknown, bad_cpu):
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("error: ")
    assert live_api.session_count() == before
