"""The console's apply (the same service as ``migrate``) shows what a migration's own ROLLBACK did."""

from __future__ import annotations

from pathlib import Path

import pytest

from gtsd_tui.tui.screens.confirm import ConfirmScreen
from tests.test_migrate_own_tx import BP, project, state
from tests.test_tui import keys, make_app, wait_for

pytestmark = [pytest.mark.pg, pytest.mark.node]

# t1, then ROLLBACK (line 3), then t2 and its row, each its own chunk (as test_migrate_own_rollback's)
MORE_AFTER = BP.join(
    ["CREATE TABLE t1 (id int);\n", "ROLLBACK;\n", "CREATE TABLE t2 (id int);\n", "INSERT INTO t2 VALUES (1);\n"]
)


async def test_console_apply_names_the_rollback_and_what_stayed(tmp_path: Path, pg_url: str) -> None:
    """The console applies per file: the ROLLBACK undoes its own migration's statements above it (t1),
    the rows stay; the log's last line and a warning name the ROLLBACK at ``file:line:col``, and the
    panes show what the table holds."""
    p = project(tmp_path, [("rb", MORE_AFTER)])
    app = make_app(p.folder, pg_url)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: len(keys(app, "#pending-table")) == 2)
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: keys(app, "#history-table") == ["0000_init", "0001_rb"], timeout=30)
        assert keys(app, "#pending-table") == []
        last = app.pending.log_lines[-1]
        assert last.startswith("✓ applied 2 migration(s); its own ROLLBACK undid part of it: "), last
        assert f"{p.folder / '0001_rb.sql'}:3:1: ROLLBACK undid what ran before it in this migration's" in last
        # (Textual's notification levels, not gtsd-tui's Severity)
        levels = [n.severity for n in app._notifications if "0001_rb.sql:3:1: ROLLBACK undid" in n.message]
        assert "warning" in levels, [(n.severity, n.message) for n in app._notifications]
    assert state(pg_url)["tables"] == {"users": 0, "t2": 1}


async def test_environments_apply_names_the_rollback(tmp_path: Path, pg_url: str) -> None:
    """The Environments view applies through the same service: its result says the same."""
    from textual.widgets import Input

    from gtsd_tui.config import load_settings
    from gtsd_tui.services.apply import ApplyRequest, apply
    from gtsd_tui.services.console import ConsoleBackend
    from gtsd_tui.services.project import Project
    from gtsd_tui.tui.app import GtsdApp
    from gtsd_tui.tui.screens.environments import EnvironmentsScreen
    from gtsd_tui.tui.widgets.env_matrix import EnvMatrix
    from tests.test_env_view_pg import _other_db

    p = project(tmp_path, [("rb", MORE_AFTER)])
    cwd = p.folder.parent
    staging = _other_db(pg_url, "_staging")
    (cwd / ".env.dev").write_text(f"DATABASE_URL={pg_url}\n")
    (cwd / ".env.staging").write_text(f"DATABASE_URL={staging}\n")
    apply(Project(load_settings(cwd=cwd, database_url=pg_url, migrations=str(p.folder), environ={})), ApplyRequest())
    app = GtsdApp(ConsoleBackend(Project(load_settings(cwd=cwd, env_name="dev", migrations=str(p.folder), environ={}))))
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: app.state is not None, timeout=20)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EnvironmentsScreen) and app.screen.envs is not None, 20)
        screen = app.screen
        assert isinstance(screen, EnvironmentsScreen)
        matrix = screen.query_one(EnvMatrix)
        await pilot.press("right", "down")
        assert matrix.selected == ("staging", "0001_rb"), matrix.selected
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        dialog = app.screen
        box = dialog.query_one("#typed", Input)
        box.focus()
        await pilot.press(*"staging")
        dialog.query_one("#ok").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen and not app.busy, timeout=30)
        log = str(screen.query_one("#envs-log").render())
        assert log.startswith("✓ staging: applied 2 migration(s); its own ROLLBACK undid part of it: "), log
        assert "0001_rb.sql:3:1: ROLLBACK undid what ran before it in this migration's transaction" in log
        # (Textual's notification levels, not gtsd-tui's Severity)
        levels = [n.severity for n in app._notifications if "0001_rb.sql:3:1: ROLLBACK undid" in n.message]
        assert "warning" in levels, [(n.severity, n.message) for n in app._notifications]
    assert state(staging) == state(pg_url)
