"""One typed configuration: defaults that work embedded, overridable by SOKOVAN_* variables.

`SOKOVAN_DATABASE_URL=postgresql://…` switches the database; `SOKOVAN_DATA_DIR` moves the
embedded state. Nested settings use a double underscore: `SOKOVAN_MANAGER__…`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

#: "local": in-process asyncio locks (one manager); "postgres": PostgreSQL advisory locks,
#: shared by every manager using the database.
LockBackend = Literal["local", "postgres"]


def default_data_dir() -> Path:
    return Path.home() / ".sokovan"


class ManagerConfig(BaseModel):
    session_schedule_lock_lifetime: float = Field(
        30.0, gt=0, description="Seconds a scheduling lock is held before it expires."
    )
    lock_acquire_timeout: float | None = Field(
        None,
        gt=0,
        description=(
            "Seconds a scheduling step waits for its lock; past it the step is skipped until "
            "its next cycle. Unset: the lock lifetime."
        ),
    )
    lock_backend: LockBackend | None = Field(
        None,
        description=(
            "Where scheduling locks live: 'local' (this process) or 'postgres' (advisory locks "
            "shared by all managers). Unset: 'postgres' on PostgreSQL, 'local' on SQLite."
        ),
    )
    short_loop_interval: float = Field(
        2.0,
        gt=0,
        description=(
            "Longest single wait of a short loop for its hint, in seconds; a hint wakes the "
            "loop at once, so this is not a polling delay."
        ),
    )
    long_loop_interval: float = Field(
        30.0,
        gt=0,
        description=(
            "Seconds between runs of each long loop, which runs every step whether hinted or "
            "not, so a lost hint delays work by at most this long."
        ),
    )
    terminating_grace_period: float = Field(
        600.0,
        gt=0,
        description=(
            "Seconds a TERMINATING session waits for its kernels to report; past it the "
            "session and its kernels are forced to TERMINATED and their resources freed."
        ),
    )
    presence_lifetime: float = Field(
        60.0,
        gt=0,
        description=(
            "Seconds a kernel's last presence report counts as alive (in-process hint store)."
        ),
    )

    agent_heartbeat_timeout: float = Field(
        30.0,
        gt=0,
        description="Seconds without a heartbeat after which an ALIVE agent is marked LOST.",
    )
    agent_kernel_grace_period: float = Field(
        60.0,
        ge=0,
        description=(
            "Seconds an agent stays LOST before its kernels are declared gone and their "
            "sessions end; a returning agent within it keeps its kernels."
        ),
    )
    liveness_check_interval: float = Field(
        5.0, gt=0, description="Seconds between two passes of the agent-loss monitor."
    )

    def resolved_lock_acquire_timeout(self) -> float:
        """`lock_acquire_timeout`, or the lock lifetime when it is unset."""
        if self.lock_acquire_timeout is not None:
            return self.lock_acquire_timeout
        return self.session_schedule_lock_lifetime


class LocalAgentsConfig(BaseModel):
    """The process agents `sokovan up` runs next to the manager, and how big each one is."""

    cpu_fraction: float = Field(
        1.0, gt=0, le=1, description="Share of this machine's CPUs split among the agents."
    )
    mem_fraction: float = Field(
        0.5, gt=0, le=1, description="Share of this machine's memory split among the agents."
    )
    heartbeat_interval: float = Field(2.0, gt=0, description="Seconds between heartbeats.")
    register_timeout: float = Field(
        30.0, gt=0, description="Seconds `sokovan up` waits for every agent to register."
    )
    stop_timeout: float = Field(
        10.0, gt=0, description="Seconds an agent gets to exit after SIGTERM before SIGKILL."
    )
    session_stop_timeout: float = Field(
        15.0,
        gt=0,
        description="Seconds `sokovan up` waits for running sessions to end when stopping.",
    )


class SokovanConfig(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SOKOVAN_", env_nested_delimiter="__", extra="forbid"
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; unset means a SQLite file under data_dir.",
    )
    database_echo: bool = False
    credentials_file: Path | None = Field(
        None,
        description="Where `sokovan up` keeps the admin keypair; unset means under data_dir.",
    )
    manager: ManagerConfig = Field(default_factory=ManagerConfig)
    agent_token: SecretStr | None = Field(
        None,
        description=(
            "Shared secret of the agent RPC and gateway; unset means the token file that "
            "`sokovan up` keeps under data_dir."
        ),
    )
    local_agents: LocalAgentsConfig = Field(default_factory=LocalAgentsConfig)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'sokovan.db'}"

    def resolved_credentials_file(self) -> Path:
        return self.credentials_file or self.data_dir / "credentials.json"

    def agent_token_file(self) -> Path:
        """Where `sokovan up` keeps the agent token (mode 0600)."""
        return self.data_dir / "agent-token"
