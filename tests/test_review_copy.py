"""The console's Review rehearses on a template copy (data included) although the console itself is
connected to the target: its own sessions (the pool, the statistics poll) step aside while the rehearsal
runs and come back afterwards. Other clients' sessions still send it to the schema-only copy.

A real PostgreSQL, a project made by the real drizzle-kit from a TypeScript schema, its first migration
applied by the real drizzle-orm migrator, and the console driven with Pilot (statistics polls running).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from gtsd_tui.config import load_settings
from gtsd_tui.services.console import ConsoleBackend
from gtsd_tui.services.project import Project
from gtsd_tui.services.rehearse import Rehearsal
from gtsd_tui.tui.app import GtsdApp
from gtsd_tui.tui.screens.confirm import ConfirmScreen
from gtsd_tui.tui.screens.review import ReviewScreen
from gtsd_tui.tui.widgets.header import HeaderBar
from tests.helpers.kit_project import KitProject
from tests.helpers.node import drizzle_migrate
from tests.test_tui import keys, wait_for

pytestmark = [pytest.mark.pg, pytest.mark.node]

INIT = """import { pgTable, serial, text } from "drizzle-orm/pg-core";

export const tasks = pgTable("tasks", {
  id: serial("id").primaryKey(),
  title: text("title").notNull(),
});
"""
PRIORITY = """import { pgTable, serial, text, integer, index } from "drizzle-orm/pg-core";

export const tasks = pgTable("tasks", {
  id: serial("id").primaryKey(),
  title: text("title").notNull(),
  priority: integer("priority").default(0).notNull(),
}, (t) => [index("tasks_priority_idx").on(t.priority)]);
"""


def kit_console(tmp_path: Path, url: str, backend: type[ConsoleBackend] = ConsoleBackend) -> tuple[GtsdApp, str]:
    """The console (live: statistics polls on) over a drizzle-kit project: ``init`` applied by drizzle-orm
    with 200 rows, ``priority`` pending. Returns the app and the pending tag."""
    p = KitProject(tmp_path / "app")
    p.schema({"app.ts": INIT})
    p.generate("init")
    migrated = drizzle_migrate(url, p.folder)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    p.step({"app.ts": PRIORITY}, "priority")
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO tasks (title) SELECT 'task ' || g FROM generate_series(1, 200) g")
    pending = sorted(f.name[: -len(".sql")] for f in p.folder.glob("0001_*.sql"))
    assert len(pending) == 1
    project = Project(load_settings(cwd=p.root, database_url=url, migrations=str(p.folder), environ={}))
    return GtsdApp(backend(project)), pending[0]


def sessions_on(admin: str, url: str) -> int:
    """Client sessions on ``url``'s database, counted from the maintenance database (not from the
    target: this check must not be a session there itself)."""
    name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'", (name,)
        ).fetchone()
    return int(row[0]) if row else 0


def copies_left(admin: str, url: str) -> int:
    """The rehearsal copies of ``url``'s database still on the server."""
    like = psycopg.conninfo.conninfo_to_dict(url)["dbname"] + "\\_\\_gtsd\\_rehearse\\_%"
    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s", (like,)).fetchone()
    return int(row[0]) if row else 0


def header_text(app: GtsdApp) -> str:
    return str(app.main_screen.query_one(HeaderBar).render())


async def ready(pilot, app: GtsdApp, admin: str, url: str, tag: str) -> None:
    """The state shown and the console's own sessions on the target: the pool's and the statistics'."""
    await wait_for(pilot, lambda: keys(app, "#pending-table") == [tag], timeout=30)
    await wait_for(pilot, lambda: app.connections.stats is not None and sessions_on(admin, url) >= 2, timeout=30)


async def test_review_in_the_console_rehearses_on_a_template_copy(tmp_path: Path, pg_url: str, pg_server: str) -> None:
    app, tag = kit_console(tmp_path, pg_url)
    async with app.run_test(size=(120, 34)) as pilot:
        await ready(pilot, app, pg_server, pg_url, tag)
        before = app.state
        await pilot.press("2", "v")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        await wait_for(pilot, lambda: screen.result is not None, timeout=90)
        result = screen.result
        assert result is not None and result.failure is None
        assert (result.method, result.notice) == ("template", None)  # was schema-only: "3 other session(s) ..."
        status = str(screen.query_one("#review-status").render())
        assert "(template copy)" in status, status
        assert [r.tag for r in result.records] == [tag, tag]  # the column, its index
        # back afterwards: the state read again (a new one, connected), the pool's session on the target
        await wait_for(pilot, lambda: app.state is not before and app.state is not None and app.state.db.connected)
        await wait_for(pilot, lambda: app.busy == "" and sessions_on(pg_server, pg_url) >= 1, timeout=30)
        assert keys(app, "#pending-table") == [tag]
        await pilot.press("a")  # the confirm dialog's n: nothing applied, back on the Review screen
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main_screen)
        polled = app.connections.stats
        await wait_for(pilot, lambda: app.connections.stats is not polled and sessions_on(pg_server, pg_url) >= 2, 30)
        assert keys(app, "#pending-table") == [tag] and "rehearsing" not in header_text(app)
    assert copies_left(pg_server, pg_url) == 0
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone() == (1,)


