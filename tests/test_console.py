"""Pilot tests of the console over a fake service (no database): keys, messages, failures, watching."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gtsd_tui.errors import DatabaseError
from gtsd_tui.tui.app import GtsdApp
from gtsd_tui.tui.screens.confirm import ChoiceScreen, ConfirmScreen
from gtsd_tui.tui.screens.error import ErrorScreen
from gtsd_tui.tui.screens.text_view import TextScreen
from gtsd_tui.tui.widgets.rows import RowTable
from gtsd_tui.tui.widgets.sql_preview import SqlPreview
from tests.helpers.fake_console import FakeConsole
from tests.test_tui import keys, wait_for  # none while a pane is not composed yet

ROOT = Path(__file__).resolve().parent.parent
TAGS = ["0000_initial_schema", "0001_onboarding", "0002_partners", "0003_today_checklist"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    dst = tmp_path / "migrations"
    shutil.copytree(ROOT / "migrations", dst)
    return dst


def footer_text(app: GtsdApp) -> str:
    from textual.widgets._footer import FooterKey

    return " ".join(f"{k.key_display} {k.description}" for k in app.screen.query(FooterKey) if k.region.width > 0)


async def test_preview_of_a_deleted_file_names_it_and_drops_the_old_sql(folder: Path) -> None:
    app = GtsdApp(FakeConsole(folder), live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: app.pending.preview_tag == TAGS[0] and app.pending.preview_error is None)
        await wait_for(pilot, lambda: any("users" in line for line in app.screen.query_one(SqlPreview).lines))
        (folder / f"{TAGS[1]}.sql").unlink()
        await pilot.press("2", "down")
        await wait_for(pilot, lambda: app.pending.preview_error is not None)
        assert f"{TAGS[1]}.sql" in app.pending.preview_error
        shown = list(app.screen.query_one(SqlPreview).lines)
        assert any(f"{TAGS[1]}.sql" in line for line in shown)
        assert not any("CREATE TABLE" in line for line in shown)  # never the previous file's SQL


async def test_apply_with_nothing_pending_says_why(folder: Path) -> None:
    app = GtsdApp(FakeConsole(folder, applied=TAGS), live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: keys(app, "#history-table") == TAGS)
        await pilot.press("2", "A")
        await wait_for(pilot, lambda: any("nothing pending" in n.message for n in app._notifications))
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("a")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, ConfirmScreen)


async def test_an_editor_save_updates_the_preview_without_refresh(folder: Path) -> None:
    app = GtsdApp(FakeConsole(folder), live=True)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: app.pending.preview_tag == TAGS[0])
        code = "import sys; open(sys.argv[1], 'a').write('\\n-- edited elsewhere\\n')"
        subprocess.run([sys.executable, "-c", code, str(folder / f"{TAGS[0]}.sql")], check=True)
        preview = app.screen.query_one(SqlPreview)
        await wait_for(pilot, lambda: any("edited elsewhere" in line for line in preview.lines), 2.0)


async def test_a_new_migration_appears_in_pending_within_two_seconds(folder: Path) -> None:
    app = GtsdApp(FakeConsole(folder, applied=TAGS), live=True)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: keys(app, "#history-table") == TAGS)
        env = {"PATH": "/usr/bin:/bin", "GTSD_CACHE_DIR": str(folder.parent / "cache")}
        subprocess.run(
            [sys.executable, "-m", "gtsd_tui", "new", "add_streaks", "--migrations", str(folder)],
            check=True,
            capture_output=True,
            env=env,
            cwd=folder.parent,
        )
        await wait_for(pilot, lambda: keys(app, "#pending-table") == ["0004_add_streaks"], 2.0)


def footer_overlaps(app: GtsdApp) -> list[str]:
    """Footer keys drawn over by another (Textual squeezes the last ones under the docked palette key:
    "R Reset DB" came out as "R R" at 80 columns) or cut at the screen's edge."""
    from textual.widgets._footer import FooterKey

    shown = [k for k in app.screen.query(FooterKey) if k.region.width > 0]
    bad = [f"{k.key_display} {k.description}" for k in shown if k.region.right > app.size.width]
    for i, a in enumerate(shown):
        bad += [f"{a.description}/{b.description}" for b in shown[i + 1 :] if a.region.overlaps(b.region)]
    return bad


@pytest.mark.parametrize("pane", ["1", "2", "3", "4"])
async def test_footer_at_80x24_keeps_quit_and_help(folder: Path, pane: str) -> None:
    app = GtsdApp(FakeConsole(folder), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.state is not None)
        await pilot.press(pane)
        await wait_for(pilot, lambda: "q Quit" in footer_text(app) and "? Help" in footer_text(app))
        await pilot.pause(0.1)
        assert footer_overlaps(app) == []  # every label readable in full


