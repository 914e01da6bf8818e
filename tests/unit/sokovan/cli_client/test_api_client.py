"""The API client without a server: settings lookup and how answers become exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from sokovan.cli.admin_cmd import slot_map
from sokovan.cli.client import (
    ApiClient,
    ApiClientError,
    ClientSettings,
    ExitCode,
    resolve_settings,
)
from sokovan.cli.remote import display
from sokovan.common.errors import InvalidInputError

SETTINGS = ClientSettings("http://manager:8090/", "AK", "SK")


def _client(status: int, body: Any, seen: list[httpx.Request] | None = None) -> ApiClient:
    def answer(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        if isinstance(body, bytes):
            return httpx.Response(status, content=body)
        return httpx.Response(status, json=body)

    return ApiClient(SETTINGS, transport=httpx.MockTransport(answer))


def _error(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def test_requests_carry_the_bearer_keypair_and_return_the_json_body() -> None:
    seen: list[httpx.Request] = []
    with _client(200, {"items": []}, seen) as client:
        assert client.get("/v1/sessions", {"limit": 5}) == {"items": []}

    assert seen[0].headers["Authorization"] == "Bearer AK:SK"
    assert str(seen[0].url) == "http://manager:8090/v1/sessions?limit=5"


@pytest.mark.parametrize(
    ("status", "exit_code"),
    [
        (400, ExitCode.USAGE),
        (401, ExitCode.AUTH),
        (403, ExitCode.AUTH),
        (404, ExitCode.NOT_FOUND),
        (408, ExitCode.TIMEOUT),
        (409, ExitCode.ERROR),
        (422, ExitCode.USAGE),
        (500, ExitCode.ERROR),
        (501, ExitCode.ERROR),
    ],
)
def test_error_answers_map_to_exit_codes_with_the_servers_message(
    status: int, exit_code: ExitCode
) -> None:
    with (
        _client(status, _error("some-code", "what to fix", {"status": "PENDING"})) as client,
        pytest.raises(ApiClientError) as raised,
    ):
        client.get("/v1/anything")

    error = raised.value
    assert (str(error), error.exit_code, error.status) == ("what to fix", exit_code, status)
    assert (error.code, error.details) == ("some-code", {"status": "PENDING"})


def test_an_error_without_the_error_shape_names_the_status() -> None:
    with (
        _client(502, b"<html>bad gateway</html>") as client,
        pytest.raises(ApiClientError) as raised,
    ):
        client.post("/v1/sessions", {})

    assert str(raised.value) == "the manager answered 502 Bad Gateway"
    assert raised.value.exit_code is ExitCode.ERROR


def test_an_unreachable_manager_is_one_error_naming_the_url() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = ApiClient(SETTINGS, transport=httpx.MockTransport(refuse))
    with client, pytest.raises(ApiClientError, match="cannot reach the manager at http://manager"):
        client.get("/v1/sessions")


def _write_credentials(path: Path, api_url: str = "http://from-file:1") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"api_url": api_url, "access_key": "FILE-AK", "secret_key": "FILE-SK"}),
        encoding="utf-8",
    )


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOKOVAN_DATA_DIR", str(tmp_path))
    return tmp_path


def test_settings_come_from_the_credentials_file_by_default(data_dir: Path) -> None:
    _write_credentials(data_dir / "credentials.json")

    assert resolve_settings(environ={}) == ClientSettings(
        "http://from-file:1", "FILE-AK", "FILE-SK"
    )


def test_flag_and_environment_take_precedence_over_the_file(data_dir: Path) -> None:
    _write_credentials(data_dir / "credentials.json")
    env = {"SOKOVAN_API_URL": "http://env:2", "SOKOVAN_ACCESS_KEY": "E", "SOKOVAN_SECRET_KEY": "S"}

    assert resolve_settings("http://flag:3", env) == ClientSettings("http://flag:3", "E", "S")
    assert resolve_settings(None, env) == ClientSettings("http://env:2", "E", "S")
    keys_only = {"SOKOVAN_ACCESS_KEY": "E", "SOKOVAN_SECRET_KEY": "S"}
    assert resolve_settings(None, keys_only).api_url == "http://from-file:1"


def test_environment_keys_work_without_any_file(data_dir: Path) -> None:
    env = {"SOKOVAN_API_URL": "http://env:2", "SOKOVAN_ACCESS_KEY": "E", "SOKOVAN_SECRET_KEY": "S"}

    assert resolve_settings(None, env).access_key == "E"


def test_missing_or_half_credentials_are_auth_errors(data_dir: Path) -> None:
    with pytest.raises(ApiClientError, match="run `sokovan up`") as missing:
        resolve_settings(environ={})
    with pytest.raises(ApiClientError, match="set both") as half:
        resolve_settings(environ={"SOKOVAN_ACCESS_KEY": "E"})

    assert missing.value.exit_code is ExitCode.AUTH
    assert half.value.exit_code is ExitCode.AUTH


def test_slot_limits_parse_as_slot_amount_pairs() -> None:
    assert slot_map(["cpu=4", " mem = 16g "]) == {"cpu": "4", "mem": "16g"}
    with pytest.raises(InvalidInputError, match="SLOT=AMOUNT"):
        slot_map(["cpu"])


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "-"),
        (True, "yes"),
        ({"cpu": "1", "mem": "512"}, "cpu=1 mem=512"),
        ({}, "-"),
        (["a1", "a2"], "a1, a2"),
        (3, "3"),
    ],
)
def test_table_cells_read_naturally(value: object, shown: str) -> None:
    assert display(value) == shown
