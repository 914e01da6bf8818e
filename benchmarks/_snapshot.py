"""A deterministic, realistic cluster and backlog for the placement benchmarks.

One generator serves both benchmarks: `placement.py` turns a `Workload` into an in-memory
`SchedulingData`, `schedule_step.py` bulk-loads the same workload into PostgreSQL.

The cluster: three quarters CPU nodes (a tenth of them aarch64), one quarter GPU nodes with
fractional `cuda.shares`. Half of the agents already run one to three kernels, so free
capacities differ from agent to agent as they do in a live cluster. The backlog: single-kernel
sessions of ~50 owners (a few of them submit most of the work), mostly small CPU requests,
a quarter asking for GPU shares and a few for aarch64. Everything follows from the seed.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sokovan.common.ids import AccessKey, AgentId, GroupId, KernelId, SessionId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import (
    AgentSelectionStrategy,
    ClusterMode,
    SequencerStrategy,
    SessionType,
)
from sokovan.repositories.scheduler.snapshot_types import (
    AgentSnapshot,
    OccupancySnapshot,
    PendingKernel,
    PendingSession,
    PendingStats,
    PolicySnapshot,
    ScalingGroupConfig,
    SchedulingData,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
GiB = 2**30
DOMAIN = "default"
SCALING_GROUP = "default"
X86, ARM = "x86_64", "aarch64"
RESOURCE_PRIORITY = ("cuda.shares", "cpu", "mem")


@dataclass(frozen=True, slots=True)
class Owner:
    access_key: AccessKey
    user_id: UserId
    group_id: GroupId


@dataclass(frozen=True, slots=True)
class AgentSpec:
    agent_id: AgentId
    architecture: str
    available: ResourceSlot
    #: What the agent's running kernels hold (the sum of their slots).
    occupied: ResourceSlot
    containers: int


@dataclass(frozen=True, slots=True)
class SessionSpec:
    """A single-kernel session; `agent_id` is set for the running ones only."""

    session_id: SessionId
    kernel_id: KernelId
    owner: Owner
    architecture: str
    slots: ResourceSlot
    created_at: datetime
    agent_id: AgentId | None = None


@dataclass(frozen=True, slots=True)
class Workload:
    owners: tuple[Owner, ...]
    group_ids: tuple[GroupId, ...]
    agents: tuple[AgentSpec, ...]
    running: tuple[SessionSpec, ...]
    pending: tuple[SessionSpec, ...]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _slots(cpu: int, mem_gib: int, shares: Decimal | None = None) -> ResourceSlot:
    amounts: dict[str, Decimal | int] = {"cpu": cpu, "mem": mem_gib * GiB}
    if shares is not None:
        amounts["cuda.shares"] = shares
    return ResourceSlot(amounts)


def _agent_capacity(rng: random.Random) -> tuple[str, ResourceSlot]:
    if rng.random() < 0.25:
        shares = Decimal(rng.choice((4, 8)))
        return X86, _slots(rng.choice((32, 48, 64)), rng.choice((256, 384, 512)), shares)
    cpu = rng.choice((16, 32, 48, 64, 96))
    return (ARM if rng.random() < 0.1 else X86), _slots(cpu, cpu * rng.choice((2, 4, 8)))


def _request(rng: random.Random, gpu: bool) -> ResourceSlot:
    """One kernel's request: small CPU jobs dominate; GPU jobs ask for fractional shares."""
    if gpu:
        shares = rng.choices((Decimal("0.5"), Decimal(1), Decimal(2), Decimal(4)), (3, 4, 2, 1))[0]
        return _slots(rng.choice((2, 4, 8)), rng.choice((16, 32, 64)), shares)
    cpu = rng.choices((1, 2, 4, 8), (4, 3, 2, 1))[0]
    return _slots(cpu, cpu * rng.choice((1, 2, 4)))