async def test_only_keys_that_apply_are_shown(folder: Path) -> None:
    app = GtsdApp(FakeConsole(folder), live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: app.state is not None)
        await pilot.press("4")
        await wait_for(pilot, lambda: "s Sort" in footer_text(app))
        assert "Apply" not in footer_text(app) and "Terminate" not in footer_text(app)  # no session selected
        await pilot.press("2")
        await wait_for(pilot, lambda: "A Apply all" in footer_text(app))
        text = footer_text(app)
        assert "Cancel" not in text and "Renumber" not in text


async def test_ctrl_c_quits_like_q(folder: Path) -> None:
    app = GtsdApp(FakeConsole(folder), live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: app.state is not None)
        await pilot.press("ctrl+c")
        await pilot.pause(0.1)
    assert app.return_code == 0 and not app.is_running


@pytest.mark.parametrize("error", [DatabaseError("drop database: permission denied"), RuntimeError("boom")])
async def test_failed_reset_is_titled_as_reset(folder: Path, error: BaseException) -> None:
    fake = FakeConsole(folder)
    fake.reset_error = error
    app = GtsdApp(fake, live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: app.state is not None)
        await pilot.press("1", "R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen) and "Back up" in app.screen.title_text)
        await pilot.press("r")  # reset without backup
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen))
        assert app.screen.title_text == "Reset failed"
        assert str(error) in " ".join(app.screen.lines)
        assert app.busy == ""
        assert any("reset" in line for line in app.pending.log_lines)


async def test_reset_offers_a_backup_first_and_shows_progress(folder: Path) -> None:
    fake = FakeConsole(folder, applied=TAGS)
    app = GtsdApp(fake, live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: app.state is not None)
        await pilot.press("1", "R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen) and "Back up" in app.screen.title_text)
        await pilot.press("b")  # back up, then reset
        await wait_for(pilot, lambda: any("✓ reset" in line for line in app.pending.log_lines))
        log = app.pending.log_lines
        assert any("backup_test.sql" in line for line in log) and any("recreating app" in line for line in log)
        assert fake.applied == []


async def test_lost_database_shows_countdown_and_unknown_states(folder: Path) -> None:
    app = GtsdApp(FakeConsole(folder, connected=False), live=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.state is not None)
        await pilot.pause(1.2)
        header = str(app.screen.query_one("#header").render())
        assert "disconnected" in header and "retry in" in header
        cells = app.screen.query_one("#pending-table", RowTable).cells
        assert cells and all("unknown" in str(c[0]) for c in cells)
        assert keys(app, "#history-table") == []


class _SlowWhenLost(FakeConsole):
    """A server gone: each read takes longer than the statistics' interval to say so (a pool's timeout,
    a connect timeout to a host that does not answer)."""

    def refresh(self):
        if not self.connected:
            time.sleep(1.0)
        return super().refresh()


async def test_a_slow_read_of_a_lost_database_lands_while_the_stats_poll_fails(folder: Path) -> None:
    """Each failed statistics poll asks for a read when the state still says connected; a read in
    flight is not replaced by the next one (a replaced read's result is dropped: with polls every 0.25 s
    and reads of 1 s, none ever landed and the header kept ``● connected``)."""
    fake = _SlowWhenLost(folder)
    app = GtsdApp(fake, live=True)
    async with app.run_test(size=(80, 24)) as pilot:
        app.connections.interval = 0.25
        await wait_for(pilot, lambda: app.state is not None and app.state.db.connected)
        await wait_for(pilot, lambda: fake.polls > 0)
        fake.connected = False
        await wait_for(pilot, lambda: not app.state.db.connected, timeout=10)
        header = str(app.screen.query_one("#header").render())
        assert "disconnected" in header and "retry in" in header, header


async def test_conflict_rows_open_a_detail_view(tmp_path: Path) -> None:
    from tests.helpers.git import merged_repo

    repo = merged_repo(tmp_path, ROOT / "migrations", 1_800_000_000_000, 1_800_000_100_000)
    app = GtsdApp(FakeConsole(repo / "migrations"), live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: bool(app.conflicts.findings))
        first = app.conflicts.findings[0]
        await pilot.press("3", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen))
        text = "\n".join(app.screen.lines)
        assert first.message.split("\n")[0] in text and "files:" in text
        assert all(name in text for name in first.files)


