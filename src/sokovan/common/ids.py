"""Typed identifiers, and building UUIDs cheaply.

NewTypes keep a session id from being passed where a kernel id is expected (mypy catches the
mix-up); at run time they are the plain value.
"""

from __future__ import annotations

import os
import time
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
#: Version 7 and the RFC 9562 variant, in the bits around the 74 random ones.
_VERSION_7 = 7 << 76
_RFC_VARIANT = 0b10 << 62
_RANDOM_A_SHIFT = 64  # 12 random bits just below the version
_RANDOM_B_MASK = (1 << 62) - 1


def uuid_from_int(number: int) -> uuid.UUID:
    """`uuid.UUID(int=number)` for 0 <= number < 2**128, without UUID.__init__.

    UUID.__init__ is pure Python and checks every spelling a UUID may take; the scheduler
    builds tens of thousands of UUIDs a second from values that need no checking.
    """
    made: uuid.UUID = _new_object(uuid.UUID)
    _set_uuid_int(made, number)
    _set_uuid_is_safe(made, _UNKNOWN_SAFETY)
    return made


def time_ordered_uuid() -> uuid.UUID:
    """A new version 7 UUID (RFC 9562): the Unix time in milliseconds, then 74 random bits.

    Every row the scheduler creates (sessions, kernels, history) is keyed by such an id:
    consecutive ids sort next to each other, so inserting a batch of rows adds to the last
    pages of the primary-key index instead of rewriting a random page per row; with random
    (version 4) ids a history insert cost about twice as much, and more as the table grew.
    Ids made within one millisecond are unique but not ordered among themselves.
    """
    random = int.from_bytes(os.urandom(10), "big")  # 80 bits, of which 74 are used
    millis = time.time_ns() // 1_000_000
    return uuid_from_int(
        (millis & 0xFFFF_FFFF_FFFF) << 80
        | _VERSION_7
        | (random >> 62 & 0xFFF) << _RANDOM_A_SHIFT
        | _RFC_VARIANT
        | random & _RANDOM_B_MASK
    )


def new_session_id() -> SessionId:
    return SessionId(time_ordered_uuid())


def new_kernel_id() -> KernelId:
    return KernelId(time_ordered_uuid())


def new_deployment_id() -> DeploymentId:
    return DeploymentId(time_ordered_uuid())


def new_route_id() -> RouteId:
    return RouteId(time_ordered_uuid())
