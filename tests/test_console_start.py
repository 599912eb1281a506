"""The console's start-up path (tui/launch.py): Textual's import and the first frame with tags run with
the cyclic GC off, and the console itself always runs with it on again (after that frame, after two
seconds without it, or when the app ends)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from gtsd_tui.tui.launch import _new_app
from tests.helpers.fake_console import FakeConsole

ROOT = Path(__file__).resolve().parent.parent


def test_the_gc_is_held_off_until_the_app_releases_it() -> None:
    assert gc.isenabled()
    app = _new_app(FakeConsole(ROOT / "migrations"), False)
    try:
        assert not gc.isenabled() and app.gc_held  # the mount and the first frame run without it
        assert app.read_only is False
        app.release_gc()
        assert gc.isenabled() and not app.gc_held  # the console runs for hours: its garbage must be collected
        app.release_gc()  # once: a second call changes nothing
        assert gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()  # the test process keeps going: its objects go back to the collector


async def test_the_gc_is_on_again_once_the_first_frame_with_tags_is_painted(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console started as launch.py starts it (GC held): the first frame with tags lists the outline
    (the state held back), and the GC is on just after it, long before the two seconds' safety."""
    from gtsd_tui.tui.app import GtsdApp
    from tests.test_console_outline import SAMPLE_TAGS, HeldBack

    monkeypatch.setattr(GtsdApp, "GC_SAFETY", 60.0)  # only the frame can have released it
    held = HeldBack(monkeypatch)
    app = _new_app(held.fake, False)
    try:
        async with app.run_test(size=(120, 34)) as pilot:
            table = app.main_screen.query_one("#pending-table")
            for _ in range(200):
                if gc.isenabled():
                    break
                await pilot.pause(0.02)
            assert gc.isenabled() and not app.gc_held
            assert table.keys == SAMPLE_TAGS and app.state is None  # released by the outline's frame
            held.go.set()
    finally:
        gc.enable()
        gc.unfreeze()


async def test_without_a_first_frame_the_gc_is_on_again_after_two_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """No outline and a state that does not come: the GC does not stay off while the console waits."""
    from tests.test_console_outline import HeldBack

    held = HeldBack(monkeypatch)
    held.tags = None  # no outline: the first frame with tags waits for the state, held back
    app = _new_app(held.fake, False)
    try:
        async with app.run_test(size=(120, 34)) as pilot:
            for _ in range(200):
                if gc.isenabled():
                    break
                await pilot.pause(0.05)
            assert gc.isenabled() and app.state is None
            held.go.set()
    finally:
        gc.enable()
        gc.unfreeze()


def test_a_caller_that_had_the_gc_off_keeps_it_off() -> None:
    gc.disable()
    try:
        _new_app(FakeConsole(ROOT / "migrations"), True)
        assert not gc.isenabled()
    finally:
        gc.enable()