async def test_session_is_found_with_slash_and_cancelled_after_confirmation(folder: Path) -> None:
    fake = FakeConsole(folder)
    app = GtsdApp(fake, live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: app.state is not None)
        app.connections.show(fake.stats(indexes=False, instances=1))
        await pilot.press("4", "slash", *"pg_sleep", "enter")
        await wait_for(pilot, lambda: keys(app, "#sessions-table") == ["4242"])
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "4242" in app.screen.title_text and "pg_sleep(600)" in app.screen.body
        await pilot.press("y")
        await wait_for(pilot, lambda: fake.signals == [(4242, False)])


async def test_blocked_sessions_come_first_naming_their_blocker(folder: Path) -> None:
    fake = FakeConsole(folder)
    app = GtsdApp(fake, live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: app.state is not None)
        app.connections.show(fake.stats(indexes=False, instances=1))  # kept if the pane is not composed yet
        await wait_for(pilot, lambda: bool(app.screen.query("#sessions-table")))  # just after the first frame
        await pilot.pause(0.05)
        table = app.screen.query_one("#sessions-table", RowTable)
        assert table.keys[0] == "4343"
        assert "← 4242" in str(table.cells[0][4])


async def test_a_failed_apply_focuses_the_failing_migration(tmp_path: Path) -> None:
    """Against the fake: the failure carries the file and line; the pane highlights it and scrolls."""
    from gtsd_tui.core.migrations.hashing import Chunk
    from gtsd_tui.core.migrations.plan import Step
    from gtsd_tui.core.sql.errorpos import Location, ServerError
    from gtsd_tui.db.runner import MigrationFailed
    from tests.helpers.folders import make_folder

    body = "\n".join(f"SELECT {i};" for i in range(60)) + "\nSELECT * FROM nope;"
    folder = make_folder(tmp_path / "m", [("a", "SELECT 1;"), ("b", body)])
    fake = FakeConsole(folder)
    from gtsd_tui.core.migrations.folder import load_folder

    m = load_folder(folder).migrations[1]
    step = Step(m, body, [Chunk(0, body, 0, 1)], True)
    err = ServerError("42P01", 'relation "nope" does not exist', None, None, 15, None, None, "SQL function x")
    fake.apply_error = MigrationFailed(
        step=step, chunk=step.chunks[0], error=err, location=Location(61, 15, 0, "  61 | SELECT * FROM nope;"), path="b"
    )
    app = GtsdApp(fake, live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: len(keys(app, "#pending-table")) == 2)
        await pilot.press("2", "A")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen))
        assert "CONTEXT: SQL function x" in app.screen.lines
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.query_one(SqlPreview).error_line == 61)
        assert app.pending.highlighted == m.tag
        preview = app.screen.query_one(SqlPreview)
        # the error line (61, 1-based) in view, wherever the pane's layout settles
        await wait_for(pilot, lambda: 0 < preview.scroll_offset.y < 61 <= preview.scroll_offset.y + preview.size.height)
        assert app.pending.last_error is not None
        fake.apply_error = None
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.pending.last_error is None)  # the file applied: its error is gone


async def test_tabs_are_clickable_on_a_narrow_terminal(folder: Path) -> None:
    app = GtsdApp(FakeConsole(folder), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.state is not None)
        assert app.active_pane() == "pending"
        tabs = app.screen.query_one("#tabs")
        text = str(tabs.render())
        await pilot.click("#tabs", offset=(text.index("Connections") + 2, 0))
        await wait_for(pilot, lambda: app.active_pane() == "connections")


async def test_the_palette_names_each_action_once_with_its_key(folder: Path) -> None:
    from gtsd_tui.tui.commands import ACTIONS

    labels = [label for label, _, _ in ACTIONS]
    assert len(labels) == len(set(labels))
    assert {"lint", "check", "new", "backup"} <= {action for _, action, _ in ACTIONS}
    app = GtsdApp(FakeConsole(folder), live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: app.state is not None)
        await pilot.press("1")
        app.action_palette("apply_all")  # from another pane: goes to Pending, then runs as A would
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.active_pane() == "pending"
        await pilot.pause(0.2)  # the dialog finishes mounting before the test closes the app (else its
        # on_mount may query buttons already torn down: seen once under load, NoMatches '#cancel')


async def test_unknown_rows_appear_in_history(folder: Path) -> None:
    from gtsd_tui.core.migrations.status import HistoryRow

    fake = FakeConsole(folder, applied=TAGS[:2])
    fake.unknown_rows = [HistoryRow(99, "f" * 64, 1_700_000_000_000)]
    app = GtsdApp(fake, live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: keys(app, "#history-table") == [*TAGS[:2], "row:99"])
        cells = app.screen.query_one("#history-table", RowTable).cells[-1]
        assert "unknown row" in str(cells[0]) and cells[3] == "f" * 12


