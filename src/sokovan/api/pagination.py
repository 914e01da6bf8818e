"""Opaque page cursors: a `SessionCursor` as URL-safe base64 of a small JSON object."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime

from sokovan.common.errors import InvalidInputError
from sokovan.common.ids import SessionId
from sokovan.repositories.api.types import SessionCursor

CURSOR_MAX = 256


class InvalidCursorError(InvalidInputError):
    """The cursor was not produced by this API (or was altered)."""


def encode_cursor(cursor: SessionCursor) -> str:
    payload = {"t": cursor.created_at.isoformat(), "id": str(cursor.session_id)}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(text: str) -> SessionCursor:
    """The cursor `encode_cursor` made; `InvalidCursorError` for anything else."""
    try:
        if len(text) > CURSOR_MAX:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        payload = json.loads(raw)
        created_at = datetime.fromisoformat(payload["t"])
        session_id = SessionId(uuid.UUID(payload["id"]))
    except (ValueError, TypeError, KeyError, binascii.Error) as exc:
        raise InvalidCursorError(
            f"invalid cursor ({exc}); pass the next_cursor of a previous page unchanged"
        ) from None
    if created_at.utcoffset() is None:
        raise InvalidCursorError("invalid cursor (no time zone); pass next_cursor unchanged")
    return SessionCursor(created_at, session_id)
