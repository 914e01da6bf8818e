"""Column types that behave the same on SQLite and PostgreSQL.

Enums are stored as their string values (no native ENUM types, so adding a status is a data
change, not a schema migration); resource slots as canonical JSON; timestamps always come back
timezone-aware in UTC, which SQLite would otherwise forget.

Reading is the hot direction: a scheduler pass decodes tens of thousands of values. Each type
therefore hands SQLAlchemy a single function from what the driver returns to the final value,
instead of SQLAlchemy's own processor wrapped in `TypeDecorator`'s call of
`process_result_value` (two or three Python calls per value). The values, and the errors for
malformed stored data, are the same as through the layered path. Binding, DDL and the stored
format are untouched.
"""

from __future__ import annotations

import json
import numbers
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect

from sokovan.common.ids import uuid_from_int
from sokovan.common.resource_slot import ResourceSlot

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

#: A result processor: the driver's value to the column's Python value.
ResultProcessor = Callable[[Any], T | None]


def _uses_own_sqlite_decoding(dialect: Dialect) -> bool:
    """SQLite, with the standard library's JSON (a deserializer configured on the engine
    is left to SQLAlchemy's processing)."""
    return dialect.name == "sqlite" and getattr(dialect, "_json_deserializer", None) is None


# --- JSON -------------------------------------------------------------------------------

# json.loads spends most of its time around the scanner (type checks, two whitespace regex
# matches, three Python calls); stored documents are compact and start at their first
# character, so the scanner alone reads them. A default decoder's scanner reads what json.loads
# reads; JSONDecoder.__init__ sets it on the instance (hence `vars`: the stubs leave it out).
_scan_json: Callable[[str, int], tuple[Any, int]] = vars(json.JSONDecoder())["scan_once"]


def _json_from_sqlite(value: Any) -> Any:
    """What SQLAlchemy's SQLite JSON processor returns for `value`, in one call.

    Anything the scanner does not read whole (surrounding whitespace, malformed JSON, a number
    SQLite stored under the column's NUMERIC affinity) goes through `json.loads` as before,
    which also raises what it always raised.
    """
    if value is None:
        return None
    try:
        document, end = _scan_json(value, 0)
        if end == len(value):
            return document
    except Exception:  # decoded again below, where errors surface as they always did
        pass
    try:
        return json.loads(value)
    except TypeError:
        if isinstance(value, numbers.Number):
            return value
        raise


class SqliteJSON(sa.TypeDecorator[Any]):
    """PortableJSON's SQLite variant: `sa.JSON`, read with `_json_from_sqlite`."""

    impl = sa.JSON
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> ResultProcessor[Any] | None:
        if _uses_own_sqlite_decoding(dialect):
            return _json_from_sqlite
        return self.impl_instance.result_processor(dialect, coltype)


#: JSON on SQLite, JSONB on PostgreSQL. The column type itself stays a plain `sa.JSON`, so code
#: that inspects column types (the bulk writes) sees what it always saw.
PortableJSON = sa.JSON().with_variant(SqliteJSON(), "sqlite").with_variant(JSONB(), "postgresql")


# --- UUID -------------------------------------------------------------------------------


def _uuid_from_hex(value: Any) -> uuid.UUID | None:
    """`uuid.UUID(value)` for the 32 hex digits `sa.Uuid` stores, without its __init__.

    UUID.__init__ is pure Python and checks every spelling a UUID may take; the stored one
    needs only `int(value, 16)`. Any other text goes to `uuid.UUID`, which accepts or refuses
    it exactly as before. ("-" is excluded because int() would read a leading one as a sign,
    where uuid.UUID drops it and then refuses the short remainder.)
    """
    if type(value) is str and len(value) == 32 and "-" not in value:
        try:
            number = int(value, 16)
        except ValueError:
            pass  # not hex: uuid.UUID below refuses it with its own message
        else:
            return uuid_from_int(number)
    return None if value is None else uuid.UUID(value)


