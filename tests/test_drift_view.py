"""The console's Drift view and History's drift mark, on a real PostgreSQL and a project applied by the
real drizzle-orm migrator."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from gtsd_tui.config import load_settings
from gtsd_tui.services.console import ConsoleBackend
from gtsd_tui.services.project import Project
from gtsd_tui.tui.app import GtsdApp
from gtsd_tui.tui.drift_view import DriftScreen
from gtsd_tui.tui.widgets.sql_preview import SqlPreview
from tests.helpers.kit_project import KitProject
from tests.helpers.node import drizzle_migrate

SCHEMA = (Path(__file__).parent / "drift_schemas" / "app.ts").read_text()

pytestmark = [pytest.mark.pg, pytest.mark.node]


async def _wait(pilot, predicate, timeout: float = 20.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached in time")


async def test_drift_view_lists_the_fix_and_history_marks_drift(tmp_path: Path, pg_url: str) -> None:
    p = KitProject(tmp_path / "app")
    p.schema({"app.ts": SCHEMA})
    p.generate("init")
    assert drizzle_migrate(pg_url, p.folder).returncode == 0
    project = Project(load_settings(cwd=p.root, database_url=pg_url, migrations=str(p.folder), environ={}))
    app = GtsdApp(ConsoleBackend(project), live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await _wait(pilot, lambda: app.state is not None and app.state.db.connected)
        await pilot.pause(0.5)
        assert "drift" not in str(app.history.border_subtitle)

        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute('CREATE INDEX "hotfix_idx" ON "posts" ("slug")')
        app.action_refresh()
        await _wait(pilot, lambda: "drift: 1 difference" in str(app.history.border_subtitle))

        app.action_palette("drift")
        await _wait(pilot, lambda: isinstance(app.screen, DriftScreen) and app.screen.report is not None)
        lines = list(app.screen.query_one(SqlPreview).lines)
        assert 'DROP INDEX "hotfix_idx";' in lines
        assert any("index public.hotfix_idx" in line for line in lines)

        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute('DROP INDEX "hotfix_idx"')
        screen = app.screen
        await pilot.press("r")  # compare again
        await _wait(pilot, lambda: screen.report is not None and not screen.report.differences)
        await pilot.press("escape")
        await _wait(pilot, lambda: not isinstance(app.screen, DriftScreen))
        app.action_refresh()
        await _wait(pilot, lambda: str(app.history.border_subtitle) == "")


async def test_the_drift_mark_waits_while_a_rehearsal_keeps_the_consoles_sessions_away(
    tmp_path: Path, pg_url: str
) -> None:
    """History's drift mark reads the target on a connection of its own: while a rehearsal has the
    console's sessions step aside (so the copy can be made from the template), it waits, then marks."""
    import threading

    from gtsd_tui.tui.features import drift

    p = KitProject(tmp_path / "app")
    p.schema({"app.ts": SCHEMA})
    p.generate("init")
    assert drizzle_migrate(pg_url, p.folder).returncode == 0
    project = Project(load_settings(cwd=p.root, database_url=pg_url, migrations=str(p.folder), environ={}))
    backend = ConsoleBackend(project)
    app = GtsdApp(backend, live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await _wait(pilot, lambda: app.state is not None and app.state.db.connected)
        await pilot.pause(0.5)
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute('CREATE INDEX "hotfix_idx" ON "posts" ("slug")')
        aside, release, over = threading.Event(), threading.Event(), threading.Event()

        def rehearsal() -> None:
            with backend._gate.aside():  # what a rehearsal holds while it copies the target
                aside.set()
                release.wait(30)
            over.set()

        threading.Thread(target=rehearsal, daemon=True).start()
        assert aside.wait(10)
        drift.check_mark(app, app.state)
        await pilot.pause(1.5)  # the mark's read is held back: no connection, no mark
        assert "drift" not in str(app.history.border_subtitle)
        release.set()
        assert over.wait(10)
        await _wait(pilot, lambda: "drift: 1 difference" in str(app.history.border_subtitle))
