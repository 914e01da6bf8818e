"""Typed RPC clients for agents, over one pooled HTTP client.

`AgentClientPool` is the `AgentClientProvider` of agent_rpc.py: `acquire(agent_id)` looks up
the agent's current RPC address (an agent that restarted on another port is found at the new
one) and yields an `AgentClient` with one method per RPC of `sokovan.agent.protocol`. Calls
to one agent are bounded, so a burst of work never opens hundreds of requests against a
single node. Every failure of a call (the agent unreachable, a timeout, a non-2xx answer, a
body that does not parse) raises `AgentRpcError`, an `AgentError` that names the agent, the
method and what went wrong.

Concurrent `create_kernels` calls to one agent travel together: while one is on its way, the
ones that arrive queue up and leave as a single `create_kernels_batch` call, each caller still
getting its own answer or error. Starting hundreds of sessions thus costs a few requests per
agent, not one each."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from types import TracebackType
from typing import Self, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from sokovan.agent.protocol import (
    AGENT_TOKEN_HEADER,
    CREATE_KERNELS_BATCH_LIMIT,
    RPC_PREFIX,
    AgentInfoResponse,
    AssignPortResponse,
    CheckAndPullRequest,
    CheckAndPullResponse,
    CheckRunningRequest,
    CheckRunningResponse,
    CreateKernelsBatchRequest,
    CreateKernelsBatchResponse,
    CreateKernelsRequest,
    CreateKernelsResponse,
    CreateLocalNetworkRequest,
    CreateLocalNetworkResponse,
    DestroyKernelRequest,
    DestroyKernelResponse,
    ImageSpec,
    KernelLogsRequest,
    KernelLogsResponse,
    RpcMethod,
)
from sokovan.clients.agent_rpc import AgentAddressResolver, AgentRpcError
from sokovan.common.ids import AgentId, KernelId
from sokovan.infra.batching import GroupCommit, Pending

ResponseT = TypeVar("ResponseT", bound=BaseModel)

#: How much of an error body an AgentRpcError quotes.
_DETAIL_CHARS = 500
#: The pseudo-method named when the agent's address cannot be found.
RESOLVE_METHOD = "resolve-address"
#: Most agent ids resolved by one address query.
ADDRESS_BATCH = 1024


@dataclass(frozen=True, slots=True)
class AgentRpcTimeouts:
    """Seconds each RPC may take from start to answer; `connect` bounds opening a connection.

    Field names equal the `RpcMethod` values. Raises ValueError for a value that is not positive.
    """

    connect: float = 3.0
    check_and_pull: float = 30.0
    create_kernels: float = 60.0
    destroy_kernel: float = 30.0
    check_running: float = 5.0
    create_local_network: float = 10.0
    assign_port: float = 5.0
    kernel_logs: float = 10.0
    info: float = 5.0

    def __post_init__(self) -> None:
        for field in fields(self):
            if getattr(self, field.name) <= 0:
                raise ValueError(f"agent RPC timeout {field.name} must be positive")

    def seconds(self, method: RpcMethod) -> float:
        # A batch of creations starts them all at once, as a single call would its kernels.
        if method is RpcMethod.CREATE_KERNELS_BATCH:
            method = RpcMethod.CREATE_KERNELS
        total: float = getattr(self, method.value)
        return total


Creation = Pending[CreateKernelsRequest, CreateKernelsResponse]


class AgentClient:
    """The RPCs of one agent at one address; connections belong to the pool."""

    def __init__(
        self,
        agent_id: AgentId,
        addr: str,
        http: httpx.AsyncClient,
        token: str,
        timeouts: AgentRpcTimeouts,
        limiter: asyncio.Semaphore,
    ) -> None:
        self._agent_id = agent_id
        self._addr = addr
        self._http = http
        self._token = token
        self._timeouts = timeouts
        self._limiter = limiter
        self._creations: GroupCommit[CreateKernelsRequest, CreateKernelsResponse] = GroupCommit(
            self._create_batch, max_batch=CREATE_KERNELS_BATCH_LIMIT, name="create-kernels"
        )

    @property
    def agent_id(self) -> AgentId:
        return self._agent_id

    @property
    def addr(self) -> str:
        return self._addr

    async def check_and_pull(self, images: Sequence[ImageSpec]) -> CheckAndPullResponse:
        request = CheckAndPullRequest(images=list(images))
        return await self._call(RpcMethod.CHECK_AND_PULL, request, CheckAndPullResponse)

    async def create_kernels(self, request: CreateKernelsRequest) -> CreateKernelsResponse:
        return await self._creations.submit(request)

    async def destroy_kernel(self, request: DestroyKernelRequest) -> DestroyKernelResponse:
        return await self._call(RpcMethod.DESTROY_KERNEL, request, DestroyKernelResponse)

    async def check_running(self, kernel_id: KernelId) -> bool | None:
        """True: running; False: known to be gone; None: the agent cannot tell."""
        request = CheckRunningRequest(kernel_id=str(kernel_id))
        answer = await self._call(RpcMethod.CHECK_RUNNING, request, CheckRunningResponse)
        return answer.running

    async def create_local_network(self, name: str) -> CreateLocalNetworkResponse:
        request = CreateLocalNetworkRequest(name=name)
        return await self._call(RpcMethod.CREATE_LOCAL_NETWORK, request, CreateLocalNetworkResponse)

    async def assign_port(self) -> int:
        answer = await self._call(RpcMethod.ASSIGN_PORT, None, AssignPortResponse)
        return answer.port

    async def kernel_logs(
        self, kernel_id: KernelId, max_bytes: int | None = None
    ) -> KernelLogsResponse:
        request = KernelLogsRequest(kernel_id=str(kernel_id), max_bytes=max_bytes)
        return await self._call(RpcMethod.KERNEL_LOGS, request, KernelLogsResponse)

    async def info(self) -> AgentInfoResponse:
        return await self._call(RpcMethod.INFO, None, AgentInfoResponse)

    async def _create_batch(self, batch: Sequence[Creation]) -> None:
        """Send the waiting creations: alone as create_kernels, together as one batch."""
        if len(batch) == 1:
            await self._create_one(batch[0])
            return
        request = CreateKernelsBatchRequest(requests=[creation.item for creation in batch])
        try:
            answer = await self._call(
                RpcMethod.CREATE_KERNELS_BATCH, request, CreateKernelsBatchResponse
            )
        except AgentRpcError as exc:
            if exc.unreachable:
                for creation in batch:
                    creation.fail(exc)
                return
            # Refused as a whole (an agent without the batch call, one request it refuses):
            # one call each, so only the request at fault fails. Creation is idempotent, so
            # nothing the batch did happens twice.
            await asyncio.gather(*(self._create_one(creation) for creation in batch))
            return
        if len(answer.results) != len(batch):
            problem = f"malformed response: {len(answer.results)} results for {len(batch)}"
            for creation in batch:
                creation.fail(self._error(RpcMethod.CREATE_KERNELS_BATCH, problem))
            return
        for creation, result in zip(batch, answer.results, strict=True):
            creation.succeed(result)

    async def _create_one(self, creation: Creation) -> None:
        try:
            method = RpcMethod.CREATE_KERNELS
            answer = await self._call(method, creation.item, CreateKernelsResponse)
        except AgentRpcError as exc:
            creation.fail(exc)
        else:
            creation.succeed(answer)

    async def _call(
        self, method: RpcMethod, body: BaseModel | None, response_type: type[ResponseT]
    ) -> ResponseT:
        total = self._timeouts.seconds(method)
        try:
            # asyncio.timeout bounds the whole call; httpx's own limits apply per read/write.
            async with self._limiter, asyncio.timeout(total):
                response = await self._send(method, body, total)
        except (TimeoutError, httpx.TimeoutException):
            raise self._error(method, f"no answer within {total:g} s", unreachable=True) from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            problem = f"cannot reach {self._addr}: {str(exc) or type(exc).__name__}"
            raise self._error(method, problem, unreachable=True) from exc
        if not response.is_success:
            problem = f"HTTP {response.status_code}: {_error_detail(response)}"
            raise self._error(method, problem, status_code=response.status_code)
        try:
            return response_type.model_validate_json(response.content)
        except ValidationError as exc:
            problem = f"malformed response: {_first_error(exc)}"
            raise self._error(method, problem, status_code=response.status_code) from None

    async def _send(
        self, method: RpcMethod, body: BaseModel | None, total: float
    ) -> httpx.Response:
        url = f"{self._addr.rstrip('/')}{RPC_PREFIX}/{method.value}"
        timeout = httpx.Timeout(total, connect=min(self._timeouts.connect, total))
        headers = {AGENT_TOKEN_HEADER: self._token}
        if method is RpcMethod.INFO:
            return await self._http.get(url, headers=headers, timeout=timeout)
        if body is not None:
            headers["content-type"] = "application/json"
        content = body.model_dump_json() if body is not None else None
        return await self._http.post(url, content=content, headers=headers, timeout=timeout)

    def _error(
        self,
        method: RpcMethod,
        problem: str,
        *,
        status_code: int | None = None,
        unreachable: bool = False,
    ) -> AgentRpcError:
        return AgentRpcError(
            self._agent_id,
            method.value,
            problem,
            status_code=status_code,
            unreachable=unreachable,
        )


class AgentClientPool:
    """Agent clients sharing one connection pool; close it with `aclose()` or `async with`.

    `token` is the shared agent token sent with every call; `transport` replaces the network
    (an `httpx.MockTransport` or `httpx.ASGITransport` in tests). At most `max_calls_per_agent`
    calls to one agent are in flight at a time; the others wait their turn.
    """

    def __init__(
        self,
        token: str,
        timeouts: AgentRpcTimeouts | None = None,
        *,
        resolver: AgentAddressResolver,
        transport: httpx.AsyncBaseTransport | None = None,
        max_calls_per_agent: int = 16,
        max_connections: int = 256,
    ) -> None:
        if max_calls_per_agent < 1 or max_connections < 1:
            raise ValueError("max_calls_per_agent and max_connections must be at least 1")
        self._token = token
        self._timeouts = timeouts or AgentRpcTimeouts()
        self._resolver = resolver
        self._max_calls_per_agent = max_calls_per_agent
        self._limiters: dict[AgentId, asyncio.Semaphore] = {}
        # One client per agent (a new one when the agent moves), so its creations batch.
        self._clients: dict[AgentId, AgentClient] = {}
        # Addresses are read afresh for every call, but concurrent calls share the read: a
        # step that starts hundreds of sessions costs one query, not one per call.
        self._addresses: GroupCommit[AgentId, str | None] = GroupCommit(
            self._resolve, max_batch=ADDRESS_BATCH, name="agent-address-lookup"
        )
        self._http = httpx.AsyncClient(
            transport=transport,
            limits=httpx.Limits(max_connections=max_connections),
            follow_redirects=False,
        )

    @asynccontextmanager
    async def acquire(self, agent_id: AgentId) -> AsyncIterator[AgentClient]:
        """The client of `agent_id` at its current address.

        Raises AgentRpcError (unreachable) when the agent is not registered.
        """
        addr = await self._addresses.submit(agent_id)
        if not addr:
            raise AgentRpcError(
                agent_id, RESOLVE_METHOD, "the agent is not registered", unreachable=True
            )
        limiter = self._limiters.get(agent_id)
        if limiter is None:
            limiter = self._limiters[agent_id] = asyncio.Semaphore(self._max_calls_per_agent)
        client = self._clients.get(agent_id)
        if client is None or client.addr != addr:
            client = AgentClient(agent_id, addr, self._http, self._token, self._timeouts, limiter)
            self._clients[agent_id] = client
        yield client

    async def _resolve(self, batch: Sequence[Pending[AgentId, str | None]]) -> None:
        found = await self._resolver.get_agent_addresses({pending.item for pending in batch})
        for pending in batch:
            pending.succeed(found.get(pending.item))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


def _error_detail(response: httpx.Response) -> str:
    """What an error answer says: `error: detail` of an RpcErrorBody, else the body itself."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:_DETAIL_CHARS] or "(empty body)"
    if isinstance(body, dict) and "detail" in body:
        detail = body["detail"]
        text = detail if isinstance(detail, str) else json.dumps(detail)
        error = body.get("error")
        return (f"{error}: {text}" if error else text)[:_DETAIL_CHARS]
    return json.dumps(body)[:_DETAIL_CHARS]


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    location = ".".join(str(part) for part in error["loc"]) or "(body)"
    return f"{location}: {error['msg']}"
