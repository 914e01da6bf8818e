"""Failures inside the agent.

Image and kernel failures never reach the RPC caller as errors: they become events
(IMAGE_PULL_FAILED, KERNEL_CREATION_FAILED) whose reason is the exception's message, so the
messages are written for the operator who reads them on the manager.
"""

from __future__ import annotations

from typing import ClassVar

from sokovan.common.errors import SokovanError


class AgentRuntimeError(SokovanError):
    """Base of the agent's own failures."""


class InvalidImageError(AgentRuntimeError):
    """The agent can never run this image (wrong architecture, malformed environment)."""

    http_status: ClassVar[int] = 400


class ImagePreparationError(AgentRuntimeError):
    """Preparing an image failed (a requirement could not be installed, …); a retry may work."""


class KernelStartError(AgentRuntimeError):
    """A kernel could not be started (no command, command not found, …)."""


class PortsExhaustedError(AgentRuntimeError):
    """Every port of the configured range is in use."""

    http_status: ClassVar[int] = 503
