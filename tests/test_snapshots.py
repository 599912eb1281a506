"""Snapshot tests over the fake console service: fixed sizes, the repository's sample folder, canned
statistics, no timers. Each pane at 80×24 (one pane shown) and 120×34 (all four)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gtsd_tui.tui.app import GtsdApp
from gtsd_tui.tui.screens.confirm import ConfirmScreen
from gtsd_tui.tui.screens.error import ErrorScreen
from gtsd_tui.tui.widgets.pane import Pane
from tests.helpers.fake_console import FakeConsole

ROOT = Path(__file__).resolve().parent.parent
APPLIED = ["0000_initial_schema", "0001_onboarding"]
SIZES = {"80x24": (80, 24), "120x34": (120, 34)}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeConsole:
    monkeypatch.chdir(ROOT)
    return FakeConsole(ROOT / "migrations", applied=APPLIED)


def make(fake: FakeConsole) -> GtsdApp:
    return GtsdApp(fake, live=False)


def _shown(app: GtsdApp, selector: str, holding: str = "") -> bool:
    """The widget has text, and its height is the one its text needs at its width: the layout that
    follows an update has run (a picture taken between the two showed the first line of a two-line
    note alone, on a loaded machine)."""
    found = app.main_screen.query(selector)
    if not found:
        return False
    widget = found.first()
    text = str(widget.render())
    if not text.strip() or holding not in text:
        return False
    width = widget.content_region.width
    needed = widget.get_content_height(widget.parent.size if widget.parent else app.size, app.size, width)
    return widget.content_region.height == needed  # (0 and 0 where the layout hides the pane)


async def _note_laid_out(pilot) -> None:
    """The conflicts note's height is the number of lines its text wraps to at its width, counted by
    Rich rather than read from Textual's own size cache; a layout is asked for until it is. Fresh-clone
    runs under load took the lost database's picture with a two-line note one line high, after
    ``_shown`` had seen Textual report the right height."""
    from rich.text import Text

    note = pilot.app.main_screen.query_one("#conflicts-note")
    for _ in range(100):
        width = note.content_region.width
        if not width or note.content_region.height == len(Text(str(note.render())).wrap(pilot.app.console, width)):
            return
        note.refresh(layout=True)
        await pilot.pause(0.05)


async def _loaded(pilot, polls: int = 3, note: str = "") -> None:
    """Composed, the state and preview loaded, the conflicts note drawn and laid out (holding ``note``:
    the folder's outline draws "no problems found" first, a failed read's note replaces it ~50 ms later)."""
    app: GtsdApp = pilot.app
    for _ in range(200):
        composed = not any(p.deferred for p in app.main_screen.query(Pane))  # some panes: after the first frame
        loaded = app.state is not None and app.pending.preview_tag is not None and app.state.findings is not None
        if composed and loaded and _shown(app, "#conflicts-note", note):  # the findings drawn, not only received
            break
        await pilot.pause(0.05)
    await _note_laid_out(pilot)
    fake = app.service
    for _ in range(polls):
        app.connections.show(fake.stats(indexes=False, instances=1))
    await pilot.pause(0.3)


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("pane", ["history", "pending", "conflicts", "connections"])
def test_pane(snap_compare, fake: FakeConsole, pane: str, size: str) -> None:
    async def before(pilot) -> None:
        await _loaded(pilot)
        pilot.app.action_focus_pane(pane)
        await pilot.pause(0.2)

    assert snap_compare(make(fake), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", list(SIZES))
def test_connections_after_300_polls(snap_compare, fake: FakeConsole, size: str) -> None:
    """The graphs keep to the pane's width: 300 polls later the layout is the one of the first polls."""

    async def before(pilot) -> None:
        await _loaded(pilot, polls=300)
        pilot.app.action_focus_pane("connections")
        await pilot.pause(0.2)

    assert snap_compare(make(fake), terminal_size=SIZES[size], run_before=before)


async def test_300_polls_leave_the_connections_layout_unchanged(fake: FakeConsole) -> None:
    app = make(fake)
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot, polls=3)
        app.action_focus_pane("connections")
        await pilot.pause(0.5)  # the first layout settled
        table = app.screen.query_one("#sessions-table")
        summary = app.screen.query_one("#stats-summary")
        before = (summary.region, table.region)
        for _ in range(300):
            app.connections.show(fake.stats(indexes=False, instances=1))
        await pilot.pause(0.5)
        assert (summary.region, table.region) == before
        lines = str(summary.render()).split("\n")
        assert all(len(line) <= summary.region.width for line in lines)


def test_paused_connections(snap_compare, fake: FakeConsole) -> None:
    async def before(pilot) -> None:
        await _loaded(pilot)
        await pilot.press("4", "space")
        await pilot.pause(0.2)

    assert snap_compare(make(fake), terminal_size=(80, 24), run_before=before)


def test_lost_database(snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    app = GtsdApp(FakeConsole(ROOT / "migrations", connected=False), live=False)

    async def before(pilot) -> None:
        await _loaded(pilot, polls=0, note="not checked")  # the failed read's note, not the outline's

    assert snap_compare(app, terminal_size=(120, 34), run_before=before)


def test_help_screen(snap_compare, fake: FakeConsole) -> None:
    async def before(pilot) -> None:
        await _loaded(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.2)

    assert snap_compare(make(fake), terminal_size=(120, 34), run_before=before)


def test_help_screen_at_80x24_scrolls_to_its_last_key(snap_compare, fake: FakeConsole) -> None:
    """At 80x24 the text and every key are reachable (before: the key list was cut off entirely)."""

    async def before(pilot) -> None:
        await _loaded(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        await pilot.press("end")
        await pilot.pause(0.3)

    assert snap_compare(make(fake), terminal_size=(80, 24), run_before=before)


def test_confirm_dialog(snap_compare, fake: FakeConsole) -> None:
    async def before(pilot) -> None:
        await _loaded(pilot)
        body = (
            "apply 2 migration(s), each in its own transaction with its row:\n"
            "  • 0002_partners\n  • 0003_today_checklist"
        )
        pilot.app.push_screen(ConfirmScreen("Apply all pending migrations?", body))
        await pilot.pause(0.2)

    assert snap_compare(make(fake), terminal_size=(120, 34), run_before=before)


def test_error_dialog(snap_compare, fake: FakeConsole) -> None:
    async def before(pilot) -> None:
        await _loaded(pilot)
        pilot.app.push_screen(
            ErrorScreen(
                "Migration failed",
                "migrations/0002_partners.sql:4:3",
                [
                    "SQLSTATE 42P01",
                    'relation "no_such_table" does not exist',
                    "    4 |   no_such_table;",
                    "          ^",
                    "CONTEXT: SQL statement in PL/pgSQL function",
                ],
            )
        )
        await pilot.pause(0.2)

    assert snap_compare(make(fake), terminal_size=(120, 34), run_before=before)