def _owners(rng: random.Random, count: int) -> tuple[tuple[Owner, ...], tuple[GroupId, ...]]:
    groups = tuple(GroupId(_uuid(rng)) for _ in range(max(1, count // 5)))
    owners = tuple(
        Owner(AccessKey(f"AK{n:018d}"), UserId(_uuid(rng)), groups[n % len(groups)])
        for n in range(count)
    )
    return owners, groups


def _running_on(
    rng: random.Random,
    agent: AgentId,
    architecture: str,
    capacity: ResourceSlot,
    owners: list[Owner],
) -> list[SessionSpec]:
    """One to three kernels that fit together on the agent (half of the agents get none)."""
    if rng.random() < 0.5:
        return []
    running: list[SessionSpec] = []
    held = ResourceSlot()
    for _ in range(rng.randint(1, 3)):
        slots = _request(rng, gpu=capacity.amount("cuda.shares") > 0 and rng.random() < 0.7)
        if (held + slots).fits_in(capacity):
            held += slots
            created = T0 - timedelta(hours=1)
            owner = rng.choice(owners)
            spec = SessionSpec(
                SessionId(_uuid(rng)), KernelId(_uuid(rng)), owner, architecture, slots, created
            )
            running.append(replace(spec, agent_id=agent))
    return running


def _agents(
    rng: random.Random, count: int, owners: list[Owner]
) -> tuple[tuple[AgentSpec, ...], tuple[SessionSpec, ...]]:
    agents: list[AgentSpec] = []
    running: list[SessionSpec] = []
    for n in range(count):
        agent_id = AgentId(f"agent-{n:05d}")
        architecture, capacity = _agent_capacity(rng)
        here = _running_on(rng, agent_id, architecture, capacity, owners)
        occupied = sum((spec.slots for spec in here), ResourceSlot())
        agents.append(AgentSpec(agent_id, architecture, capacity, occupied, len(here)))
        running.extend(here)
    return tuple(agents), tuple(running)


def _pending(rng: random.Random, count: int, owners: list[Owner]) -> tuple[SessionSpec, ...]:
    # Zipf-like submission volume: the first owners submit most of the backlog.
    weights = [1 / (rank + 1) for rank in range(len(owners))]
    sessions = []
    for n in range(count):
        kind = rng.random()
        architecture = ARM if kind < 0.05 else X86
        slots = _request(rng, gpu=kind >= 0.75)
        owner = rng.choices(owners, weights)[0]
        created = T0 + timedelta(milliseconds=n)
        sessions.append(
            SessionSpec(
                SessionId(_uuid(rng)), KernelId(_uuid(rng)), owner, architecture, slots, created
            )
        )
    return tuple(sessions)


def generate(agents: int, sessions: int, seed: int, owners: int = 50) -> Workload:
    """`agents` agents (with their running kernels) and `sessions` pending sessions."""
    rng = random.Random(seed)
    owner_list, groups = _owners(rng, owners)
    # Agents and backlog come from separate streams: the backlog is the same whatever the
    # number of agents, so runs at different cluster sizes place the very same sessions.
    agent_specs, running = _agents(
        random.Random(rng.getrandbits(64) ^ agents), agents, [*owner_list]
    )
    pending = _pending(random.Random(rng.getrandbits(64)), sessions, [*owner_list])
    return Workload(owner_list, groups, agent_specs, running, pending)


def scheduling_data(
    workload: Workload, sequencer: SequencerStrategy, strategy: AgentSelectionStrategy
) -> SchedulingData:
    """The snapshot `get_scheduling_data` would read for this workload (no quotas)."""
    config = ScalingGroupConfig(
        name=SCALING_GROUP,
        scheduler=sequencer,
        agent_selection_strategy=strategy,
        agent_selection_resource_priority=RESOURCE_PRIORITY,
        max_container_count=None,
        enforce_spreading_endpoint_replica=False,
        pending_timeout=None,
        roundrobin_next_index=0,
    )
    # The repository parses each distinct slot text once per read (`SlotsReader`), so agents
    # with equal capacities share one ResourceSlot; the synthetic snapshot does the same.
    shared = SharedSlots()
    agents = tuple(
        AgentSnapshot(
            a.agent_id,
            addr(a.agent_id),
            a.architecture,
            shared(a.available),
            shared(a.occupied),
            a.containers,
        )
        for a in workload.agents
    )
    return SchedulingData(
        scaling_group=config,
        agents=agents,
        pending_sessions=tuple(_pending_session(spec) for spec in workload.pending),
        total_capacity=sum((a.available for a in workload.agents), ResourceSlot()),
        policies=PolicySnapshot({}, {}, {}, {}),
        occupancy=_occupancy(workload),
        dependencies={},
    )


class SharedSlots:
    """Returns one ResourceSlot object for all equal values (as `SlotsReader` reads them)."""

    def __init__(self) -> None:
        self._by_text: dict[str, ResourceSlot] = {}

    def __call__(self, slot: ResourceSlot) -> ResourceSlot:
        return self._by_text.setdefault(json.dumps(slot.to_json(), sort_keys=True), slot)


def addr(agent_id: AgentId) -> str:
    return f"http://10.0.0.1:6001/{agent_id}"


def _pending_session(spec: SessionSpec) -> PendingSession:
    kernel = PendingKernel(spec.kernel_id, "python:3.11", spec.architecture, spec.slots, "main", 1)
    return PendingSession(
        session_id=spec.session_id,
        creation_id=spec.session_id.hex[:16],
        access_key=spec.owner.access_key,
        user_id=spec.owner.user_id,
        group_id=spec.owner.group_id,
        domain_name=DOMAIN,
        priority=10,
        session_type=SessionType.INTERACTIVE,
        cluster_mode=ClusterMode.SINGLE_NODE,
        cluster_size=1,
        requested_slots=spec.slots,
        kernels=(kernel,),
        designated_agent_ids=None,
        starts_at=None,
        created_at=spec.created_at,
        depends_on=(),
    )


def _occupancy(workload: Workload) -> OccupancySnapshot:
    """What the running sessions hold per owner, and what the backlog asks for."""
    held: defaultdict[AccessKey, ResourceSlot] = defaultdict(ResourceSlot)
    by_user: defaultdict[UserId, ResourceSlot] = defaultdict(ResourceSlot)
    by_group: defaultdict[GroupId, ResourceSlot] = defaultdict(ResourceSlot)
    for spec in workload.running:
        held[spec.owner.access_key] += spec.slots
        by_user[spec.owner.user_id] += spec.slots
        by_group[spec.owner.group_id] += spec.slots
    queued: defaultdict[AccessKey, list[ResourceSlot]] = defaultdict(list)
    for spec in workload.pending:
        queued[spec.owner.access_key].append(spec.slots)
    return OccupancySnapshot(
        by_keypair=dict(held),
        by_user=dict(by_user),
        by_group=dict(by_group),
        by_domain={DOMAIN: sum(held.values(), ResourceSlot())},
        concurrent_sessions=Counter(spec.owner.access_key for spec in workload.running),
        pending={
            key: PendingStats(len(asks), sum(asks, ResourceSlot())) for key, asks in queued.items()
        },
    )
