"""Typed identifiers.

NewTypes cost nothing at run time but keep a session id from being passed where a kernel id
is expected; mypy catches the mix-up.
"""

from __future__ import annotations

import uuid
from typing import NewType

SessionId = NewType("SessionId", uuid.UUID)
KernelId = NewType("KernelId", uuid.UUID)
UserId = NewType("UserId", uuid.UUID)
GroupId = NewType("GroupId", uuid.UUID)
DeploymentId = NewType("DeploymentId", uuid.UUID)
RouteId = NewType("RouteId", uuid.UUID)
ImageId = NewType("ImageId", uuid.UUID)
AgentId = NewType("AgentId", str)
AccessKey = NewType("AccessKey", str)
DomainName = NewType("DomainName", str)
ScalingGroupName = NewType("ScalingGroupName", str)


def new_session_id() -> SessionId:
    return SessionId(uuid.uuid4())


def new_kernel_id() -> KernelId:
    return KernelId(uuid.uuid4())


def new_deployment_id() -> DeploymentId:
    return DeploymentId(uuid.uuid4())


def new_route_id() -> RouteId:
    return RouteId(uuid.uuid4())
