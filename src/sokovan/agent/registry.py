"""The agent's record of its kernels and local networks, optionally persisted as one JSON file.

The file is what lets a restarted agent find the kernels it started: every change rewrites it
atomically (a temporary file renamed over the old one), so a crash leaves either the old or
the new content, never half of it. Ended kernels are remembered (so `check_running` can say
"gone" rather than "unknown") up to a retention count, oldest forgotten first.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

log = logging.getLogger(__name__)

_FORMAT_VERSION = 1


class KernelState(StrEnum):
    CREATING = "creating"  #: accepted; image and process are being prepared
    RUNNING = "running"  #: started; `pid` (process runtime) identifies it
    TERMINATED = "terminated"  #: ended, or its creation failed; `reason` says which


@dataclass(frozen=True, slots=True)
class KernelRecord:
    kernel_id: str
    session_id: str
    image: str
    state: KernelState
    created_at: datetime
    container_id: str | None = None
    #: The process and its start time (clock ticks since boot): together they identify the
    #: process even after its pid has been reused by another.
    pid: int | None = None
    pid_start_ticks: int | None = None
    #: The kernel's own directory (the process runtime keeps its logs there).
    kernel_dir: str | None = None
    #: Set when a destroy was requested, so a restarted agent finishes the job.
    destroy_reason: str | None = None
    suppress_events: bool = False
    exit_code: int | None = None
    reason: str | None = None
    ended_at: datetime | None = None

    @property
    def alive(self) -> bool:
        return self.state is not KernelState.TERMINATED

    def ended(self, at: datetime, exit_code: int | None, reason: str) -> KernelRecord:
        return replace(
            self, state=KernelState.TERMINATED, exit_code=exit_code, reason=reason, ended_at=at
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.value
        data["created_at"] = self.created_at.isoformat()
        data["ended_at"] = self.ended_at.isoformat() if self.ended_at else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        ended_at = data.get("ended_at")
        return cls(
            **{
                **data,
                "state": KernelState(data["state"]),
                "created_at": datetime.fromisoformat(data["created_at"]),
                "ended_at": datetime.fromisoformat(ended_at) if ended_at else None,
            }
        )


class KernelRegistry:
    """Kernel records by id, plus network names; `path=None` keeps everything in memory."""

    def __init__(self, path: Path | None = None, retention: int = 1000) -> None:
        self._path = path
        self._retention = retention
        self._kernels: dict[str, KernelRecord] = {}
        self._networks: set[str] = set()

    @classmethod
    def load(cls, path: Path | None, retention: int = 1000) -> KernelRegistry:
        """The registry as last saved at `path`; an empty one when the file is absent.

        A file that cannot be read is moved aside (`<name>.corrupt`) with an error logged,
        and the agent starts empty: it then cannot re-adopt kernels, but it never signals a
        process on the strength of data it could not read.
        """
        registry = cls(path, retention)
        if path is None or not path.exists():
            return registry
        try:
            data = json.loads(path.read_text())
            registry._restore(data["kernels"], data.get("networks", []))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            aside = path.with_name(path.name + ".corrupt")
            log.error("kernel registry %s is unreadable (%s); moved to %s", path, exc, aside)
            os.replace(path, aside)
            return cls(path, retention)
        return registry

    def _restore(self, kernels: Iterable[dict[str, Any]], networks: Iterable[str]) -> None:
        for item in kernels:
            record = KernelRecord.from_json(item)
            self._kernels[record.kernel_id] = record
        self._networks = set(networks)

    def get(self, kernel_id: str) -> KernelRecord | None:
        return self._kernels.get(kernel_id)

    def put(self, record: KernelRecord) -> None:
        """Insert or replace the record and persist; forgets the oldest ended kernels."""
        self._kernels[record.kernel_id] = record
        if not record.alive:
            self._forget_old_ended()
        self._save()

    def alive(self) -> list[KernelRecord]:
        """Kernels being created or running, oldest first."""
        return sorted(
            (record for record in self._kernels.values() if record.alive),
            key=lambda record: record.created_at,
        )

    def add_network(self, name: str) -> bool:
        """Record a network; False when it was already recorded."""
        if name in self._networks:
            return False
        self._networks.add(name)
        self._save()
        return True

    def networks(self) -> list[str]:
        return sorted(self._networks)

    def _forget_old_ended(self) -> None:
        ended = [record for record in self._kernels.values() if not record.alive]
        excess = len(ended) - self._retention
        if excess <= 0:
            return
        ended.sort(key=lambda record: record.ended_at or record.created_at)
        for record in ended[:excess]:
            del self._kernels[record.kernel_id]

    def _save(self) -> None:
        if self._path is None:
            return
        payload = {
            "version": _FORMAT_VERSION,
            "kernels": [record.to_json() for record in self._kernels.values()],
            "networks": sorted(self._networks),
        }
        self._path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._path.with_name(self._path.name + ".tmp")
        temporary.write_text(json.dumps(payload))
        os.replace(temporary, self._path)
