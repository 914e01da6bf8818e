"""Reporting to the manager: event batches with retry and a bounded buffer, heartbeats that
survive a manager that is down. The manager is an httpx.MockTransport recording requests."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from agent_testkit import TOKEN, wait_until

from sokovan.agent.gateway import GatewayError, ManagerGateway
from sokovan.agent.heartbeat import HeartbeatLoop
from sokovan.agent.protocol import (
    AGENT_TOKEN_HEADER,
    AgentHeartbeatMessage,
    KernelEvent,
    KernelEventKind,
)
from sokovan.agent.sender import EventSender


class FakeManager:
    """Answers 503 while `down`, else 204; records what it accepted."""

    def __init__(self) -> None:
        self.down = False
        #: Kernel ids whose events the manager refuses as invalid (400).
        self.invalid: set[str] = set()
        self.attempts = 0
        self.batches: list[list[str]] = []
        self.heartbeats: list[dict[str, object]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        assert request.headers[AGENT_TOKEN_HEADER] == TOKEN
        if self.down:
            return httpx.Response(503, text="starting up")
        body = json.loads(request.content)
        if request.url.path == "/v1/agent-gateway/events":
            if any(event["kernel_id"] in self.invalid for event in body["events"]):
                return httpx.Response(400, json={"detail": "malformed kernel id"})
            self.batches.append([event["kernel_id"] for event in body["events"]])
        else:
            assert request.url.path == "/v1/agent-gateway/heartbeat"
            self.heartbeats.append(body)
        return httpx.Response(204)

    def gateway(self) -> ManagerGateway:
        return ManagerGateway("http://manager/", TOKEN, transport=httpx.MockTransport(self.handle))

    def delivered(self) -> list[str]:
        return [kernel_id for batch in self.batches for kernel_id in batch]


def _event(kernel_id: str) -> KernelEvent:
    return KernelEvent(
        kind=KernelEventKind.KERNEL_STARTED,
        agent_id="a1",
        instance_id="i1",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        kernel_id=kernel_id,
    )


def _heartbeat() -> AgentHeartbeatMessage:
    return AgentHeartbeatMessage(
        agent_id="a1",
        instance_id="i1",
        scaling_group="default",
        architecture="x86_64",
        available_slots={"cpu": "1"},
        addr="http://127.0.0.1:6001",
    )


async def test_events_are_delivered_in_order_in_batches() -> None:
    manager = FakeManager()
    sender = EventSender(manager.gateway(), buffer_size=100, max_retry_delay=1)
    sender.start()

    for index in range(5):
        sender.emit(_event(f"k{index}"))
    await wait_until(lambda: len(manager.delivered()) == 5, "all events delivered")

    assert manager.delivered() == [f"k{index}" for index in range(5)]
    assert sender.buffered == 0
    await sender.stop(flush_timeout=1)


async def test_events_wait_while_the_manager_is_down_and_follow_when_it_is_back() -> None:
    manager = FakeManager()
    manager.down = True
    sender = EventSender(manager.gateway(), buffer_size=100, max_retry_delay=0.05)
    sender.start()
    sender.emit(_event("k1"))
    await wait_until(lambda: manager.attempts >= 3, "a few retries")
    assert manager.delivered() == []
    assert sender.buffered == 1

    manager.down = False
    sender.emit(_event("k2"))
    await wait_until(lambda: sender.buffered == 0, "the buffer to drain")

    assert manager.delivered() == ["k1", "k2"]
    await sender.stop(flush_timeout=1)


async def test_a_batch_the_manager_rejects_is_dropped_and_does_not_block_the_next() -> None:
    manager = FakeManager()
    manager.invalid = {"bad"}
    sender = EventSender(manager.gateway(), buffer_size=100, max_retry_delay=1)
    sender.emit(_event("bad"))
    sender.start()
    await wait_until(lambda: sender.rejected == 1, "the rejection")

    sender.emit(_event("good"))
    await wait_until(lambda: manager.delivered() == ["good"], "the next event delivered")

    assert sender.buffered == 0
    await sender.stop(flush_timeout=1)


async def test_a_full_buffer_drops_the_oldest_events_and_counts_them() -> None:
    manager = FakeManager()
    sender = EventSender(manager.gateway(), buffer_size=3, max_retry_delay=1)
    for index in range(5):  # not started: everything stays buffered
        sender.emit(_event(f"k{index}"))

    assert sender.dropped == 2
    assert sender.buffered == 3
    await sender.stop(flush_timeout=1)  # the last flush delivers what is left
    assert manager.delivered() == ["k2", "k3", "k4"]


async def test_stopping_gives_up_on_a_manager_that_is_down() -> None:
    manager = FakeManager()
    manager.down = True
    sender = EventSender(manager.gateway(), buffer_size=10, max_retry_delay=1)
    sender.emit(_event("k1"))

    await sender.stop(flush_timeout=0.2)

    assert sender.buffered == 1
    assert manager.delivered() == []


async def test_heartbeats_go_out_at_once_and_keep_going_through_failures() -> None:
    manager = FakeManager()
    manager.down = True
    loop = HeartbeatLoop(manager.gateway(), _heartbeat, interval=0.01)
    loop.start()
    await wait_until(lambda: loop.failures >= 2, "failed heartbeats")

    manager.down = False
    await wait_until(lambda: manager.heartbeats, "a delivered heartbeat")
    await loop.stop()

    assert manager.heartbeats[0]["agent_id"] == "a1"
    assert loop.failures == 0


async def test_an_unreachable_manager_is_a_retryable_gateway_error() -> None:
    gateway = ManagerGateway("http://127.0.0.1:1", TOKEN, timeout=2)
    try:
        with pytest.raises(GatewayError, match="manager unreachable") as caught:
            await gateway.send_heartbeat(_heartbeat())
    finally:
        await gateway.aclose()
    assert caught.value.retryable