class _StoredUuids(dict[Any, uuid.UUID | None]):
    """Stored id text → UUID, remembered; its `__getitem__` is the whole result processor.

    A scheduler pass reads the same few thousand ids over and over (each session and kernel
    comes back in every step it takes part in). A UUID is immutable, so one object can stand
    for every read of its text: a hit costs a dict lookup instead of a parse, and no new object
    for the garbage collector to track. A miss is decoded by `_uuid_from_hex` (which also
    raises what it always raised). The memo forgets everything once it holds `limit` ids, so
    its size stays bounded whatever the database holds.
    """

    __slots__ = ("_limit",)

    def __init__(self, limit: int) -> None:
        super().__init__()
        self._limit = limit

    def __missing__(self, value: Any) -> uuid.UUID | None:
        decoded = _uuid_from_hex(value)
        if len(self) >= self._limit:
            self.clear()
        self[value] = decoded
        return decoded


#: Ids remembered across every engine of the process (a UUID read once reads the same anywhere).
_STORED_UUIDS = _StoredUuids(limit=1 << 16)


class UuidType(sa.Uuid[uuid.UUID]):
    """`sa.Uuid` (same DDL, same stored form, same binding), read cheaply where it is text.

    On PostgreSQL the dialect replaces this type with its native UUID type, as it does
    `sa.Uuid` (asyncpg returns UUID objects: nothing to convert); on SQLite the stored 32 hex
    digits are read by `_uuid_from_hex`.
    """

    def result_processor(
        self, dialect: Dialect, coltype: object
    ) -> ResultProcessor[uuid.UUID] | None:
        stored_as_text = not dialect.supports_native_uuid or not self.native_uuid
        if stored_as_text and self.as_uuid:
            return _STORED_UUIDS.__getitem__
        # Native storage, or strings wanted: SQLAlchemy's own (untyped) processing.
        processor: ResultProcessor[uuid.UUID] | None
        processor = super().result_processor(dialect, coltype)  # type: ignore[no-untyped-call]
        return processor


# --- Enums ------------------------------------------------------------------------------


class _MemberLookup(dict[str | None, E | None]):
    """Stored value → member; its `__getitem__` is the whole result processor (no Python call
    on a hit). A value that is not a member's goes to the enum, which refuses it as before."""

    __slots__ = ("_enum_cls",)

    def __init__(self, enum_cls: type[E]) -> None:
        super().__init__({member.value: member for member in enum_cls})
        self[None] = None
        self._enum_cls = enum_cls

    def __missing__(self, value: str) -> E:
        return self._enum_cls(value)


class StrEnumType(sa.TypeDecorator[E]):
    """A StrEnum stored as VARCHAR; unknown values in the database fail loudly on read."""

    impl = sa.String(64)
    cache_ok = True

    def __init__(self, enum_cls: type[E]) -> None:
        super().__init__()
        self.enum_cls = enum_cls
        self._lookup: _MemberLookup[E] = _MemberLookup(enum_cls)

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return self.enum_cls(value).value

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], str | None] | None:
        if self.impl_instance.bind_processor(dialect) is not None:
            return super().bind_processor(dialect)
        # Members (and their plain-string values) by dict lookup; anything else goes to the
        # enum, which refuses it as process_bind_param always did.
        texts: dict[Any, str] = {member: member.value for member in self.enum_cls}
        refuse = self.process_bind_param

        def to_text(value: Any) -> str | None:
            try:
                return texts[value]
            except (KeyError, TypeError):
                return refuse(value, dialect)

        return to_text

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return self._lookup[value]

    def result_processor(self, dialect: Dialect, coltype: object) -> ResultProcessor[E] | None:
        if self.impl_instance.result_processor(dialect, coltype) is None:
            return self._lookup.__getitem__
        return super().result_processor(dialect, coltype)

    def __repr__(self) -> str:
        return f"StrEnumType({self.enum_cls.__name__})"


# --- Resource slots ---------------------------------------------------------------------

_slots_from_json = ResourceSlot.from_json


def _slots_or_none(value: Any) -> ResourceSlot | None:
    """Decoded JSON (as asyncpg returns JSONB) to slots."""
    return None if value is None else _slots_from_json(value)


