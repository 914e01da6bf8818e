"""Decoding result rows: the scheduler's session read, and the column types' processors alone.

Both are measured against the column types as they were before their result processing was
flattened, **in the same run**: `legacy_type` rebuilds those (plain `sa.Uuid`, `sa.JSON`, the
`TypeDecorator`s whose `process_result_value` ran after SQLAlchemy's own processors, and
`ResourceSlot(data or {})` for slots).

* *read*: `SchedulerRepository.search_sessions_with_kernels_for_handler` over all `--sessions`
  sessions (one kernel each) of a throwaway database: SQLite, and PostgreSQL too with
  `--postgres-url`. The reference reads through copies of the tables that carry the legacy
  types, on an engine of its own. Medians of `--repeat` runs of each, taken alternately, of
  wall time and of the process's CPU time.
* *decode*: only the result processors of the `sessions` and `kernels` columns, over the
  values the driver returned for those rows: SQLite's stored text, and for PostgreSQL the
  objects asyncpg hands over (built from the decoded rows; no server needed). Nanoseconds per
  value by kind of column, best of runs; "all columns" averages over every value of a row,
  those of columns without a processor included. Each run starts with new processors, so
  the SQLite slot reader starts with nothing remembered; "slots, all distinct" is the case
  where it never finds a text again.

Loading the rows is not timed. Prints Rich tables and the 1-minute load average before and
after; `--json` writes every number.

    .venv/bin/python benchmarks/row_decoding.py                     # ~15 s
    .venv/bin/python benchmarks/row_decoding.py --sessions 2000 --repeat 11 \
        --postgres-url postgresql://postgres@127.0.0.1:5432/test --json rows.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.dialects.sqlite import aiosqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ClusterMode, SessionType
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.db.engine import create_engine
from sokovan.db.migrate import upgrade
from sokovan.db.types import ResourceSlotType, StrEnumType, UtcDateTime
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.repositories.scheduler.conditions import SessionQuerier

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ACCESS_KEY = "AKBENCHROWDECODING"

# --- The column types before this change ------------------------------------------------


class LegacyStrEnumType(sa.TypeDecorator[Any]):
    impl = sa.String(64)
    cache_ok = True

    def __init__(self, enum_cls: type[StrEnum]) -> None:
        super().__init__()
        self.enum_cls = enum_cls
        self._members = {member.value: member for member in enum_cls}

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_cls(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        member = self._members.get(value)
        return self.enum_cls(value) if member is None else member


class LegacyResourceSlotType(sa.TypeDecorator[ResourceSlot]):
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
        # The body `ResourceSlot.from_json` had: the constructor's checked path.
        return None if value is None else ResourceSlot(value or {})


class LegacyUtcDateTime(sa.TypeDecorator[datetime]):
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
        if moment.tzinfo is UTC:
            return moment
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


def legacy_type(column: sa.Column[Any]) -> sa.types.TypeEngine[Any]:
    """The type `column` had before; types this change left alone are returned as they are."""
    current = column.type
    if isinstance(current, sa.Uuid):
        return sa.Uuid()
    if isinstance(current, StrEnumType):
        return LegacyStrEnumType(current.enum_cls)
    if isinstance(current, ResourceSlotType):
        return LegacyResourceSlotType()
    if isinstance(current, UtcDateTime):
        return LegacyUtcDateTime()
    if isinstance(current, sa.JSON):  # PortableJSON
        return sa.JSON().with_variant(JSONB(), "postgresql")
    return current


def legacy_tables(names: Sequence[str]) -> dict[str, sa.Table]:
    """Copies of the named tables whose columns carry the legacy types."""
    copies = sa.MetaData()
    tables: dict[str, sa.Table] = {}
    for table in t.metadata.sorted_tables:
        copy = table.to_metadata(copies)
        for column in copy.columns:
            column.type = legacy_type(table.c[column.name])
        tables[table.name] = copy
    return {name: tables[name] for name in names}


@contextlib.contextmanager
def tables_swapped(replacements: dict[str, sa.Table]) -> Iterator[None]:
    """`sokovan.db.tables.<name>` is each replacement while the block runs.

    The read path looks its tables up as `t.sessions`, `t.kernels`, … at call time.
    """
    originals = {name: getattr(t, name) for name in replacements}
    for name, table in replacements.items():
        setattr(t, name, table)
    try:
        yield
    finally:
        for name, table in originals.items():
            setattr(t, name, table)


# --- Loading (not timed) ----------------------------------------------------------------


def _slots(i: int) -> ResourceSlot:
    shape: dict[str, Any] = {"cpu": 1 + i % 8, "mem": (1 + i % 4) * 2**30}
    if i % 5 == 0:
        shape["cuda.shares"] = "0.5"
    return ResourceSlot(shape)


async def load(engine: AsyncEngine, sessions: int) -> None:
    """One tenant and scaling group, `sessions` PENDING sessions with one kernel each."""
    await upgrade(engine)
    group_id, user_id = uuid.uuid4(), uuid.uuid4()
    session_rows: list[dict[str, Any]] = []
    kernel_rows: list[dict[str, Any]] = []
    for i in range(sessions):
        session_id = uuid.uuid4()
        # Every other timestamp on a whole second: both spellings of the stored text occur.
        created = T0 + timedelta(seconds=i, microseconds=(i * 7919) % 1_000_000 * (i % 2))
        slots = _slots(i)
        session_rows.append(
            {
                "id": session_id,
                "creation_id": uuid.uuid4().hex[:16],
                "name": f"s-{i}",
                "session_type": SessionType.INTERACTIVE if i % 3 else SessionType.BATCH,
                "priority": 10,
                "cluster_mode": ClusterMode.SINGLE_NODE,
                "cluster_size": 1,
                "domain_name": "default",
                "group_id": group_id,
                "user_id": user_id,
                "access_key": ACCESS_KEY,
                "scaling_group": "default",
                "status": SessionStatus.PENDING,
                "status_data": {"scheduler": {"retries": i % 4}} if i % 2 else None,
                "status_changed": created,
                "requested_slots": slots,
                "occupying_slots": ResourceSlot(),
                "designated_agent_ids": ["agent-1", "agent-2"] if i % 10 == 0 else None,
                "starts_at": created + timedelta(minutes=5) if i % 7 == 0 else None,
                "environ": {"LANG": "C.UTF-8"},
                "created_at": created,
            }
        )
        kernel_rows.append(
            {
                "id": uuid.uuid4(),
                "session_id": session_id,
                "access_key": ACCESS_KEY,
                "scaling_group": "default",
                "cluster_hostname": "main1",
                "image": "python:3.11",
                "architecture": "x86_64",
                "requested_slots": slots,
                "occupied_slots": ResourceSlot(),
                "status": KernelStatus.PENDING,
                "status_changed": created,
                "service_ports": [],
                "created_at": created,
            }
        )
    async with engine.begin() as conn:
        await conn.execute(t.domains.insert(), [{"name": "default", "created_at": T0}])
        await conn.execute(
            t.groups.insert(),
            [{"id": group_id, "name": "default", "domain_name": "default", "created_at": T0}],
        )
        await conn.execute(
            t.users.insert(),
            [
                {
                    "id": user_id,
                    "email": "bench@example.com",
                    "username": "bench",
                    "domain_name": "default",
                    "created_at": T0,
                }
            ],
        )
        await conn.execute(
            t.keypairs.insert(),
            [
                {
                    "access_key": ACCESS_KEY,
                    "secret_key_hash": "unused",
                    "user_id": user_id,
                    "created_at": T0,
                }
            ],
        )
        await conn.execute(t.scaling_groups.insert(), [{"name": "default", "created_at": T0}])
        await conn.execute(t.sessions.insert(), session_rows)
        await conn.execute(t.kernels.insert(), kernel_rows)


# --- The read -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReadResult:
    """Milliseconds per read: wall time, and CPU time of the process (all its threads)."""

    backend: str
    sessions: int
    legacy_wall_runs: list[float]
    current_wall_runs: list[float]
    legacy_cpu_runs: list[float]
    current_cpu_runs: list[float]

    @property
    def wall_ratio(self) -> float:
        return statistics.median(self.current_wall_runs) / statistics.median(self.legacy_wall_runs)

    @property
    def cpu_ratio(self) -> float:
        return statistics.median(self.current_cpu_runs) / statistics.median(self.legacy_cpu_runs)


async def _timed_read(engine: AsyncEngine, expected: int) -> tuple[float, float]:
    # Each run starts from the same garbage-collector state: otherwise a collection of the
    # previous run's objects lands in whichever run comes next.
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    found = await SchedulerRepository(engine).search_sessions_with_kernels_for_handler(
        SessionQuerier(())
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert len(found) == expected
    assert all(len(s.kernel_infos) == 1 for s in found)
    return wall * 1000, cpu * 1000


async def measure_read(url: str, backend: str, sessions: int, repeat: int) -> ReadResult:
    """Reads through the legacy and the current types, taken alternately."""
    legacy = legacy_tables(["sessions", "kernels"])
    legacy_engine, current_engine = create_engine(url), create_engine(url)
    wall: dict[str, list[float]] = {"legacy": [], "current": []}
    cpu: dict[str, list[float]] = {"legacy": [], "current": []}
    try:
        for round_ in range(repeat + 1):  # round 0 warms both up and is dropped
            order = ["legacy", "current"] if round_ % 2 else ["current", "legacy"]
            for which in order:
                if which == "legacy":
                    with tables_swapped(legacy):
                        times = await _timed_read(legacy_engine, sessions)
                else:
                    times = await _timed_read(current_engine, sessions)
                if round_:
                    wall[which].append(times[0])
                    cpu[which].append(times[1])
    finally:
        await legacy_engine.dispose()
        await current_engine.dispose()
    return ReadResult(
        backend, sessions, wall["legacy"], wall["current"], cpu["legacy"], cpu["current"]
    )


# --- Decoding alone ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecodeResult:
    backend: str
    kind: str
    values: int
    legacy_ns: float
    current_ns: float

    @property
    def ratio(self) -> float:
        return self.current_ns / self.legacy_ns


def kind_of(column: sa.Column[Any]) -> str:
    current = column.type
    if isinstance(current, sa.Uuid):
        return "uuid"
    if isinstance(current, UtcDateTime):
        return "timestamp"
    if isinstance(current, ResourceSlotType):
        return "resource slot"
    if isinstance(current, StrEnumType):
        return "enum"
    if isinstance(current, sa.JSON):
        return "json"
    return "other"


def processor(type_: sa.types.TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    return type_.dialect_impl(dialect).result_processor(dialect, None)


def _ns_per_value(
    columns: list[tuple[sa.types.TypeEngine[Any], list[Any]]], dialect: Dialect, repeat: int
) -> float:
    """Best of `repeat`: every column's processor over its values, ns per value.

    Each pass starts from new processors, so a processor that remembers what it decoded
    (the SQLite slot reader) starts every pass empty, as on a new engine.
    """
    values = sum(len(raw) for _, raw in columns)
    best = float("inf")
    for _ in range(repeat):
        passes = [(processor(type_, dialect), raw) for type_, raw in columns]
        started = time.perf_counter_ns()
        for process, raw in passes:
            if process is not None:
                for _ in map(process, raw):
                    pass
        best = min(best, time.perf_counter_ns() - started)
    return best / values


def measure_decode(
    backend: str, dialect: Dialect, columns: dict[sa.Column[Any], list[Any]], repeat: int
) -> list[DecodeResult]:
    by_kind: dict[str, list[sa.Column[Any]]] = {}
    for column in columns:
        by_kind.setdefault(kind_of(column), []).append(column)
    by_kind.pop("other", None)  # no processor either way
    by_kind["all columns"] = list(columns)
    results = []
    for kind, members in by_kind.items():
        legacy = [(legacy_type(c), columns[c]) for c in members]
        current = [(c.type, columns[c]) for c in members]
        # Alternate, so that drift on a shared machine hits both alike.
        legacy_ns, current_ns = [], []
        for _ in range(3):
            legacy_ns.append(_ns_per_value(legacy, dialect, repeat))
            current_ns.append(_ns_per_value(current, dialect, repeat))
        values = sum(len(columns[c]) for c in members)
        results.append(DecodeResult(backend, kind, values, min(legacy_ns), min(current_ns)))
    return results


def measure_distinct_slots(dialect: Dialect, count: int, repeat: int) -> DecodeResult:
    """Slot texts that are all different: nothing a reader remembers is ever read again."""
    texts = [
        json.dumps(ResourceSlot({"cpu": f"{1 + i % 64}.{i}", "mem": 2**30 + i}).to_json())
        for i in range(count)
    ]
    legacy = [(LegacyResourceSlotType(), texts)]
    current = [(ResourceSlotType(), texts)]
    legacy_ns = min(_ns_per_value(legacy, dialect, repeat) for _ in range(3))
    current_ns = min(_ns_per_value(current, dialect, repeat) for _ in range(3))
    return DecodeResult("sqlite", "slots, all distinct", count, legacy_ns, current_ns)


def stored_values(path: Path) -> dict[sa.Column[Any], list[Any]]:
    """Each column of `sessions` and `kernels` as the SQLite driver returns it."""
    found: dict[sa.Column[Any], list[Any]] = {}
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for table in (t.sessions, t.kernels):
            names = [column.name for column in table.columns]
            rows = conn.execute(f"SELECT {', '.join(names)} FROM {table.name}").fetchall()
            for i, name in enumerate(names):
                found[table.c[name]] = [row[i] for row in rows]
    return found


def asyncpg_values(stored: dict[sa.Column[Any], list[Any]]) -> dict[sa.Column[Any], list[Any]]:
    """What asyncpg returns for the same rows: aware UTC datetimes, UUIDs, decoded JSON."""
    decoded: dict[sa.Column[Any], list[Any]] = {}
    for column, raw in stored.items():
        process = processor(column.type, sqlite.dialect())
        values = raw if process is None else [process(value) for value in raw]
        if isinstance(column.type, ResourceSlotType):
            values = [None if v is None else v.to_json() for v in values]
        elif isinstance(column.type, StrEnumType):
            values = [None if v is None else v.value for v in values]
        decoded[column] = values
    return decoded


# --- Reporting ----------------------------------------------------------------------------


def report(
    console: Console,
    reads: list[ReadResult],
    decodes: list[DecodeResult],
    load: tuple[float, float],
) -> None:
    table = Table(title="Session read (search_sessions_with_kernels_for_handler), medians")
    headers = ("backend", "sessions", "legacy wall ms", "current wall ms", "wall ratio")
    for header in (*headers, "legacy CPU ms", "current CPU ms", "CPU ratio"):
        table.add_column(header, justify="right")
    for read in reads:
        table.add_row(
            read.backend,
            f"{read.sessions:,}",
            f"{statistics.median(read.legacy_wall_runs):.1f}",
            f"{statistics.median(read.current_wall_runs):.1f}",
            f"{read.wall_ratio:.2f}",
            f"{statistics.median(read.legacy_cpu_runs):.1f}",
            f"{statistics.median(read.current_cpu_runs):.1f}",
            f"{read.cpu_ratio:.2f}",
        )
    console.print(table)
    table = Table(title="Result processors alone, ns per value (best of runs)")
    for header in ("backend", "column kind", "values", "legacy ns", "current ns", "ratio"):
        table.add_column(header, justify="right")
    for decode in decodes:
        table.add_row(
            decode.backend,
            decode.kind,
            f"{decode.values:,}",
            f"{decode.legacy_ns:.0f}",
            f"{decode.current_ns:.0f}",
            f"{decode.ratio:.2f}",
        )
    console.print(table)
    console.print(f"1-minute load average: {load[0]:.2f} before, {load[1]:.2f} after")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    reads: list[ReadResult] = []
    with tempfile.TemporaryDirectory(prefix="sokovan-rows-") as scratch:
        path = Path(scratch) / "rows.db"
        url = f"sqlite:///{path}"
        engine = create_engine(url)
        try:
            await load(engine, args.sessions)
        finally:
            await engine.dispose()
        reads.append(await measure_read(url, "sqlite", args.sessions, args.repeat))
        stored = stored_values(path)
    if args.postgres_url:
        reads.append(await _postgres_read(args))
    pg_dialect = pg_asyncpg.dialect()
    sqlite_dialect = aiosqlite.dialect()
    decodes = measure_decode("sqlite", sqlite_dialect, stored, args.repeat)
    decodes.append(measure_distinct_slots(sqlite_dialect, args.sessions * 4, args.repeat))
    decodes += measure_decode("postgresql", pg_dialect, asyncpg_values(stored), args.repeat)
    return {"reads": reads, "decodes": decodes}


async def _postgres_read(args: argparse.Namespace) -> ReadResult:
    from _database import Databases

    databases = Databases(args.postgres_url)
    try:
        name = await databases.create()
        url = databases.url_of(name)
        engine = create_engine(url)
        try:
            await load(engine, args.sessions)
        finally:
            await engine.dispose()
        await databases.vacuum(name)
        return await measure_read(url, "postgresql", args.sessions, args.repeat)
    finally:
        await databases.drop_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=11, help="measured runs per variant")
    parser.add_argument(
        "--postgres-url",
        help="also read on PostgreSQL, in a database created next to this one and dropped",
    )
    parser.add_argument("--json", type=Path, help="write every number to this file")
    args = parser.parse_args()
    console = Console(width=120)
    load_before = os.getloadavg()[0]
    results = asyncio.run(run(args))
    load = (load_before, os.getloadavg()[0])
    report(console, results["reads"], results["decodes"], load)
    if args.json:
        payload = {
            "reads": [
                asdict(read) | {"wall_ratio": read.wall_ratio, "cpu_ratio": read.cpu_ratio}
                for read in results["reads"]
            ],
            "decodes": [asdict(d) | {"ratio": d.ratio} for d in results["decodes"]],
            "load_average_1min": load,
        }
        args.json.write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
