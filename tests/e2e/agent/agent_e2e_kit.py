"""A recording manager gateway, served for real, and helpers to wait on what it received."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, HTTPException, Request

from sokovan.agent.daemon import AgentDaemon
from sokovan.agent.protocol import (
    AGENT_TOKEN_HEADER,
    AgentHeartbeatMessage,
    KernelEvent,
    KernelEventBatch,
    KernelEventKind,
    RpcMethod,
)

TOKEN = "e2e-token"


async def wait_until(condition: Callable[[], object], what: str, within: float = 10.0) -> None:
    """Poll `condition` until it is truthy; fail the test after `within` seconds."""
    try:
        async with asyncio.timeout(within):
            # Polling on purpose: the conditions are about processes and files, not events.
            while not condition():  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"timed out after {within}s waiting for {what}") from None


class RecordingGateway:
    """The manager's agent gateway, reduced to recording what agents send."""

    def __init__(self) -> None:
        #: Set once served.
        self.url = ""
        self.heartbeats: list[AgentHeartbeatMessage] = []
        self.events: list[KernelEvent] = []
        self.app = FastAPI()
        self.app.add_api_route(
            "/v1/agent-gateway/heartbeat", self._heartbeat, methods=["POST"], status_code=204
        )
        self.app.add_api_route(
            "/v1/agent-gateway/events", self._events, methods=["POST"], status_code=204
        )

    async def _heartbeat(self, message: AgentHeartbeatMessage, request: Request) -> None:
        _check_token(request)
        self.heartbeats.append(message)

    async def _events(self, batch: KernelEventBatch, request: Request) -> None:
        _check_token(request)
        self.events.extend(batch.events)

    def find(self, kind: KernelEventKind, kernel_id: str | None = None) -> KernelEvent | None:
        return next(
            (
                event
                for event in self.events
                if event.kind is kind and (kernel_id is None or event.kernel_id == kernel_id)
            ),
            None,
        )

    async def wait_for(self, kind: KernelEventKind, kernel_id: str | None = None) -> KernelEvent:
        await wait_until(lambda: self.find(kind, kernel_id), f"{kind} of {kernel_id}")
        event = self.find(kind, kernel_id)
        assert event is not None
        return event

    def kinds(self, kernel_id: str) -> list[KernelEventKind]:
        return [event.kind for event in self.events if event.kernel_id == kernel_id]


def _check_token(request: Request) -> None:
    if request.headers.get(AGENT_TOKEN_HEADER) != TOKEN:
        raise HTTPException(status_code=401)


def build_probe_wheel(directory: Path, value: str) -> Path:
    """A minimal pure-Python wheel of module `sokovan_e2e_probe` (VALUE = `value`).

    Installing a local wheel needs no network and no build backend.
    """
    files = {
        "sokovan_e2e_probe.py": f"VALUE = {value!r}\n",
        "sokovan_e2e_probe-1.0.dist-info/METADATA": (
            "Metadata-Version: 2.1\nName: sokovan-e2e-probe\nVersion: 1.0\n"
        ),
        "sokovan_e2e_probe-1.0.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: sokovan-tests\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ),
    }
    record_lines = [
        f"{name},{_record_hash(text)},{len(text.encode())}" for name, text in files.items()
    ]
    record_lines.append("sokovan_e2e_probe-1.0.dist-info/RECORD,,")
    files["sokovan_e2e_probe-1.0.dist-info/RECORD"] = "\n".join(record_lines) + "\n"
    wheel = directory / "sokovan_e2e_probe-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel


def _record_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def rpc(daemon: AgentDaemon, method: RpcMethod, body: dict[str, Any] | None = None) -> Any:
    """Call the agent as the manager would; returns the decoded JSON answer."""
    return await rpc_at(daemon.addr, method, body)


async def rpc_at(addr: str, method: RpcMethod, body: dict[str, Any] | None = None) -> Any:
    async with httpx.AsyncClient(
        base_url=addr, headers={AGENT_TOKEN_HEADER: TOKEN}, timeout=10
    ) as client:
        if method is RpcMethod.INFO:
            response = await client.get(f"/rpc/{method}")
        else:
            response = await client.post(f"/rpc/{method}", json=body)
    response.raise_for_status()
    return response.json()
