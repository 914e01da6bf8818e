"""Column types: what values read back as, whichever driver produced them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql

from sokovan.common.status import SessionStatus
from sokovan.db.types import StrEnumType, UtcDateTime, _StoredUuids

DIALECT = postgresql.dialect()


def test_stored_enum_values_read_back_as_members() -> None:
    column_type = StrEnumType(SessionStatus)

    assert column_type.process_result_value("PENDING", DIALECT) is SessionStatus.PENDING
    assert column_type.process_result_value(None, DIALECT) is None


def test_unknown_enum_values_fail_loudly() -> None:
    with pytest.raises(ValueError, match="NOT_A_STATUS"):
        StrEnumType(SessionStatus).process_result_value("NOT_A_STATUS", DIALECT)


def test_timestamps_read_back_aware_in_utc() -> None:
    column_type = UtcDateTime()
    utc = datetime(2026, 3, 1, 12, tzinfo=UTC)
    elsewhere = datetime(2026, 3, 1, 21, tzinfo=timezone(timedelta(hours=9)))

    assert column_type.process_result_value(utc, DIALECT) is utc
    assert column_type.process_result_value(elsewhere, DIALECT) == utc
    assert column_type.process_result_value(elsewhere, DIALECT).tzinfo is UTC
    assert column_type.process_result_value(utc.replace(tzinfo=None), DIALECT) == utc
    assert column_type.process_result_value(None, DIALECT) is None


def test_stored_ids_are_decoded_once_and_shared() -> None:
    memo = _StoredUuids(limit=2)
    text = "12345678123456781234567812345678"

    first = memo[text]
    assert first == uuid.UUID(text)
    assert memo[text] is first
    assert memo[None] is None


def test_the_stored_id_memo_forgets_everything_at_its_limit() -> None:
    memo = _StoredUuids(limit=2)
    texts = [f"{n:032x}" for n in range(3)]
    kept = memo[texts[0]]
    memo[texts[1]]

    memo[texts[2]]

    assert len(memo) == 1
    assert memo[texts[0]] == kept
    assert memo[texts[0]] is not kept  # decoded again after the reset


def test_a_malformed_stored_id_fails_as_before_and_is_not_remembered() -> None:
    memo = _StoredUuids(limit=8)

    with pytest.raises(ValueError, match="badly formed"):
        memo["not-a-uuid"]
    assert "not-a-uuid" not in memo
