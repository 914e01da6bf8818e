"""What every repository shares: an engine and a clock."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.clock import Clock, SystemClock


class RepositoryBase:
    """Holds the engine and the clock; repositories (and their mixins) derive from it."""

    def __init__(self, engine: AsyncEngine, clock: Clock | None = None) -> None:
        self._engine = engine
        self._clock: Clock = clock or SystemClock()

    @property
    def is_postgres(self) -> bool:
        return self._engine.dialect.name == "postgresql"
