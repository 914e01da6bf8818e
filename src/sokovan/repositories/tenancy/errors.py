"""Errors of tenancy writes: each names the entity, so the message says what to fix."""

from __future__ import annotations

from typing import ClassVar

from sokovan.common.errors import InvalidInputError, NotFoundError


class UnknownReferenceError(NotFoundError):
    """A write names a domain, group, user or resource policy that does not exist."""

    def __init__(self, kind: str, name: object) -> None:
        super().__init__(f"{kind} {str(name)!r} does not exist; create it first")
        self.kind = kind
        self.name = name


class AlreadyExistsError(InvalidInputError):
    """A write would duplicate a unique value (an e-mail, a username, an access key)."""

    http_status: ClassVar[int] = 409

    def __init__(self, kind: str, value: object) -> None:
        super().__init__(f"a {kind} {str(value)!r} already exists; choose another")
        self.kind = kind
        self.value = value
