"""The wire contract between the manager and agents (both directions), as pydantic models.

Manager → agent RPC: `POST {agent_addr}/rpc/<method>` with a JSON body, authenticated by the
shared agent token in the `X-Sokovan-Agent-Token` header. Agent → manager: heartbeats and
kernel events to `POST {manager_url}/v1/agent-gateway/<kind>` with the same header.
Both sides import these models, so a field renamed here is renamed everywhere.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

AGENT_TOKEN_HEADER = "X-Sokovan-Agent-Token"
RPC_PREFIX = "/rpc"
GATEWAY_PREFIX = "/v1/agent-gateway"


class RpcMethod(StrEnum):
    """The `<method>` of `POST {agent_addr}/rpc/<method>` (INFO is `GET`)."""

    CHECK_AND_PULL = "check_and_pull"  #: CheckAndPullRequest → CheckAndPullResponse
    CREATE_KERNELS = "create_kernels"  #: CreateKernelsRequest → CreateKernelsResponse
    #: CreateKernelsBatchRequest → CreateKernelsBatchResponse
    CREATE_KERNELS_BATCH = "create_kernels_batch"
    DESTROY_KERNEL = "destroy_kernel"  #: DestroyKernelRequest → DestroyKernelResponse
    CHECK_RUNNING = "check_running"  #: CheckRunningRequest → CheckRunningResponse
    #: CreateLocalNetworkRequest → CreateLocalNetworkResponse
    CREATE_LOCAL_NETWORK = "create_local_network"
    ASSIGN_PORT = "assign_port"  #: no body → AssignPortResponse
    KERNEL_LOGS = "kernel_logs"  #: KernelLogsRequest → KernelLogsResponse
    INFO = "info"  #: GET, no body → AgentInfoResponse


class GatewayKind(StrEnum):
    """The `<kind>` of `POST {manager_url}/v1/agent-gateway/<kind>`."""

    HEARTBEAT = "heartbeat"  #: body: AgentHeartbeatMessage
    EVENTS = "events"  #: body: KernelEventBatch


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RpcErrorBody(_Model):
    """The JSON body of an agent RPC answered with 401 or 5xx (422 keeps FastAPI's shape)."""

    error: str
    detail: str


# --- images --------------------------------------------------------------------------------


class ImageSpec(_Model):
    """An image as the process runtime understands it (the `images.environment` column)."""

    name: str = Field(min_length=1, max_length=256)
    architecture: str = Field(min_length=1, max_length=32)
    #: {"command": [...], "workdir": "...", "requirements": [...], "env": {...}}
    environment: dict[str, Any] = Field(default_factory=dict)


class ImagePullStatus(StrEnum):
    READY = "ready"  #: present on the agent; nothing to do
    PULLING = "pulling"  #: being prepared; an event reports the outcome
    FAILED = "failed"  #: cannot be prepared; `detail` says why


class CheckAndPullRequest(_Model):
    images: list[ImageSpec] = Field(max_length=256)


class ImagePullResult(_Model):
    name: str
    architecture: str
    status: ImagePullStatus
    detail: str | None = None


class CheckAndPullResponse(_Model):
    results: list[ImagePullResult]


# --- kernels -------------------------------------------------------------------------------


class KernelCreationConfig(_Model):
    kernel_id: str
    image: ImageSpec
    cluster_role: str
    cluster_idx: int = Field(ge=0)
    cluster_hostname: str
    #: Canonical slot amounts as strings ({"cpu": "1", "mem": "1073741824"}).
    resource_slots: dict[str, str]
    environ: dict[str, str] = Field(default_factory=dict)
    #: The command to run; None runs the image's default command.
    command: list[str] | None = None
    idle_timeout: float | None = Field(default=None, gt=0)
    preopen_ports: list[int] = Field(default_factory=list)


class ClusterInfo(_Model):
    mode: str
    size: int = Field(ge=1)
    network_name: str | None = None
    #: Hostname → address for every kernel of the session.
    hosts: dict[str, str] = Field(default_factory=dict)
    ssh_private_key: str | None = None
    ssh_public_key: str | None = None


class CreateKernelsRequest(_Model):
    session_id: str
    kernel_configs: list[KernelCreationConfig] = Field(min_length=1, max_length=64)
    cluster_info: ClusterInfo


class CreateKernelsResponse(_Model):
    #: Kernels whose creation started; the outcome arrives as events.
    accepted: list[str]


#: Most create_kernels requests one create_kernels_batch call carries.
CREATE_KERNELS_BATCH_LIMIT = 256


class CreateKernelsBatchRequest(_Model):
    """Several sessions' create_kernels requests to one agent, carried out in order.

    The batch fails as a whole where one of its requests would fail on its own; the
    manager then sends them one at a time (creation is idempotent).
    """

    requests: list[CreateKernelsRequest] = Field(
        min_length=1, max_length=CREATE_KERNELS_BATCH_LIMIT
    )


class CreateKernelsBatchResponse(_Model):
    #: create_kernels' answer to each request, in request order.
    results: list[CreateKernelsResponse]


class DestroyKernelRequest(_Model):
    kernel_id: str
    session_id: str
    reason: str = "user-requested"
    suppress_events: bool = False


class DestroyKernelResponse(_Model):
    #: False when the agent does not know the kernel (already gone or never created here).
    known: bool


class CheckRunningRequest(_Model):
    kernel_id: str


class CheckRunningResponse(_Model):
    #: True: running; False: known to be gone; None: the agent cannot tell.
    running: bool | None


class CreateLocalNetworkRequest(_Model):
    name: str = Field(min_length=1, max_length=128)


class CreateLocalNetworkResponse(_Model):
    name: str
    #: False when the network was already known to the agent (the call is idempotent).
    created: bool


class AssignPortResponse(_Model):
    port: int


class KernelLogsRequest(_Model):
    kernel_id: str
    #: Read at most this many bytes from the end of each stream (the agent caps it further).
    max_bytes: int | None = Field(default=None, gt=0)


class KernelLogsResponse(_Model):
    kernel_id: str
    stdout: str
    stderr: str
    #: False when the agent does not know the kernel; the streams are then empty.
    known: bool = True


# --- agent → manager -----------------------------------------------------------------------


class AgentHeartbeatMessage(_Model):
    agent_id: str
    instance_id: str
    scaling_group: str
    architecture: str
    available_slots: dict[str, str]
    images: list[str] = Field(default_factory=list)
    addr: str
    watcher_addr: str | None = None
    version: str = ""
    #: Kernels alive on the agent right now (presence report).
    running_kernel_ids: list[str] = Field(default_factory=list)


class AgentInfoResponse(_Model):
    agent_id: str
    instance_id: str
    scaling_group: str
    architecture: str
    #: "process" or "simulated".
    runtime: str
    version: str
    available_slots: dict[str, str]
    #: Images ready on the agent.
    images: list[str]
    #: Kernels alive on the agent (being created or running).
    running_kernel_ids: list[str]
    networks: list[str]


class KernelEventKind(StrEnum):
    IMAGE_PULL_STARTED = "image_pull_started"
    IMAGE_PULL_FINISHED = "image_pull_finished"
    IMAGE_PULL_FAILED = "image_pull_failed"
    KERNEL_CREATING = "kernel_creating"
    KERNEL_STARTED = "kernel_started"
    KERNEL_TERMINATED = "kernel_terminated"
    KERNEL_CREATION_FAILED = "kernel_creation_failed"


class KernelEvent(_Model):
    kind: KernelEventKind
    agent_id: str
    instance_id: str
    occurred_at: datetime
    kernel_id: str | None = None
    session_id: str | None = None
    image: str | None = None
    exit_code: int | None = None
    reason: str | None = None
    container_id: str | None = None


class KernelEventBatch(_Model):
    events: list[KernelEvent] = Field(max_length=1024)
