"""The manager API as the CLI sees it: where it is, who calls it, and what its errors mean.

The base URL comes from `--api-url`, then SOKOVAN_API_URL, then the credentials file written
by `sokovan up`, then the embedded default. The keypair comes from SOKOVAN_ACCESS_KEY and
SOKOVAN_SECRET_KEY (both or neither), then the credentials file. Every failure (an error
response, an unreachable manager, missing credentials) is one `ApiClientError` whose message
is the server's own and whose `exit_code` scripts can branch on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from sokovan.bootstrap import API_URL, read_credentials
from sokovan.cli.settings import describe_validation_error
from sokovan.common.errors import ConfigurationError, SokovanError
from sokovan.config import SokovanConfig

API_URL_ENV = "SOKOVAN_API_URL"
ACCESS_KEY_ENV = "SOKOVAN_ACCESS_KEY"
SECRET_KEY_ENV = "SOKOVAN_SECRET_KEY"
#: Seconds to open a connection; a manager that is up answers far sooner.
CONNECT_TIMEOUT = 5.0
#: Seconds for an ordinary request's answer.
READ_TIMEOUT = 30.0


class ExitCode(IntEnum):
    """What a command's exit status tells a script."""

    OK = 0  #: done
    ERROR = 1  #: anything else: the server refused or failed, the manager is unreachable
    USAGE = 2  #: invalid arguments, or input the server refused as invalid (400, 422)
    NOT_FOUND = 3  #: the session, user, … does not exist (404)
    AUTH = 4  #: missing, wrong or insufficient credentials (401, 403)
    TIMEOUT = 5  #: a wait ended before the session got there


EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 error, 2 invalid usage or input, 3 not found, "
    "4 authentication or permission denied, 5 wait timed out."
)

_EXIT_BY_STATUS: Mapping[int, ExitCode] = {
    400: ExitCode.USAGE,
    401: ExitCode.AUTH,
    403: ExitCode.AUTH,
    404: ExitCode.NOT_FOUND,
    408: ExitCode.TIMEOUT,
    422: ExitCode.USAGE,
}


class ApiClientError(SokovanError):
    """A call that did not succeed; `exit_code` is what the command exits with."""

    def __init__(
        self,
        message: str,
        exit_code: ExitCode = ExitCode.ERROR,
        *,
        status: int | None = None,
        code: str | None = None,
        details: object = None,
    ) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.status = status
        self.code = code
        self.details = details


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """Where the manager is and the keypair to call it with."""

    api_url: str
    access_key: str
    secret_key: str = field(repr=False)


def resolve_settings(
    api_url: str | None = None, environ: Mapping[str, str] | None = None
) -> ClientSettings:
    """The effective settings (see the module docstring for the order).

    Raises `ApiClientError` (exit code AUTH) when no keypair is configured anywhere and
    `ConfigurationError` for an unreadable credentials file or invalid SOKOVAN_* settings.
    """
    env = os.environ if environ is None else environ
    url = api_url or env.get(API_URL_ENV) or None
    access_key, secret_key = env.get(ACCESS_KEY_ENV), env.get(SECRET_KEY_ENV)
    if bool(access_key) != bool(secret_key):
        raise ApiClientError(
            f"set both {ACCESS_KEY_ENV} and {SECRET_KEY_ENV}, or neither to use the "
            "credentials file",
            ExitCode.AUTH,
        )
    if access_key and secret_key and url:
        return ClientSettings(url, access_key, secret_key)
    path = _credentials_file()
    stored = read_credentials(path)
    if access_key and secret_key:
        return ClientSettings(stored.api_url if stored else API_URL, access_key, secret_key)
    if stored is None:
        raise ApiClientError(
            f"no credentials: {path} does not exist; run `sokovan up` or set "
            f"{ACCESS_KEY_ENV} and {SECRET_KEY_ENV}",
            ExitCode.AUTH,
        )
    return ClientSettings(url or stored.api_url, stored.access_key, stored.secret_key)


def _credentials_file() -> Path:
    try:
        return SokovanConfig().resolved_credentials_file()
    except ValidationError as exc:
        raise ConfigurationError(describe_validation_error(exc)) from None


class ApiClient:
    """Synchronous JSON calls to the manager; use as a context manager.

    Every method returns the decoded JSON body of a 2xx answer and raises `ApiClientError`
    otherwise. `transport` replaces the network (tests).
    """

    def __init__(
        self,
        settings: ClientSettings,
        *,
        read_timeout: float = READ_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._url = settings.api_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self._url,
            headers={"Authorization": f"Bearer {settings.access_key}:{settings.secret_key}"},
            timeout=httpx.Timeout(read_timeout, connect=CONNECT_TIMEOUT),
            transport=transport,
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def get(
        self, path: str, params: Mapping[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any:
        return self._request("GET", path, params=params, timeout=timeout)

    def post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        return self._request("POST", path, json=body)

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = httpx.Timeout(timeout, connect=CONNECT_TIMEOUT)
        try:
            response = self._http.request(method, path, params=params, json=json, **extra)
        except httpx.TimeoutException:
            raise ApiClientError(f"the manager at {self._url} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise ApiClientError(
                f"cannot reach the manager at {self._url} ({exc}); is it running? "
                f"Check --api-url or {API_URL_ENV}"
            ) from None
        if response.is_success:
            return _json_of(response)
        raise error_of(response)


def _json_of(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise ApiClientError(
            f"the manager answered {response.status_code} with a body that is not JSON"
        ) from None


def error_of(response: httpx.Response) -> ApiClientError:
    """The error an unsuccessful answer stands for, with the server's message when it sent one."""
    status = response.status_code
    exit_code = _EXIT_BY_STATUS.get(status, ExitCode.ERROR)
    try:
        info = response.json()["error"]
        message, code = str(info["message"]), str(info["code"])
        details = info.get("details")
    except (ValueError, KeyError, TypeError):
        return ApiClientError(
            f"the manager answered {status} {response.reason_phrase}", exit_code, status=status
        )
    return ApiClientError(message, exit_code, status=status, code=code, details=details)
