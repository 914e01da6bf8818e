"""Column types: what values read back as, whichever driver produced them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql

from sokovan.common.status import SessionStatus
from sokovan.db.types import StrEnumType, UtcDateTime

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
