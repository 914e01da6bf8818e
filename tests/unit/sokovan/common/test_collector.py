"""collector_paused: nested and overlapping pauses, and an application's own choice kept."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from sokovan.common.collector import SERVING_THRESHOLDS, collector_paused, settle_for_serving


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_runs_again_once_the_last_pause_ends() -> None:
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_pauses_end_in_any_order() -> None:
    gc.enable()
    first, second = collector_paused(), collector_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_the_application_disabled_stays_disabled() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_the_collector_runs_again_after_an_error() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_settling_for_serving_freezes_the_heap_and_raises_the_thresholds() -> None:
    thresholds = gc.get_threshold()
    try:
        settle_for_serving()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == SERVING_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
