"""The API's errors and the handlers that turn every failure into one JSON shape.

Every error response is `{"error": {"code": "...", "message": "what to fix", "details": ...}}`.
`SokovanError`s answer with their `http_status`; their code is their `code` attribute when
they have one (scheduling rejections do) and otherwise their class name in kebab case
(`SessionSpecError` → "session-spec"). Request validation failures answer 422 (400 for a body
that is not JSON), listing each problem with its location.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, ClassVar, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from sokovan.common.errors import InvalidInputError, NotFoundError, SokovanError

log = logging.getLogger(__name__)
T = TypeVar("T")

AUTHENTICATE_HEADER = {"WWW-Authenticate": 'Bearer realm="sokovan"'}


class ApiError(SokovanError):
    """An error the API raises itself, with a stable code and optional structured details."""

    code: ClassVar[str] = "api-error"

    def __init__(self, message: str, details: object = None) -> None:
        super().__init__(message)
        self.details = details


class AuthenticationError(ApiError):
    code: ClassVar[str] = "unauthenticated"
    http_status: ClassVar[int] = 401


class PermissionDeniedError(ApiError):
    code: ClassVar[str] = "forbidden"
    http_status: ClassVar[int] = 403


class SessionNotFoundError(ApiError, NotFoundError):
    """No such session, or one the caller may not see (the two look the same on purpose)."""

    code: ClassVar[str] = "session-not-found"
    http_status: ClassVar[int] = 404


class NeverFitsError(ApiError, InvalidInputError):
    """The request exceeds every agent of the scaling group: it could wait forever."""

    code: ClassVar[str] = "never-fits"
    http_status: ClassVar[int] = 422


class ResourceLimitExceededError(ApiError, InvalidInputError):
    """The request alone exceeds an owner's total resource limit."""

    code: ClassVar[str] = "exceeds-resource-limit"
    http_status: ClassVar[int] = 422


class WaitTimeoutError(ApiError):
    code: ClassVar[str] = "wait-timeout"
    http_status: ClassVar[int] = 408


class KernelNotPlacedError(ApiError):
    code: ClassVar[str] = "kernel-not-placed"
    http_status: ClassVar[int] = 409


class PortUnavailableError(ApiError):
    """A feature whose backend is not plugged into this manager."""

    code: ClassVar[str] = "not-implemented"
    http_status: ClassVar[int] = 501


class BodyTooLargeError(ApiError):
    code: ClassVar[str] = "body-too-large"
    http_status: ClassVar[int] = 413


def found(value: T | None, what: str) -> T:
    """`value`, or `NotFoundError` naming `what` when it is None."""
    if value is None:
        raise NotFoundError(f"{what} does not exist")
    return value


def error_response(
    status: int,
    code: str,
    message: str,
    details: object = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def error_code(exc: SokovanError) -> str:
    code = getattr(exc, "code", None)
    if isinstance(code, str):
        return code
    name = type(exc).__name__.removesuffix("Error") or "error"
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


async def _sokovan_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SokovanError)
    status = exc.http_status
    if status >= 500:
        log.error("request failed: %s", exc, exc_info=exc)
    headers = AUTHENTICATE_HEADER if status == 401 else None
    details = getattr(exc, "details", None)
    return error_response(status, error_code(exc), str(exc), details, headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [_problem(error) for error in exc.errors()]
    if any(problem["type"] == "json_invalid" for problem in problems):
        return error_response(
            400, "malformed-json", "the request body is not valid JSON; fix its syntax", problems
        )
    summary = "; ".join(f"{p['location']}: {p['message']}" for p in problems[:5])
    return error_response(
        422, "invalid-request", f"invalid request: {summary}; fix these fields", problems
    )


def _problem(error: Mapping[str, Any]) -> dict[str, str]:
    """The JSON-safe part of a validation error: where, what kind, and the explanation."""
    location = ".".join(str(part) for part in error.get("loc", ()))
    return {"location": location, "type": str(error.get("type", "")), "message": error["msg"]}


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    phrase = _phrase(exc.status_code)
    code = phrase.lower().replace(" ", "-")
    message = exc.detail if isinstance(exc.detail, str) else phrase
    return error_response(exc.status_code, code, message, headers=exc.headers)


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    # A bug, not bad input: logged with its traceback; the caller learns nothing internal.
    log.error("unhandled error while serving a request", exc_info=exc)
    return error_response(
        500, "internal-error", "the server failed to handle the request; the failure is logged"
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SokovanError, _sokovan_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