def _slots_from_sqlite(value: Any) -> ResourceSlot | None:
    """Stored JSON text to slots. A JSON null reads as None, as it always has."""
    data = _json_from_sqlite(value)
    return None if data is None else _slots_from_json(data)


#: Distinct slot texts one column's reader remembers: rows hold a few dozen shapes.
_SLOT_TEXTS_REMEMBERED = 256


def _sqlite_slots_reader() -> ResultProcessor[ResourceSlot]:
    """`_slots_from_sqlite`, parsing each distinct stored text once while it is remembered.

    A ResourceSlot is immutable, so rows with equal text share one (as `SlotsReader` does
    within one bulk read); texts that fail to parse are not remembered and fail every time.
    """
    parsed: dict[Any, ResourceSlot] = {}

    def read(value: Any) -> ResourceSlot | None:
        slot = parsed.get(value)
        if slot is None:
            slot = _slots_from_sqlite(value)
            if slot is not None and type(value) is str:
                if len(parsed) >= _SLOT_TEXTS_REMEMBERED:
                    parsed.clear()
                parsed[value] = slot
        return slot

    return read


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
        return _slots_or_none(value)

    def result_processor(
        self, dialect: Dialect, coltype: object
    ) -> ResultProcessor[ResourceSlot] | None:
        if _uses_own_sqlite_decoding(dialect):
            return _sqlite_slots_reader()
        if self.impl_instance.result_processor(dialect, coltype) is None:
            return _slots_or_none
        return super().result_processor(dialect, coltype)


# --- Timestamps -------------------------------------------------------------------------

_fromisoformat = datetime.fromisoformat


def _as_utc(moment: datetime | None) -> datetime | None:
    """Aware in UTC: naive values are UTC already (SQLite), others are converted."""
    if moment is None or moment.tzinfo is UTC:  # what asyncpg returns: nothing to convert
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _utc_from_sqlite(value: Any) -> datetime | None:
    """The stored text as an aware UTC datetime.

    SQLAlchemy stores "YYYY-MM-DD HH:MM:SS.ffffff" in UTC without an offset; with "+00:00"
    appended, `fromisoformat` builds the aware value in one C call (`replace(tzinfo=…)` after
    the parse costs several times the parse). Text that already carries an offset, or that
    does not come out aware in UTC that way, takes SQLAlchemy's path: `fromisoformat` of the
    text as stored (raising what it always raised), then `_as_utc`.
    """
    if value is None:
        return None
    try:
        moment = _fromisoformat(value + "+00:00")
    except (TypeError, ValueError):
        pass
    else:
        # A date alone ("2026-01-02") reads the appended offset as a time of day instead.
        if moment.tzinfo is UTC:
            return moment
    return _as_utc(_fromisoformat(value))


def _sqlite_text_writer(
    to_utc: Callable[[Any, Dialect], datetime | None], dialect: Dialect
) -> Callable[[Any], str | None]:
    """What SQLAlchemy stores on SQLite for an aware datetime, "YYYY-MM-DD HH:MM:SS.ffffff" in
    UTC, in one call instead of two (`to_utc` still checks and converts; a naive value is
    refused as before).

    A batch writes one timestamp into many rows: the text of the last value is kept and
    handed out again for the very same object (datetimes are immutable).
    """
    # One (value, text) pair, replaced whole, so a reader never pairs one with another's text.
    last: list[tuple[Any, str | None]] = [(None, None)]

    def to_text(value: Any) -> str | None:
        seen, text = last[0]
        if value is seen:
            return text
        moment = to_utc(value, dialect)
        if moment is not None:
            text = moment.replace(tzinfo=None).isoformat(" ", "microseconds")
        else:
            text = None
        last[0] = (value, text)
        return text

    return to_text


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
        return _as_utc(value)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_text_writer(self.process_bind_param, dialect)

    def result_processor(
        self, dialect: Dialect, coltype: object
    ) -> ResultProcessor[datetime] | None:
        if dialect.name == "sqlite":
            return _utc_from_sqlite
        if self.impl_instance.result_processor(dialect, coltype) is None:
            return _as_utc
        return super().result_processor(dialect, coltype)
