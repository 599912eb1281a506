"""The console's start-up path (tui/launch.py): Textual's import runs with the cyclic GC off, and the
console itself always runs with it on again."""

from __future__ import annotations

import gc
from pathlib import Path

from gtsd_tui.tui.launch import _new_app
from tests.helpers.fake_console import FakeConsole

ROOT = Path(__file__).resolve().parent.parent


def test_the_gc_is_on_again_once_the_app_is_made() -> None:
    assert gc.isenabled()
    app = _new_app(FakeConsole(ROOT / "migrations"), False)
    assert gc.isenabled()  # the console runs for hours: its garbage must be collected
    assert app.read_only is False
    gc.unfreeze()  # the test process keeps going: its objects go back to the collector


def test_a_caller_that_had_the_gc_off_keeps_it_off() -> None:
    gc.disable()
    try:
        _new_app(FakeConsole(ROOT / "migrations"), True)
        assert not gc.isenabled()
    finally:
        gc.enable()
