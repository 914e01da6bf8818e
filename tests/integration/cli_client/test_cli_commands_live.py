"""Every API command group in-process (Typer's runner) against the live API over HTTP.

Faster than the script (no interpreter per call), so the finer behaviour is checked here:
tables, waits that time out, permission refusals, the admin commands and credentials lookup.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from integration.api.api_world import SECRET
from integration.cli_client.live_api import LiveApi
from sokovan.cli.main import app


@pytest.fixture
def cli(live_api: LiveApi, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name, value in live_api.env("admin").items():
        monkeypatch.setenv(name, value)
    return CliRunner()


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def _one_error_line(result: Result, exit_code: int) -> str:
    assert result.exit_code == exit_code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def _create(cli: CliRunner, *extra: str) -> Result:
    return cli.invoke(app, ["session", "create", "--image", "python:3.11", *extra])


def test_show_explains_a_pending_session(cli: CliRunner) -> None:
    session_id = _ok(_create(cli, "--name", "explained")).strip()

    page = _ok(cli.invoke(app, ["session", "show", session_id]))

    assert "explained" in page
    assert "PENDING" in page
    assert "why pending" in page
    assert "not looked at by the scheduler yet" in page
    assert "queue position" in page
    assert "kernels" in page
    assert "main" in page
    listing = _ok(cli.invoke(app, ["session", "ls", "--status", "PENDING"]))
    assert session_id in listing


def test_create_with_wait_times_out_with_exit_5_while_pending(cli: CliRunner) -> None:
    result = _create(cli, "--wait", "--timeout", "0.5")

    line = _one_error_line(result, 5)
    session_id = result.stdout.strip()
    assert f"session {session_id} is still PENDING" in line


def test_waiting_for_running_on_a_cancelled_session_fails(cli: CliRunner) -> None:
    session_id = _ok(_create(cli)).strip()
    assert "CANCELLED" in _ok(cli.invoke(app, ["session", "rm", session_id]))

    result = cli.invoke(app, ["session", "wait", session_id, "--timeout", "5"])

    assert "ended as CANCELLED before it ran" in _one_error_line(result, 1)


def test_logs_report_the_servers_refusal(cli: CliRunner) -> None:
    session_id = _ok(_create(cli)).strip()

    assert "not available" in _one_error_line(cli.invoke(app, ["session", "logs", session_id]), 1)


def test_a_session_id_that_is_no_uuid_is_not_found(cli: CliRunner) -> None:
    assert "not found" in _one_error_line(cli.invoke(app, ["session", "show", "nope"]), 3)


def test_agents_ls_lists_the_registry(cli: CliRunner) -> None:
    agents = json.loads(_ok(cli.invoke(app, ["agents", "ls", "--json"])))
    table = _ok(cli.invoke(app, ["agents", "ls"]))

    assert [agent["id"] for agent in agents] == ["a1", "a2"]
    assert "a1" in table
    assert "cpu=8" in table


def test_admin_commands_refuse_a_plain_user(
    cli: CliRunner, live_api: LiveApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOKOVAN_ACCESS_KEY", live_api.caller("alice").tenant.access_key)

    _one_error_line(cli.invoke(app, ["admin", "users", "ls"]), 4)
    _one_error_line(cli.invoke(app, ["agents", "ls"]), 4)


def test_admin_creates_a_user_with_a_keypair(cli: CliRunner, live_api: LiveApi) -> None:
    tenant = live_api.caller("admin").tenant
    created = _ok(
        cli.invoke(
            app,
            [
                "admin",
                "users",
                "create",
                "--email",
                "carol@example.com",
                "--username",
                "carol",
                "--domain",
                tenant.domain_name,
                "--group",
                "default",
                "--json",
            ],
        )
    )
    user = json.loads(created)
    keypair = json.loads(
        _ok(
            cli.invoke(
                app, ["admin", "keypairs", "create", "--user", "carol@example.com", "--json"]
            )
        )
    )

    assert (user["email"], user["role"]) == ("carol@example.com", "user")
    assert keypair["user_id"] == user["id"]
    assert keypair["secret_key"]
    users = json.loads(_ok(cli.invoke(app, ["admin", "users", "ls", "--json"])))
    assert "carol@example.com" in [row["email"] for row in users]
    owned = json.loads(
        _ok(cli.invoke(app, ["admin", "keypairs", "ls", "--user", user["id"], "--json"]))
    )
    assert [row["access_key"] for row in owned] == [keypair["access_key"]]
    assert "carol" in _ok(cli.invoke(app, ["admin", "users", "ls"]))


def test_admin_creates_policies_and_scaling_groups(cli: CliRunner) -> None:
    _ok(
        cli.invoke(
            app,
            [
                "admin",
                "policies",
                "create",
                "small",
                "--total",
                "cpu=4",
                "--total",
                "mem=16g",
                "--max-sessions",
                "2",
            ],
        )
    )
    _ok(cli.invoke(app, ["admin", "scaling-groups", "create", "gpu", "--scheduler", "drf"]))

    policies = json.loads(_ok(cli.invoke(app, ["admin", "policies", "ls", "--json"])))
    groups = json.loads(_ok(cli.invoke(app, ["admin", "scaling-groups", "ls", "--json"])))

    small = next(policy for policy in policies if policy["name"] == "small")
    assert small["total_resource_slots"] == {"cpu": "4", "mem": str(16 * 2**30)}
    assert small["max_concurrent_sessions"] == 2
    assert {"name": "gpu", "scheduler": "drf"}.items() <= next(
        group for group in groups if group["name"] == "gpu"
    ).items()
    assert "small" in _ok(cli.invoke(app, ["admin", "policies", "ls"]))
    again = cli.invoke(app, ["admin", "scaling-groups", "create", "gpu"])
    assert "gpu" in _one_error_line(again, 1)


def test_a_malformed_slot_limit_is_refused_before_any_request(cli: CliRunner) -> None:
    result = cli.invoke(app, ["admin", "policies", "create", "bad", "--total", "cpu"])

    assert "SLOT=AMOUNT" in _one_error_line(result, 1)


def test_the_credentials_file_of_sokovan_up_is_used(
    cli: CliRunner, live_api: LiveApi, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SOKOVAN_ACCESS_KEY")
    monkeypatch.delenv("SOKOVAN_SECRET_KEY")
    monkeypatch.delenv("SOKOVAN_API_URL")
    monkeypatch.setenv("SOKOVAN_DATA_DIR", str(tmp_path))
    assert "sokovan up" in _one_error_line(cli.invoke(app, ["session", "ls"]), 4)

    credentials = {
        "api_url": live_api.url,
        "user": "admin@sokovan.local",
        "access_key": live_api.caller("admin").tenant.access_key,
        "secret_key": SECRET,
    }
    (tmp_path / "credentials.json").write_text(json.dumps(credentials), encoding="utf-8")

    assert json.loads(_ok(cli.invoke(app, ["agents", "ls", "--json"])))
    unreachable = cli.invoke(app, ["agents", "ls", "--api-url", "http://127.0.0.1:1"])
    assert "cannot reach the manager" in _one_error_line(unreachable, 1)


def test_session_help_documents_exit_codes_and_an_example(cli: CliRunner) -> None:
    text = _ok(cli.invoke(app, ["session", "--help"]))

    assert "Exit codes: 0 ok, 1 error, 2" in text
    assert "5 wait timed out" in text
    assert "Example: sokovan session create" in text