async def test_another_client_still_sends_review_to_the_schema_only_copy(
    tmp_path: Path, pg_url: str, pg_server: str
) -> None:
    app, tag = kit_console(tmp_path, pg_url)
    other = psycopg.connect(pg_url, application_name="report-job")
    try:
        async with app.run_test(size=(120, 34)) as pilot:
            await ready(pilot, app, pg_server, pg_url, tag)
            await pilot.press("2", "v")
            await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
            screen = app.screen
            assert isinstance(screen, ReviewScreen)
            await wait_for(pilot, lambda: screen.result is not None, timeout=90)
            result = screen.result
            assert result is not None and result.failure is None and result.method == "schema-only"
            db = psycopg.conninfo.conninfo_to_dict(pg_url)["dbname"]
            # only the other client is counted: the console's own sessions had left
            assert result.notice is not None and f"(1 other session(s) are connected to {db})" in result.notice
            assert "(schema-only copy)" in str(screen.query_one("#review-status").render())
            await wait_for(pilot, lambda: app.busy == "" and sessions_on(pg_server, pg_url) >= 2, timeout=30)
    finally:
        other.close()
    assert copies_left(pg_server, pg_url) == 0


class HeldRehearsal(ConsoleBackend):
    """The real rehearsal, held once its copy is made (at its first event) until ``go`` is set."""

    def __init__(self, project: Project) -> None:
        super().__init__(project)
        self.inside, self.go = threading.Event(), threading.Event()

    def rehearse(self, to_tag: str | None, listen: Callable[[object], None]) -> Rehearsal:
        def held(event: object) -> None:
            listen(event)
            if not self.inside.is_set():
                self.inside.set()
                assert self.go.wait(60)

        return super().rehearse(to_tag, held)


async def test_the_console_stays_away_during_the_rehearsal_and_comes_back_after_a_cancel(
    tmp_path: Path, pg_url: str, pg_server: str
) -> None:
    """While the rehearsal runs: none of the console's sessions on the target, the header says
    "rehearsing" (not "disconnected"), a refresh is held back rather than reconnecting; Escape cancels;
    afterwards the console reads the state again and reconnects, and no copy is left."""
    app, tag = kit_console(tmp_path, pg_url, HeldRehearsal)
    backend = app.service
    assert isinstance(backend, HeldRehearsal)
    async with app.run_test(size=(120, 34)) as pilot:
        await ready(pilot, app, pg_server, pg_url, tag)
        await pilot.press("2", "v")
        await wait_for(pilot, backend.inside.is_set, timeout=90)
        # none of the console's sessions (the rehearsal's own read of the target's schema may still be
        # leaving; held in its run on the copy, the rehearsal opens no other session on the target)
        await wait_for(pilot, lambda: sessions_on(pg_server, pg_url) == 0, timeout=10)
        await pilot.press("escape")  # cancels; the rehearsal is still held (its copy not dropped yet)
        await wait_for(pilot, lambda: app.screen is app.main_screen)
        before = app.state
        assert app.busy == f"rehearsing up to {tag}" and f"[rehearsing up to {tag}]" in header_text(app)
        assert "disconnected" not in header_text(app)
        await pilot.press("q")  # quitting asks while it runs; n goes back, the rehearsal still held
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.screen.title_text == f"Quit while rehearsing up to {tag}?"
        assert "its copy is dropped" in app.screen.body
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is app.main_screen)
        assert app.is_running and app.busy == f"rehearsing up to {tag}"
        await pilot.press("r")  # held back in its worker until the rehearsal is over
        await wait_for(pilot, lambda: app.workers_in("state"))
        await pilot.pause(0.5)
        assert app.workers_in("state") and app.state is before and sessions_on(pg_server, pg_url) == 0
        backend.go.set()
        await wait_for(pilot, lambda: app.busy == "" and app.state is not before, timeout=60)
        assert app.state is not None and app.state.db.connected and keys(app, "#pending-table") == [tag]
        assert "disconnected" not in header_text(app) and "rehearsing" not in header_text(app)
        await wait_for(pilot, lambda: sessions_on(pg_server, pg_url) >= 1, timeout=30)
    assert copies_left(pg_server, pg_url) == 0
