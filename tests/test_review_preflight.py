"""The console's Review screen shows the data preflight on the target: its schema-only rehearsal (another
client is connected to the target) passes on an empty copy, while the target's rows break a statement;
apply stays off. Alone on the target, the console rehearses on a template copy, where the rows break the
statement in the rehearsal itself."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from gtsd_tui.config import load_settings
from gtsd_tui.services.console import ConsoleBackend
from gtsd_tui.services.project import Project
from gtsd_tui.tui.app import GtsdApp
from gtsd_tui.tui.screens.review import ReviewScreen
from tests.helpers.folders import make_folder
from tests.test_rehearse import BASE
from tests.test_tui import keys, wait_for

pytestmark = pytest.mark.pg

CHECK = 'ALTER TABLE "tasks" ADD CONSTRAINT "n_small" CHECK ("tasks"."n" < 50);\n'


async def test_review_lists_the_rows_a_statement_fails_on(tmp_path: Path, pg_url: str, cli) -> None:
    folder = make_folder(tmp_path / "migrations", [("base", BASE), ("small", CHECK)])
    assert cli("migrate", "--migrations", str(folder), "--database-url", pg_url, "--to", "0000_base").returncode == 0
    with psycopg.connect(pg_url) as conn:
        conn.execute("INSERT INTO tasks (n) SELECT g FROM generate_series(1, 100) g")
    project = Project(load_settings(cwd=tmp_path, database_url=pg_url, migrations=str(folder), environ={}))
    app = GtsdApp(ConsoleBackend(project))
    other = psycopg.connect(pg_url, application_name="report-job")  # a template copy cannot be made
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: keys(app, "#pending-table") == ["0001_small"])
        await pilot.press("2", "v")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        await wait_for(pilot, lambda: screen.result is not None and not screen.running, timeout=60)
        other.close()
        assert screen.result.method == "schema-only" and screen.result.failure is None  # no rows to fail on
        diff = str(screen.query_one("#review-diff").render())
        assert "data preflight on the target:" in diff and "fails: 51 row(s): rows violating n_small" in diff
        assert "fail on the target's rows" in str(screen.query_one("#review-status").render())
        assert screen.check_action("apply", ()) is None  # shown, but off
        await pilot.press("a")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("escape")  # again, the console alone on the target: a template copy, rows included
        await wait_for(pilot, lambda: app.screen is app.main_screen and app.busy == "", timeout=30)
        shown = app.state
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen) and app.screen is not screen)
        again = app.screen
        assert isinstance(again, ReviewScreen)
        await wait_for(pilot, lambda: again.result is not None and not again.running, timeout=60)
        assert again.result.method == "template" and again.result.failure is not None
        assert "0001_small.sql:1:1" in again.result.failure.message and "23514" in again.result.failure.message
        assert "✗ fails:" in str(again.query_one("#review-status").render())
        # a failed rehearsal too gives the console back: the state read again, connected
        await wait_for(pilot, lambda: app.busy == "" and app.state is not shown, timeout=30)
        assert app.state is not None and app.state.db.connected
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone() == (1,)
