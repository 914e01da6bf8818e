"""One typed configuration: defaults that work embedded, overridable by SOKOVAN_* variables.

`SOKOVAN_DATABASE_URL=postgresql://…` switches the database; `SOKOVAN_DATA_DIR` moves the
embedded state. Nested settings use a double underscore: `SOKOVAN_MANAGER__…`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path.home() / ".sokovan"


class ManagerConfig(BaseModel):
    session_schedule_lock_lifetime: float = Field(
        30.0, gt=0, description="Seconds a scheduling lock is held before it expires."
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

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'sokovan.db'}"

    def resolved_credentials_file(self) -> Path:
        return self.credentials_file or self.data_dir / "credentials.json"
