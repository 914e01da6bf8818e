"""Column types that behave the same on SQLite and PostgreSQL.

Enums are stored as their string values (no native ENUM types, so adding a status is a data
change, not a schema migration); resource slots as canonical JSON; timestamps always come back
timezone-aware in UTC, which SQLite would otherwise forget.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect

from sokovan.common.resource_slot import ResourceSlot

E = TypeVar("E", bound=StrEnum)

#: JSON on SQLite, JSONB on PostgreSQL.
PortableJSON = sa.JSON().with_variant(JSONB(), "postgresql")


class StrEnumType(sa.TypeDecorator[E]):
    """A StrEnum stored as VARCHAR; unknown values in the database fail loudly on read."""

    impl = sa.String(64)
    cache_ok = True

    def __init__(self, enum_cls: type[E]) -> None:
        super().__init__()
        self.enum_cls = enum_cls
        # Bulk reads convert tens of thousands of values; a dict lookup costs a fraction of
        # the enum's own lookup by value.
        self._members: dict[str, E] = {member.value: member for member in enum_cls}

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return self.enum_cls(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        if value is None:
            return None
        member = self._members.get(value)
        return self.enum_cls(value) if member is None else member

    def __repr__(self) -> str:
        return f"StrEnumType({self.enum_cls.__name__})"


class ResourceSlotType(sa.TypeDecorator[ResourceSlot]):
    """A ResourceSlot stored as JSON of canonical decimal strings (never floats)."""

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(sa.JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> dict[str, str] | None:
        if value is None:
            return None
        slot = value if isinstance(value, ResourceSlot) else ResourceSlot(value)
        return slot.to_json()

    def process_result_value(self, value: Any, dialect: Dialect) -> ResourceSlot | None:
        return None if value is None else ResourceSlot.from_json(value)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """TIMESTAMP WITH TIME ZONE; naive datetimes are refused on write."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"expected a timezone-aware datetime, got {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is UTC:  # what asyncpg returns: nothing to convert
            return moment
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
