"""Reading resource-slot columns in bulk: each distinct JSON text is parsed once per read.

The thousands of sessions, kernels and agents of a scaling group hold a few dozen distinct
slot shapes, and decoding JSON and parsing its decimal strings is most of the cost of reading
such a row. A bulk read therefore selects slot columns as text and parses each distinct text
once; rows with equal text share one `ResourceSlot`, which is immutable. The result is what
the column type would have read (`ResourceSlot.from_json` of the decoded JSON).
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from sokovan.common.resource_slot import ResourceSlot


def slots_text(column: sa.ColumnElement[Any], name: str) -> sa.Label[str]:
    """`column` (a slot column or expression) selected as its JSON text, labelled `name`."""
    return sa.cast(column, sa.Text).label(name)


class SlotsReader:
    """Turns the texts `slots_text` selects into slots, parsing each distinct text once."""

    __slots__ = ("_parsed",)

    def __init__(self) -> None:
        self._parsed: dict[str, ResourceSlot] = {}

    def __call__(self, text: str) -> ResourceSlot:
        parsed = self._parsed.get(text)
        if parsed is None:
            parsed = self._parsed[text] = ResourceSlot.from_json(json.loads(text))
        return parsed
