"""Snapshot tests: fixed size, the repository's sample folder, an unreachable database, no timers."""

from __future__ import annotations

from pathlib import Path

import pytest

from gtsd_tui.config import load_settings
from gtsd_tui.services.console import ConsoleBackend
from gtsd_tui.services.project import Project
from gtsd_tui.tui.app import GtsdApp
from gtsd_tui.tui.screens.confirm import ConfirmScreen
from gtsd_tui.tui.screens.error import ErrorScreen

ROOT = Path(__file__).resolve().parent.parent
OFFLINE = "postgresql://app:secret@127.0.0.1:1/gtsd"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> GtsdApp:
    monkeypatch.chdir(ROOT)
    project = Project(load_settings(cwd=ROOT, database_url=OFFLINE, migrations="migrations", environ={}))
    return GtsdApp(ConsoleBackend(project), live=False)


async def _loaded(pilot) -> None:
    for _ in range(200):
        if pilot.app.state is not None and pilot.app.preview_tag is not None:
            break
        await pilot.pause(0.05)
    await pilot.pause(0.2)


def test_main_screen(snap_compare, app: GtsdApp) -> None:
    assert snap_compare(app, terminal_size=(120, 34), run_before=_loaded)


def test_narrow_layout(snap_compare, app: GtsdApp) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=_loaded)


def test_help_screen(snap_compare, app: GtsdApp) -> None:
    async def before(pilot) -> None:
        await _loaded(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=(120, 34), run_before=before)


def test_confirm_dialog(snap_compare, app: GtsdApp) -> None:
    async def before(pilot) -> None:
        await _loaded(pilot)
        body = (
            "apply 2 migration(s), each in its own transaction with its row:\n"
            "  • 0002_partners\n  • 0003_today_checklist"
        )
        pilot.app.push_screen(ConfirmScreen("Apply all pending migrations?", body))
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=(120, 34), run_before=before)


def test_error_dialog(snap_compare, app: GtsdApp) -> None:
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
                ],
            )
        )
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=(120, 34), run_before=before)
