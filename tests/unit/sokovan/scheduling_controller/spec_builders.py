"""A valid submission and the database facts that accept it, for the controller's unit tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sokovan.common.ids import AccessKey, GroupId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import AgentSelectionStrategy, SequencerStrategy
from sokovan.repositories.scheduler.snapshot_types import PendingStats, ScalingGroupConfig
from sokovan.repositories.scheduler.types import ImageIdentifier
from sokovan.repositories.scheduler.write_enqueue import EnqueueContext, OwnerFacts
from sokovan.scheduling_controller.types import KernelCreationSpec, SessionCreationSpec

NOW = datetime(2026, 1, 1, tzinfo=UTC)
USER = UserId(uuid.uuid4())
GROUP = GroupId(uuid.uuid4())
KEY = AccessKey("AKTEST")
IMAGE = "python:3.11"
KERNEL = KernelCreationSpec(image=IMAGE, resources={"cpu": "1", "mem": "1g"})
SPEC = SessionCreationSpec(
    name="notebook",
    access_key=KEY,
    user_id=USER,
    group_id=GROUP,
    domain_name="default",
    scaling_group="default",
    kernels=(KERNEL,),
)
GROUP_CONFIG = ScalingGroupConfig(
    name="default",
    scheduler=SequencerStrategy.FIFO,
    agent_selection_strategy=AgentSelectionStrategy.CONCENTRATED,
    agent_selection_resource_priority=(),
    max_container_count=None,
    enforce_spreading_endpoint_replica=False,
    pending_timeout=None,
    roundrobin_next_index=0,
)
OWNER = OwnerFacts(
    keypair_user_id=USER,
    keypair_active=True,
    user_domain="default",
    group_domain="default",
    user_in_group=True,
)
CONTEXT = EnqueueContext(
    scaling_group_exists=True,
    scaling_group=GROUP_CONFIG,
    owner=OWNER,
    images={ImageIdentifier(IMAGE, "x86_64"): ResourceSlot()},
    existing_dependencies=frozenset(),
    agents_in_group=frozenset(),
    keypair_policy=None,
    pending=PendingStats(),
)