async def test_the_error_line_stays_in_view_when_the_preview_shrinks() -> None:
    """The preview arrives while the pane is tall; notes, findings and the apply log then take rows: the
    error line must still be on screen (a scroll clamped to the old height left it below the view)."""
    from textual.app import App, ComposeResult

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield SqlPreview(id="p")

    app = One()
    async with app.run_test(size=(60, 30)) as pilot:
        preview = app.query_one(SqlPreview)
        preview.show([f"SELECT {i};" for i in range(100)], error_line=90)
        await pilot.pause()
        await pilot.pause()
        assert preview.scroll_offset.y < 90 <= preview.scroll_offset.y + preview.size.height
        preview.styles.height = 6
        await wait_for(pilot, lambda: preview.size.height == 6)
        await wait_for(pilot, lambda: preview.scroll_offset.y < 90 <= preview.scroll_offset.y + preview.size.height)


async def test_the_main_screens_keys_do_nothing_under_a_dialog(folder: Path) -> None:
    """Under Help or a confirmation, A/R/r/n are not the main screen's: no second dialog opens on top, and
    the dialog's own footer names its keys rather than the main screen's."""
    from textual.widgets._footer import FooterKey

    from gtsd_tui.tui.screens.help import HelpScreen

    app = GtsdApp(FakeConsole(folder), live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: app.state is not None and keys(app, "#pending-table") != [])
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("A", "R", "r")
        await pilot.pause(0.3)
        assert isinstance(app.screen, HelpScreen) and len(app.screen_stack) == 2
        await pilot.press("escape", "2", "A")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        shown = {k.description for k in app.screen.query(FooterKey)}
        assert {"Yes", "No"} <= shown and not shown & {"Apply all", "Reset", "Refresh"}
        await pilot.press("A", "R")
        await pilot.pause(0.3)
        assert len(app.screen_stack) == 2
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is app.main_screen)


async def test_help_lists_the_consoles_keys_by_pane_not_textuals_raw_bindings(folder: Path) -> None:
    from gtsd_tui.tui.screens.help import HelpScreen

    app = GtsdApp(FakeConsole(folder), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.state is not None)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        titles = [title for title, _ in app.screen.sections]
        assert titles[:4] == ["History", "Pending", "Conflicts", "Connections"]
        assert {"Review (v)", "Environments (e)", "Everywhere", "Textual"} <= set(titles)
        by_title = dict(app.screen.sections)
        assert ("v", "Review — rehearse on a copy, then a applies") in by_title["Pending"]
        assert any(k == "K" and w.startswith("Terminate") for k, w in by_title["Connections"])
        text = str(app.screen.query_one("#help-keys").render())
        for raw in ("ctrl+pagedown", "super+c", "Page Right", "Copy selected text"):
            assert raw not in text
        assert sum(1 for _, keys in app.screen.sections for _, w in keys if w.startswith("Quit")) == 1


async def test_tab_and_shift_tab_go_to_the_next_and_previous_pane_at_80x24(folder: Path) -> None:
    app = GtsdApp(FakeConsole(folder), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.state is not None)
        assert app.active_pane() == "pending"
        await pilot.press("tab")
        assert app.active_pane() == "conflicts"
        await pilot.press("tab", "tab")
        assert app.active_pane() == "history"
        await pilot.press("shift+tab")
        assert app.active_pane() == "connections"


def test_history_keeps_the_date_whole_beside_a_modified_row_and_long_tags() -> None:
    """At 120 columns the History pane is ~44 cells wide: the date of a modified row was cut ("2026-11-2")
    and long tags pushed it off; now the tag gives up cells (with …) and the date shows whole."""
    from rich.text import Text

    from gtsd_tui.tui.widgets.history_pane import dates_only, fit_tags, wanted_width

    headers = ["State", "Tag", "Created", "Hash"]
    rows = [
        ("a", (Text("✓ applied"), "0000_lethal_trish_tilby", "2026-11-21 10:00", "abc")),
        ("b", (Text("≠ modified"), "0006_talented_mattie_franklin_and_friends", "2026-11-22 11:00", "def")),
    ]
    width = 42
    assert wanted_width(headers, rows) > width
    fitted = fit_tags(headers, dates_only(rows), width)
    assert wanted_width(headers, fitted) <= width
    assert [cells[2] for _, cells in fitted] == ["2026-11-21", "2026-11-22"]
    assert str(fitted[1][1][1]).startswith("0006_talented") and str(fitted[1][1][1]).endswith("…")


