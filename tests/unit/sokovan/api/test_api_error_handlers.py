"""Every failure becomes {"error": {code, message, details}} with the right status."""

from __future__ import annotations

from typing import ClassVar

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from sokovan.api.errors import (
    AuthenticationError,
    NeverFitsError,
    error_code,
    found,
    install_error_handlers,
)
from sokovan.common.errors import (
    DatabaseError,
    NotFoundError,
    SokovanError,
    UnknownSlotTypeError,
)
from sokovan.scheduler.provisioner.errors import PendingSessionCountLimitExceeded
from sokovan.scheduling_controller import SessionSpecError


class TeapotError(SokovanError):
    http_status: ClassVar[int] = 418


class Body(BaseModel):
    count: int


def _app(raised: Exception) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/fail")
    async def fail() -> None:
        raise raised

    @app.post("/body")
    async def body(payload: Body) -> int:
        return payload.count

    return app


async def _call(app: FastAPI, method: str, path: str, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.request(method, path, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (SessionSpecError("fix the name"), 400, "session-spec"),
        (UnknownSlotTypeError("unknown slot"), 400, "unknown-slot-type"),
        (NotFoundError("gone"), 404, "not-found"),
        (PendingSessionCountLimitExceeded("too many"), 409, "pending-count-limit"),
        (NeverFitsError("too big", {"shortfall": {"cpu": "8"}}), 422, "never-fits"),
        (TeapotError("short and stout"), 418, "teapot"),
        (DatabaseError("database down"), 503, "database"),
    ],
)
async def test_sokovan_errors_answer_with_their_status_and_code(
    error: SokovanError, status: int, code: str
) -> None:
    response = await _call(_app(error), "GET", "/fail")

    assert response.status_code == status
    assert response.json() == {
        "error": {"code": code, "message": str(error), "details": getattr(error, "details", None)}
    }
    assert error_code(error) == code


async def test_authentication_errors_carry_a_challenge() -> None:
    response = await _call(_app(AuthenticationError("who are you?")), "GET", "/fail")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="sokovan"'


async def test_validation_errors_list_each_problem() -> None:
    response = await _call(_app(ValueError()), "POST", "/body", json={"count": "many"})

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid-request"
    assert error["details"] == [
        {
            "location": "body.count",
            "type": "int_parsing",
            "message": "Input should be a valid integer, unable to parse string as an integer",
        }
    ]
    assert error["message"].startswith("invalid request: body.count: Input should be")


async def test_malformed_json_is_400_and_unknown_routes_404() -> None:
    app = _app(ValueError())
    malformed = await _call(
        app, "POST", "/body", content=b"{", headers={"content-type": "application/json"}
    )
    missing = await _call(app, "GET", "/nowhere")

    assert (malformed.status_code, malformed.json()["error"]["code"]) == (400, "malformed-json")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not-found")


def test_found_passes_values_and_refuses_none() -> None:
    assert found(0, "zero") == 0
    with pytest.raises(NotFoundError, match="thing 'x' does not exist"):
        found(None, "thing 'x'")


async def test_unexpected_errors_answer_500_in_the_same_shape() -> None:
    transport = httpx.ASGITransport(app=_app(RuntimeError("bug")), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/fail")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal-error"
    assert "bug" not in response.text
