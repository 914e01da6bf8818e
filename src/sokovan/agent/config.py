"""The agent's configuration: flags over SOKOVAN_AGENT_* variables over a TOML file over defaults.

`AgentConfig(config_file=path, **flags)` reads all of it: keyword arguments win, then the
environment (`SOKOVAN_AGENT_MANAGER_URL`, nested with a double underscore:
`SOKOVAN_AGENT_SIMULATED__PULL_SECONDS`, maps and lists as JSON), then the file named by
`config_file` (or by `SOKOVAN_AGENT_CONFIG_FILE`), whose keys are the field names.
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import sys
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from sokovan.agent.images import ImageEnvironment
from sokovan.common.errors import ConfigurationError, SokovanError
from sokovan.common.resource_slot import ResourceSlot

#: The embedded manager's address (`sokovan up`).
DEFAULT_MANAGER_URL = "http://127.0.0.1:8090"
#: What a kernel inherits from the agent's environment; everything else (notably the agent's
#: token in SOKOVAN_AGENT_TOKEN) stays out of kernels.
DEFAULT_ENV_PASSTHROUGH = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")
_ARCHITECTURE_ALIASES = {"amd64": "x86_64", "arm64": "aarch64"}


class RuntimeKind(StrEnum):
    PROCESS = "process"  #: every kernel is a local child process
    SIMULATED = "simulated"  #: no processes; configurable timings, for benchmarks


class SimulatedTimings(BaseModel):
    """Durations (seconds) and failure rates of the simulated runtime."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pull_seconds: float = Field(0.0, ge=0)
    create_seconds: float = Field(0.0, ge=0)
    #: None: a kernel runs until destroyed.
    run_seconds: float | None = Field(None, ge=0)
    pull_failure_rate: float = Field(0.0, ge=0, le=1)
    create_failure_rate: float = Field(0.0, ge=0, le=1)
    #: Seed of the failure draws; equal seeds give equal outcomes for equal call sequences.
    seed: int = 0


def detect_architecture() -> str:
    machine = platform.machine().lower()
    return _ARCHITECTURE_ALIASES.get(machine, machine)


def detect_capacity() -> dict[str, str]:
    """This machine's CPUs (those the agent may use) and physical memory in bytes."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    capacity = {"cpu": str(cpus or 1)}
    # Without these sysconf names (some platforms), no memory is advertised.
    with contextlib.suppress(ValueError, OSError):
        capacity["mem"] = str(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    return capacity


class AgentConfig(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SOKOVAN_AGENT_", env_nested_delimiter="__", extra="forbid"
    )

    config_file: Path | None = Field(None, description="TOML file with the other settings.")
    agent_id: str = Field(default_factory=socket.gethostname, min_length=1, max_length=64)
    scaling_group: str = Field("default", min_length=1)
    token: SecretStr = Field(description="Shared secret of the agent RPC and the gateway.")
    bind_host: str = "127.0.0.1"
    bind_port: int = Field(6001, ge=0, le=65535, description="0 picks a free port.")
    advertised_addr: str | None = Field(
        None, description="RPC address the manager uses; default: http://<bind host>:<port>."
    )
    watcher_addr: str | None = None
    manager_url: str = DEFAULT_MANAGER_URL
    data_dir: Path | None = Field(None, description="Default: ~/.sokovan/agents/<agent id>.")
    runtime: RuntimeKind = RuntimeKind.PROCESS
    simulated: SimulatedTimings = Field(default_factory=SimulatedTimings)
    architecture: str = Field(default_factory=detect_architecture, min_length=1)
    capacity_slots: dict[str, str] = Field(default_factory=detect_capacity)
    images: dict[str, ImageEnvironment] = Field(default_factory=dict)
    heartbeat_interval: float = Field(5.0, gt=0)
    port_range: tuple[int, int] = (30000, 31000)
    destroy_grace_seconds: float = Field(5.0, ge=0)
    event_buffer_size: int = Field(10_000, ge=1)
    event_retry_max_seconds: float = Field(10.0, gt=0)
    log_read_limit: int = Field(64 * 1024, gt=0, description="Bytes per stream per read.")
    terminated_retention: int = Field(1000, ge=0, description="Ended kernels remembered.")
    env_passthrough: list[str] = Field(default_factory=lambda: list(DEFAULT_ENV_PASSTHROUGH))
    venv_python: str = Field(sys.executable, description="Interpreter that creates venvs.")
    process_poll_interval: float = Field(0.5, gt=0)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _ConfigFileSource(settings_cls))

    @field_validator("capacity_slots", mode="before")
    @classmethod
    def _canonical_slots(cls, raw: Any) -> Any:
        """Accept unit syntax ("16g") and store canonical amounts ("17179869184")."""
        if not isinstance(raw, dict):
            return raw
        try:
            return ResourceSlot.parse(raw).to_json()
        except SokovanError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _check_port_range(self) -> AgentConfig:
        first, last = self.port_range
        if not 1 <= first <= last <= 65535:
            raise ValueError(f"port_range must be two ports, first <= last, not {self.port_range}")
        return self

    def resolved_data_dir(self) -> Path:
        return self.data_dir or Path.home() / ".sokovan" / "agents" / self.agent_id


class _ConfigFileSource(PydanticBaseSettingsSource):
    """The TOML file named by `config_file` as given by the sources above this one."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        # Values come from __call__ in one piece; this per-field hook is not used.
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = self.current_state.get("config_file")
        if path is None:
            return {}
        if not Path(path).is_file():
            raise ConfigurationError(f"config file {path} does not exist or is not a file")
        try:
            return TomlConfigSettingsSource(self.settings_cls, toml_file=Path(path))()
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"config file {path} is not valid TOML: {exc}") from None
