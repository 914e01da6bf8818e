"""The limit/offset window of the administration lists."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from sokovan.api.schemas.common import INT32_MAX
from sokovan.repositories.api.types import ListWindow

MAX_PAGE = 500


def list_window(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0,
) -> ListWindow:
    return ListWindow(limit=limit, offset=offset)


Window = Annotated[ListWindow, Depends(list_window)]