async def test_focus_starts_on_history_when_nothing_is_pending(folder: Path) -> None:
    app = GtsdApp(FakeConsole(folder, applied=TAGS), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.state is not None)
        await pilot.pause(0.1)
        assert app.active_pane() == "history"
    app = GtsdApp(FakeConsole(folder, applied=TAGS[:2]), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.state is not None)
        await pilot.pause(0.1)
        assert app.active_pane() == "pending"


def test_the_editor_command_is_visual_then_editor_then_vi() -> None:
    from gtsd_tui.tui.editor import editor_command

    assert editor_command({"VISUAL": "code --wait", "EDITOR": "nano"}, "/m/0001_a.sql") == [
        "code",
        "--wait",
        "/m/0001_a.sql",
    ]
    assert editor_command({"EDITOR": "nano -w"}, "/m/x.sql") == ["nano", "-w", "/m/x.sql"]
    assert editor_command({}, "/m/x.sql") == ["vi", "/m/x.sql"]


async def test_e_is_offered_on_a_pending_file_and_says_why_it_cannot_run_headless(folder: Path) -> None:
    app = GtsdApp(FakeConsole(folder, applied=TAGS[:2]), live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: app.state is not None and app.pending.highlighted is not None)
        await wait_for(pilot, lambda: "E Edit" in footer_text(app))
        await pilot.press("E")  # a test's headless driver cannot hand the terminal over: said, nothing run
        await wait_for(pilot, lambda: any("cannot be handed" in n.message for n in app._notifications))
        await pilot.press("1")
        await pilot.pause(0.1)
        assert "E Edit" not in footer_text(app)


async def test_a_toast_goes_away_by_itself_at_80x24(folder: Path) -> None:
    """Issue 32 saw toasts stay until the next key at 80x24 (not reproduced since): with the live
    timers running and no key pressed, a toast leaves the app's notifications on its own once its
    timeout is over."""
    app = GtsdApp(FakeConsole(folder, applied=TAGS))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: keys(app, "#history-table") == TAGS)
        await pilot.press("2", "A")
        await wait_for(pilot, lambda: any("nothing pending" in n.message for n in app._notifications))
        await wait_for(pilot, lambda: not app._notifications, timeout=app.NOTIFICATION_TIMEOUT + 3)


async def test_signalling_sessions_does_not_start_more_stats_polls(folder: Path) -> None:
    """After ``c`` (or ``K``) the next poll comes 0.2 s later to show the result, in place of the one
    waiting: the console still polls once per interval, however many sessions were signalled (each
    signal used to start a chain of polls of its own beside the first)."""
    fake = FakeConsole(folder)
    app = GtsdApp(fake, live=True)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: fake.polls >= 1, timeout=10)
        app.connections.interval = 0.5
        await wait_for(pilot, lambda: keys(app, "#sessions-table") != [], timeout=10)
        await pilot.press("4")
        for n in range(1, 4):  # K on each of the three sessions (a signalled one leaves the fake's list)
            await wait_for(pilot, lambda n=n: len(keys(app, "#sessions-table")) == 4 - n)
            await pilot.press("K")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await wait_for(pilot, lambda n=n: len(fake.signals) == n)
        await pilot.pause(1.0)  # the early polls are over
        start = fake.polls
        await pilot.pause(3.0)
        # one chain at 0.5 s: about 6 polls in 3 s (slack for a slow machine's timers); four chains: ~24
        assert fake.signals == [(4343, True), (4444, True), (4242, True)]
        assert fake.polls - start <= 8, fake.polls - start


async def test_a_stopped_timers_late_callback_starts_no_second_chain_of_polls(folder: Path) -> None:
    """A timer replaced once it had already fired still runs its callback (it was queued): that poll
    must not take the place of the one now waiting, which it used to leave running untracked, a
    second chain of polls beside the first (seen in CI: 12 polls in 3 s at a 0.5 s interval)."""
    from gtsd_tui.tui import live

    fake = FakeConsole(folder)
    app = GtsdApp(fake, live=True)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: fake.polls >= 1, timeout=10)
        live.schedule_stats(app, 30.0)
        token, timer = live._next_poll[app]
        before = fake.polls
        live.stats_due(app, object())  # the late callback of a timer stopped meanwhile
        await pilot.pause(0.3)
        assert live._next_poll[app] == (token, timer) and fake.polls == before  # still the one, nothing ran
        live.stats_due(app, token)  # the one waiting, due: it polls, and the result schedules the next
        await wait_for(pilot, lambda: fake.polls == before + 1)
        await wait_for(pilot, lambda: app in live._next_poll and live._next_poll[app][0] is not token)
