"""The Review screen against a real PostgreSQL: Pending -> Review (a real rehearsal) -> safe apply."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import psycopg
import pytest
from textual.widgets import DataTable

from gtsd_tui.config import load_settings
from gtsd_tui.services.console import ConsoleBackend
from gtsd_tui.services.project import Project
from gtsd_tui.tui.app import GtsdApp
from gtsd_tui.tui.screens.confirm import ConfirmScreen
from gtsd_tui.tui.screens.review import ReviewScreen
from tests.helpers.folders import make_folder
from tests.test_rehearse import BASE, CIC, MIXED
from tests.test_tui import keys, wait_for

pytestmark = pytest.mark.pg


def review_project(tmp_path: Path, url: str, cli) -> Project:
    folder = make_folder(tmp_path / "migrations", [("base", BASE), ("mixed", MIXED), ("cic", CIC)])
    assert cli("migrate", "--migrations", str(folder), "--database-url", url, "--to", "0000_base").returncode == 0
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO tasks (n) SELECT g FROM generate_series(1, 100) g")
    return Project(load_settings(cwd=tmp_path, database_url=url, migrations=str(folder), environ={}))


async def test_pending_review_then_safe_apply(tmp_path: Path, pg_url: str, cli) -> None:
    app = GtsdApp(ConsoleBackend(review_project(tmp_path, pg_url, cli)))
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: keys(app, "#pending-table") == ["0001_mixed", "0002_cic"])
        await pilot.press("2", "down")  # up to 0002_cic
        await wait_for(pilot, lambda: app.pending.preview_tag == "0002_cic")
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        await wait_for(pilot, lambda: screen.result is not None, timeout=60)
        assert screen.result.failure is None and screen.query_one(DataTable).row_count == 4
        locks = [r.strongest for r in screen.records]
        assert locks == ["ShareLock", "AccessExclusiveLock", "AccessExclusiveLock", "ShareUpdateExclusiveLock"]
        assert "+ column public.users.c" in str(screen.query_one("#review-diff").render())
        await pilot.press("down")
        assert screen.query_one("#review-sql").lines[screen.records[1].line - 1].startswith("ALTER TABLE users")
        await pilot.press("a")  # asks first, as apply does everywhere else, with the rehearsal's verdict
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.screen.title_text == "Apply up to 0002_cic?"
        assert "✓ 4 statement(s)" in app.screen.body and "rewrite a table" in app.screen.body
        await pilot.press("n")  # no: back on the Review screen, nothing applied
        await wait_for(pilot, lambda: app.screen is screen)
        assert keys(app, "#pending-table") == ["0001_mixed", "0002_cic"]
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: keys(app, "#pending-table") == [], timeout=60)
        assert keys(app, "#history-table") == ["0000_base", "0001_mixed", "0002_cic"]
        assert any("applied 2" in line or "0002_cic" in line for line in app.pending.log_lines)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE '%%rehearse%%'").fetchone() == (0,)


async def test_review_is_in_the_palette_and_in_help(tmp_path: Path, pg_url: str, cli) -> None:
    from gtsd_tui.tui.commands import ACTIONS

    assert any(action == "review" and key == "v" and "rehearse" in label.lower() for label, action, key in ACTIONS)
    app = GtsdApp(ConsoleBackend(review_project(tmp_path, pg_url, cli)))
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: keys(app, "#pending-table") == ["0001_mixed", "0002_cic"])
        await pilot.press("1")  # from another pane: the palette goes to Pending first
        await pilot.press("ctrl+p")
        await pilot.press(*"review")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ReviewScreen))
        await pilot.press("question_mark")  # and Help's Pending section names it
        await wait_for(pilot, lambda: hasattr(app.screen, "sections"))
        assert any(k == "v" and w.startswith("Review") for k, w in dict(app.screen.sections)["Pending"])


def test_review_screen_snapshot(snap_compare, tmp_path: Path, pg_url: str, cli, monkeypatch) -> None:
    """A real rehearsal, with what varies between runs (durations, the temp path) pinned for the picture."""
    from gtsd_tui.services.apply import ApplyRequest
    from gtsd_tui.services.rehearse import rehearse

    project = review_project(tmp_path, pg_url, cli)
    real = rehearse(project, ApplyRequest())
    records = [
        dataclasses.replace(r, seconds=0.0012 * (i + 1), file=f"migrations/{Path(r.file).name}")
        for i, r in enumerate(real.records)
    ]
    result = dataclasses.replace(real, records=records)
    files = {r.file: (tmp_path / r.file).read_text().split("\n") for r in records}
    monkeypatch.chdir(tmp_path)
    app = GtsdApp(ConsoleBackend(project), live=False)

    async def show(pilot) -> None:
        await pilot.app.push_screen(ReviewScreen(app.service, None, result=result, files=files))
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(120, 34), run_before=show)


async def test_apply_from_review_uses_the_careful_options(tmp_path: Path, pg_url: str, cli) -> None:
    from gtsd_tui.tui.screens.error import ErrorScreen

    project = review_project(tmp_path, pg_url, cli)
    project.settings.apply_defaults.update(
        {"GTSD_LOCK_TIMEOUT": ("200ms", "environment"), "GTSD_LOCK_RETRIES": ("1", "environment")}
    )
    idle = psycopg.connect(pg_url, application_name="report-job")
    idle.execute("SELECT * FROM users").fetchall()
    try:
        app = GtsdApp(ConsoleBackend(project))
        async with app.run_test(size=(120, 34)) as pilot:
            await wait_for(pilot, lambda: keys(app, "#pending-table") == ["0001_mixed", "0002_cic"])
            await pilot.press("2", "v")
            await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
            screen = app.screen
            await wait_for(pilot, lambda: screen.result is not None, timeout=60)
            blocked = [r for r in screen.records if r.blockers]
            assert blocked and blocked[0].blockers[0][1].pid == idle.info.backend_pid
            await pilot.press("a")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            assert "would wait behind sessions" in app.screen.body
            await pilot.press("y")

            def body() -> str:  # the dialog's text once it is composed
                return " ".join(str(w.render()) for w in app.screen.query("Static"))

            await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen) and "waits behind" in body(), 60)
            text = body()
            assert f"waits behind pid {idle.info.backend_pid}" in text and "2 attempts" in text
            assert any("retry 1/1" in line for line in app.pending.log_lines)
            assert keys(app, "#pending-table") == ["0001_mixed", "0002_cic"]
    finally:
        idle.close()


async def test_a_rehearsal_that_cannot_run_says_why_and_stops_its_bar(tmp_path: Path, pg_url: str, cli) -> None:
    """The target goes away between the Pending pane and the rehearsal: one line saying why, and no bar
    left animating as if it still ran."""
    from textual.widgets import ProgressBar

    admin = psycopg.conninfo.conninfo_to_dict(pg_url)
    gone = f"review_gone_{tmp_path.name[-8:].lower()}".replace("-", "_")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{gone}"')
    url = psycopg.conninfo.make_conninfo(**{**{k: str(v) for k, v in admin.items() if v is not None}, "dbname": gone})
    # live=False: no stats poll sees the database go before the key does (that path is the retry's)
    app = GtsdApp(ConsoleBackend(review_project(tmp_path, url, cli)), live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: keys(app, "#pending-table") == ["0001_mixed", "0002_cic"])
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{gone}" WITH (FORCE)')
        await pilot.press("2", "v")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        await wait_for(pilot, lambda: not screen.running, timeout=60)
        status = str(screen.query_one("#review-status").render())
        assert "rehearsal could not run" in status and gone in status, status
        assert not screen.query_one(ProgressBar).display
