"""Page cursors survive a round trip and refuse anything they did not produce."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from sokovan.api.pagination import InvalidCursorError, decode_cursor, encode_cursor
from sokovan.common.ids import SessionId
from sokovan.repositories.api.types import SessionCursor


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, 12, 30, 15, 123456, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=9))),
    ],
)
def test_cursor_round_trips(moment: datetime) -> None:
    cursor = SessionCursor(moment, SessionId(uuid.uuid4()))
    encoded = encode_cursor(cursor)
    assert encoded.isascii()
    assert "=" not in encoded
    assert decode_cursor(encoded) == cursor


@pytest.mark.parametrize(
    "text",
    [
        "",
        "%%%",
        "ünïcode",
        _b64("not json"),
        _b64("[1, 2]"),
        _b64('{"t": 5, "id": "x"}'),
        _b64('{"t": "2026-01-01T00:00:00+00:00"}'),
        _b64('{"t": "2026-01-01T00:00:00+00:00", "id": "nope"}'),
        _b64('{"t": "2026-01-01T00:00:00", "id": "' + str(uuid.UUID(int=7)) + '"}'),
        "A" * 300,
    ],
)
def test_foreign_cursors_are_refused(text: str) -> None:
    with pytest.raises(InvalidCursorError, match="cursor"):
        decode_cursor(text)
