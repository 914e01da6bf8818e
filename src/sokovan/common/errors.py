"""The error hierarchy.

Every user-facing failure has a type, a message that says what to do, and the HTTP status an
API layer should answer with.
"""

from __future__ import annotations

from typing import ClassVar


class SokovanError(Exception):
    """Base of every error sokovan raises on purpose."""

    http_status: ClassVar[int] = 500


class InvalidInputError(SokovanError):
    """The caller sent something malformed; nothing was changed."""

    http_status: ClassVar[int] = 400


class UnknownSlotTypeError(InvalidInputError):
    """A resource slot name that this installation does not know."""


class InvalidResourceValueError(InvalidInputError):
    """A resource amount that cannot be parsed or is out of range."""


class ConfigurationError(SokovanError):
    """The configuration is invalid; the message names the setting to fix."""


class DatabaseError(SokovanError):
    """The database is unreachable, misconfigured or rejected an operation."""

    http_status: ClassVar[int] = 503


class NotFoundError(SokovanError):
    """A referenced entity does not exist."""

    http_status: ClassVar[int] = 404


class AgentError(SokovanError):
    """An agent RPC failed (connection refused, timeout, remote error)."""

    http_status: ClassVar[int] = 502
