"""The UI's shorter switch interval applies only while the app runs and is always restored."""

from __future__ import annotations

import sys

import pytest

from workbench.switching import UI_SWITCH_INTERVAL_S, quick_switching


def test_interval_is_short_inside_and_restored_after() -> None:
    before = sys.getswitchinterval()
    assert before > UI_SWITCH_INTERVAL_S  # Python's default (5 ms) is longer than the UI's
    with quick_switching():
        assert sys.getswitchinterval() == pytest.approx(UI_SWITCH_INTERVAL_S)
    assert sys.getswitchinterval() == before


def test_interval_is_restored_when_the_app_fails() -> None:
    before = sys.getswitchinterval()
    with pytest.raises(RuntimeError), quick_switching(0.002):
        assert sys.getswitchinterval() == pytest.approx(0.002)
        raise RuntimeError("the app stopped with an error")
    assert sys.getswitchinterval() == before
