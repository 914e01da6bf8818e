"""Typed identifiers, and building UUIDs cheaply.

NewTypes keep a session id from being passed where a kernel id is expected (mypy catches the
mix-up); at run time they are the plain value.
"""

from __future__ import annotations

import os
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


_new_object = object.__new__
# UUID is immutable through its own __setattr__; its __init__ fills these slots directly too.
_set_uuid_int = uuid.UUID.__dict__["int"].__set__
_set_uuid_is_safe = uuid.UUID.__dict__["is_safe"].__set__
_UNKNOWN_SAFETY = uuid.SafeUUID.unknown
#: Version 4 and the RFC 4122 variant, as uuid.uuid4() sets them.
_CLEAR_VERSION_AND_VARIANT = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_4_RFC_4122 = (4 << 76) | (0x8000 << 48)


def uuid_from_int(number: int) -> uuid.UUID:
    """`uuid.UUID(int=number)` for 0 <= number < 2**128, without UUID.__init__.

    UUID.__init__ is pure Python and checks every spelling a UUID may take; the scheduler
    builds tens of thousands of UUIDs a second from values that need no checking.
    """
    made: uuid.UUID = _new_object(uuid.UUID)
    _set_uuid_int(made, number)
    _set_uuid_is_safe(made, _UNKNOWN_SAFETY)
    return made


def random_uuid() -> uuid.UUID:
    """What uuid.uuid4() returns (16 random bytes, version 4, RFC 4122 variant), for less."""
    number = int.from_bytes(os.urandom(16), "big")
    return uuid_from_int((number & _CLEAR_VERSION_AND_VARIANT) | _VERSION_4_RFC_4122)


def new_session_id() -> SessionId:
    return SessionId(random_uuid())


def new_kernel_id() -> KernelId:
    return KernelId(random_uuid())


def new_deployment_id() -> DeploymentId:
    return DeploymentId(random_uuid())


def new_route_id() -> RouteId:
    return RouteId(random_uuid())
