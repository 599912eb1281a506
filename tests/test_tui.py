"""Pilot tests of the console against a real PostgreSQL and real folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import Input

from gtsd_tui.config import load_settings
from gtsd_tui.services.console import ConsoleBackend
from gtsd_tui.services.project import Project
from gtsd_tui.tui.app import GtsdApp
from gtsd_tui.tui.screens.confirm import ChoiceScreen, ConfirmScreen
from gtsd_tui.tui.screens.error import ErrorScreen
from gtsd_tui.tui.widgets.rows import RowTable
from gtsd_tui.tui.widgets.sql_preview import SqlPreview
from tests.helpers.folders import make_folder
from tests.helpers.git import merged_repo

pytestmark = pytest.mark.pg


def make_app(folder: Path, url: str, **kw) -> GtsdApp:
    project = Project(load_settings(cwd=folder.parent, database_url=url, migrations=str(folder), environ={}))
    return GtsdApp(ConsoleBackend(project), **kw)


def keys(app: GtsdApp, table: str) -> list[str]:
    """The table's keys; none while its pane is not composed yet (Conflicts and Connections: just after
    the first frame with tags)."""
    found = app.screen_stack[0].query(table)
    return list(found.first(RowTable).keys) if found else []


async def wait_for(pilot, predicate, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached in time")


async def test_keys_move_focus_and_filter_narrows(sample: Path, pg_url: str) -> None:
    app = make_app(sample, pg_url)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: len(keys(app, "#pending-table")) == 4)
        for key, pane in (("1", "history"), ("3", "conflicts"), ("4", "connections"), ("2", "pending")):
            await pilot.press(key)
            assert app.active_pane() == pane
        await pilot.press("tab")
        assert app.active_pane() != "pending" or isinstance(app.focused, SqlPreview)
        await pilot.press("2", "slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"onb")
        assert keys(app, "#pending-table") == ["0001_onboarding"]
        await pilot.press("escape")
        assert len(keys(app, "#pending-table")) == 4


async def test_apply_moves_migrations_from_pending_to_history(sample: Path, pg_url: str) -> None:
    app = make_app(sample, pg_url)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: len(keys(app, "#pending-table")) == 4)
        await pilot.press("2", "down")  # highlight 0001_onboarding
        await wait_for(pilot, lambda: app.pending.preview_tag == "0001_onboarding")
        assert any("onboarding_responses" in line for line in app.screen_stack[0].query_one(SqlPreview).lines)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.screen.focused is not None and app.screen.focused.id == "cancel"
        await pilot.press("y")
        await wait_for(pilot, lambda: keys(app, "#history-table") == ["0000_initial_schema", "0001_onboarding"])
        assert keys(app, "#pending-table") == ["0002_partners", "0003_today_checklist"]
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # cancel: nothing more applied
        await pilot.pause(0.3)
        assert keys(app, "#pending-table") == ["0002_partners", "0003_today_checklist"]


async def test_failing_migration_shows_its_location(tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(
        tmp_path / "m", [("bad", "CREATE TABLE a (id int);\n--> statement-breakpoint\nSELECT * FROM\n  no_such_table;")]
    )
    app = make_app(folder, pg_url)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: len(keys(app, "#pending-table")) == 1)
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen))
        assert app.screen.where == f"{folder / '0000_bad.sql'}:4:3"
        assert any("42P01" in line for line in app.screen.lines)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen_stack[0].query_one(SqlPreview).error_line == 4)


async def test_renumber_clears_the_conflicts(sample: Path, tmp_path: Path, pg_url: str) -> None:
    repo = merged_repo(tmp_path, sample, 1_800_000_000_000, 1_800_000_100_000)
    app = make_app(repo / "migrations", pg_url)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: len(keys(app, "#conflicts-table")) > 0)
        await pilot.press("3", "n")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: keys(app, "#conflicts-table") == [])
        assert "0005_b_badges" in keys(app, "#pending-table")


async def test_read_only_hides_destructive_actions(sample: Path, pg_url: str) -> None:
    app = make_app(sample, pg_url, read_only=True)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: len(keys(app, "#pending-table")) == 4)
        await pilot.press("2", "A")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.check_action("apply_all", ()) is False


async def test_lost_database_is_a_state_not_a_crash(sample: Path) -> None:
    app = make_app(sample, "postgresql://app:hunter2@127.0.0.1:1/gtsd")
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: app.state is not None)
        assert not app.state.db.connected and "127.0.0.1:1" in app.state.db.url and "hunter2" not in app.state.db.url
        assert len(keys(app, "#pending-table")) == 4  # the folder-based panes keep working


async def test_large_file_preview_keeps_lines_out_of_widgets(tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(tmp_path / "m", [("big", "SELECT 1;\n" * 300_000)])
    app = make_app(folder, pg_url)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: len(app.screen_stack[0].query_one(SqlPreview).lines) > 299_000)
        preview = app.screen_stack[0].query_one(SqlPreview)
        assert preview.virtual_size.height == len(preview.lines)
        assert len(preview._blocks) <= 2  # only what is on screen was highlighted
        shutil.rmtree(folder)


async def test_enter_on_a_modified_migration_shows_the_diff(sample: Path, tmp_path: Path, pg_url: str, cli) -> None:
    from gtsd_tui.tui.screens.text_view import TextScreen
    from tests.helpers.git import git

    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(sample, repo / "migrations")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    assert cli("migrate", "--migrations", str(repo / "migrations"), "--database-url", pg_url).returncode == 0
    path = repo / "migrations" / "0002_partners.sql"
    path.write_text(path.read_text().replace('"status" text', '"status" varchar(20)'))
    app = make_app(repo / "migrations", pg_url)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: len(keys(app, "#history-table")) == 4)
        await pilot.press("1", "down", "down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen))
        lines = app.screen.lines
        assert "modified" in app.screen.title_text
        assert any(line.startswith('-\t"status" text') for line in lines)
        assert any(line.startswith('+\t"status" varchar(20)') for line in lines)


async def test_reset_key_asks_first_and_resets(sample: Path, pg_url: str, cli) -> None:
    assert cli("migrate", "--migrations", str(sample), "--database-url", pg_url).returncode == 0
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (email, name, password_hash) VALUES ('a@x.invalid', 'A', 'h')")
    app = make_app(sample, pg_url)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: len(keys(app, "#history-table")) == 4)
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.screen.type_to_confirm is None  # a local server: no typed confirmation
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen) and "Back up" in app.screen.title_text)
        await pilot.press("r")  # reset without a backup

        def emptied() -> bool:
            try:
                with psycopg.connect(pg_url) as conn:
                    return conn.execute("SELECT count(*) FROM users").fetchone() == (0,)
            except psycopg.Error:
                return False  # the database is being recreated

        await wait_for(pilot, emptied, timeout=20)
        await wait_for(pilot, lambda: not app.busy)
        await wait_for(pilot, lambda: len(keys(app, "#history-table")) == 4)


async def test_reset_second_question_n_and_escape_cancel_b_backs_up_first(
    sample: Path, tmp_path: Path, pg_url: str, cli
) -> None:
    """ "Back up first?": n and escape drop nothing (n once meant "reset without backup"); b backs up, then resets."""
    assert cli("migrate", "--migrations", str(sample), "--database-url", pg_url).returncode == 0
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (email, name, password_hash) VALUES ('a@x.invalid', 'A', 'h')")

    def users() -> int | None:
        try:
            with psycopg.connect(pg_url) as conn:
                row = conn.execute("SELECT count(*) FROM users").fetchone()
                return None if row is None else int(row[0])
        except psycopg.Error:
            return None  # being recreated

    app = make_app(sample, pg_url)
    async with app.run_test(size=(80, 24)) as pilot:  # narrow: Pending alone on screen, R works there too
        await wait_for(pilot, lambda: app.state is not None and app.state.db.connected)
        for cancel in ("n", "escape"):
            await pilot.press("R")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen))
            assert app.screen.focused is not None and app.screen.focused.id == "cancel"
            await pilot.press(cancel)
            await pilot.pause(0.5)
            assert not isinstance(app.screen, ChoiceScreen) and not app.busy
            assert users() == 1  # nothing dropped
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("b")
        await wait_for(pilot, lambda: users() == 0, timeout=30)
        await wait_for(pilot, lambda: not app.busy)
    dumps = list((sample.parent / ".gtsd" / "backups").glob("backup_*.sql"))
    assert len(dumps) == 1 and "a@x.invalid" in dumps[0].read_text()
    assert (sample.parent / ".gtsd" / ".gitignore").read_text().endswith("*\n")  # not untracked in the repo


async def test_reset_of_a_missing_database_creates_it_without_offering_a_backup(sample: Path, pg_url: str) -> None:
    url = pg_url + "_missing"  # named after the test's database: the fixture drops it and its copies
    app = make_app(sample, url)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: app.state is not None)
        assert not app.state.db.connected
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.screen.title_text == "Create the database?" and "does not exist" in app.screen.body
        await pilot.press("y")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, ChoiceScreen)  # nothing to back up
        await wait_for(pilot, lambda: len(keys(app, "#history-table")) == 4, timeout=30)


async def test_reset_of_a_remote_server_needs_the_typed_name(sample: Path) -> None:
    app = make_app(sample, "postgresql://app:pw@db.example.invalid:5432/gtsd_prod", live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: app.state is not None)
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.screen.type_to_confirm == "gtsd_prod"
        await pilot.press("y")  # not typed yet: nothing happens
        await pilot.pause(0.2)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, ConfirmScreen)


async def test_a_sleeping_session_is_found_with_slash_and_cancelled(sample: Path, pg_url: str) -> None:
    import threading

    import psycopg

    from tests.helpers.procs import wait_for_query

    outcome: list[str] = []

    def sleeper() -> None:
        with psycopg.connect(pg_url, autocommit=True, application_name="sleeper") as conn:
            try:
                conn.execute("SELECT pg_sleep(120)")
                outcome.append("finished")
            except psycopg.errors.QueryCanceled:
                outcome.append("cancelled")

    thread = threading.Thread(target=sleeper, daemon=True)
    thread.start()
    wait_for_query(pg_url, "pg_sleep(120)")
    app = make_app(sample, pg_url)
    async with app.run_test(size=(120, 34)) as pilot:
        await pilot.press("4", "slash", *"pg_sleep", "enter")
        await wait_for(pilot, lambda: len(keys(app, "#sessions-table")) == 1, timeout=15)
        session = app.connections.selected_session()
        assert session is not None and session.application == "sleeper"
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert str(session.pid) in app.screen.title_text and "pg_sleep(120)" in app.screen.body
        await pilot.press("y")
        thread.join(10)
    assert outcome == ["cancelled"]


async def test_an_apply_waiting_on_a_lock_names_the_blocking_session(sample: Path, pg_url: str, cli) -> None:
    import psycopg

    assert (
        cli("migrate", "--migrations", str(sample), "--database-url", pg_url, "--to", "0001_onboarding").returncode == 0
    )
    holder = psycopg.connect(pg_url, application_name="holder")
    holder.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")  # 0002 references users: its DDL must wait
    app = make_app(sample, pg_url)
    try:
        async with app.run_test(size=(120, 34)) as pilot:
            await wait_for(pilot, lambda: len(keys(app, "#pending-table")) == 2)
            app.connections.interval = 0.5
            await pilot.press("2", "A")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            holder_pid = holder.info.backend_pid
            await wait_for(
                pilot, lambda: any(f"pid {holder_pid} (holder" in line for line in app.pending.log_lines), timeout=9
            )
            holder.rollback()
            await wait_for(pilot, lambda: len(keys(app, "#history-table")) == 4, timeout=20)
    finally:
        holder.close()


async def test_the_prefetched_state_is_in_the_first_paint(monkeypatch: pytest.MonkeyPatch) -> None:
    """The state read before Textual started is shown as the main screen mounts (the first screen with
    data): no second refresh in a worker, no paint of empty lists first."""
    from tests.helpers.fake_console import FakeConsole

    root = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(root)
    fake = FakeConsole(root / "migrations", applied=["0000_initial_schema"])
    fake.prefetch()
    refreshes: list[int] = []
    real = fake.refresh
    monkeypatch.setattr(fake, "refresh", lambda: refreshes.append(1) or real())
    app = GtsdApp(fake, live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        assert app.state is not None  # set during the mount, before any worker could report
        assert list(app.main_screen.query_one("#history-table", RowTable).keys) == ["0000_initial_schema"]
        await pilot.pause(0.3)
        assert refreshes == [] and fake.prefetched() is None  # taken once, no refresh after it


async def test_connections_offer_c_on_a_running_query_and_k_on_no_console_read(sample: Path, pg_url: str) -> None:
    """An idle session: no c (nothing to cancel); the console's own reads: no K; the dialog's buttons name
    what they do ("Leave it" beside "Terminate"), and the footer says Terminate as the dialog does."""
    import psycopg

    from gtsd_tui.core.server.activity import CONSOLE_APP

    idle = psycopg.connect(pg_url, autocommit=True, application_name="idle-report")
    try:
        app = make_app(sample, pg_url)
        async with app.run_test(size=(120, 34)) as pilot:
            await pilot.press("4")
            pane = app.connections
            await wait_for(pilot, lambda: {"idle-report", CONSOLE_APP} <= {s.application for s in pane.shown})

            def offered(key: str) -> bool:
                return key in app.active_bindings and app.active_bindings[key].enabled

            await pilot.press("slash", *"idle-report", "enter")
            await wait_for(pilot, lambda: [s.application for s in pane.shown] == ["idle-report"])
            await pilot.pause(0.1)
            assert not offered("c") and offered("K")
            assert app.active_bindings["K"].binding.description == "Terminate"
            await pilot.press("K")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            labels = [str(b.label) for b in app.screen.query("Button")]
            assert labels == ["Leave it [n]", "Terminate [y]"]
            await pilot.press("n")
            await pilot.press("escape", "slash", *"console", "enter")
            await wait_for(pilot, lambda: [s.application for s in pane.shown][:1] == [CONSOLE_APP])
            await pilot.pause(0.1)
            assert not offered("c") and not offered("K")
    finally:
        idle.close()


async def test_the_migration_just_created_is_selected(sample: Path, pg_url: str) -> None:
    from gtsd_tui.tui.screens.prompt import PromptScreen

    app = make_app(sample, pg_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(keys(app, "#pending-table")) == 4)
        app.action_new()
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"add streaks", "enter")
        await wait_for(pilot, lambda: app.pending.highlighted == "0004_add_streaks")
        assert app.active_pane() == "pending" and app.pending.preview_tag == "0004_add_streaks"
