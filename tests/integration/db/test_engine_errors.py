"""Every way of naming an unusable database ends in a `DatabaseError` that says what to fix."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy.engine import make_url

from sokovan.common.errors import DatabaseError
from sokovan.db.engine import check_connection, create_engine, parse_database_url
from sokovan.db.migrate import current_revision


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nonsense://", "unsupported database backend 'nonsense'"),
        ("mysql://root:pw@localhost/sokovan", "unsupported database backend 'mysql'"),
        ("sqlite://", "a SQLite URL needs a file path"),
        ("postgresql://db.internal", "names no database: append /DATABASE"),
        ("", "malformed database URL"),
    ],
)
def test_unusable_urls_are_refused_before_connecting(url: str, message: str) -> None:
    with pytest.raises(DatabaseError, match=message) as caught:
        parse_database_url(url)
    assert ":pw@" not in str(caught.value)


def test_a_non_numeric_port_is_a_database_error() -> None:
    with pytest.raises(DatabaseError, match="malformed database URL"):
        parse_database_url("postgresql://x:y@:notaport/db")


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///sokovan.db", "sqlite+aiosqlite"),
        ("postgresql://u@h/db", "postgresql+asyncpg"),
        ("postgres://u@h/db", "postgresql+asyncpg"),
    ],
)
def test_supported_urls_get_the_async_driver(url: str, driver: str) -> None:
    assert parse_database_url(url).drivername == driver


async def test_an_unreachable_server_fails_fast_with_advice() -> None:
    engine = create_engine("postgresql://postgres@127.0.0.1:1/nothing")
    started = time.monotonic()
    try:
        with pytest.raises(DatabaseError, match="cannot connect to the database") as caught:
            await check_connection(engine)
    finally:
        await engine.dispose()
    assert time.monotonic() - started <= 12
    assert "Check that the server is running" in str(caught.value)


async def test_a_missing_database_on_a_live_server_is_named(pg_url: str) -> None:
    name = f"sokovan_missing_{uuid.uuid4().hex[:8]}"
    engine = create_engine(make_url(pg_url).set(database=name).render_as_string(False))
    try:
        with pytest.raises(DatabaseError, match=f'database "{name}" does not exist'):
            await current_revision(engine)
    finally:
        await engine.dispose()


async def test_the_password_is_never_shown(pg_url: str) -> None:
    url = make_url(pg_url).set(username="nobody", password="hunter2", database="nothing")
    engine = create_engine(url.render_as_string(False))
    try:
        with pytest.raises(DatabaseError) as caught:
            await check_connection(engine)
    finally:
        await engine.dispose()
    assert "hunter2" not in str(caught.value)
