"""The console's first refresh read by a forked child (services/prefetch.py) while the parent starts
Textual: the state arrives whole over the pipe, the parent never imports psycopg for it, a failing or
hanging child leaves the parent to read in-process, and no child is left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PW_ROLE, PW_SECRET

ROOT = Path(__file__).resolve().parent.parent


def probe(mode: str, url: str, folder: Path) -> tuple[dict[str, object], subprocess.CompletedProcess[str]]:
    r = subprocess.run(
        [sys.executable, "-m", "tests.helpers.prefetch_probe", mode, url, str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1]), r


@pytest.mark.pg
def test_the_child_reads_the_state_and_the_parent_imports_no_driver(cli, sample: Path, pg_url: str) -> None:
    r = cli("migrate", "--to", "0001_onboarding", "--migrations", str(sample), "--database-url", pg_url)
    assert r.returncode == 0, r.stderr
    out, r = probe("ok", pg_url, sample)
    assert out["forked"] and out["got"] and out["connected"] and out["error"] is None
    assert out["outline"] == ["0000_initial_schema", "0001_onboarding", "0002_partners", "0003_today_checklist"]
    assert out["psycopg_in_parent"] is False  # the driver's import (~0.13 s) happened in the child only
    assert out["states"] == {
        "0000_initial_schema": "applied",
        "0001_onboarding": "applied",
        "0002_partners": "pending",
        "0003_today_checklist": "pending",
    }
    assert out["signature"]  # the watcher's signature came along with the state
    assert out["url_before"] is False and out["url_adopted"] is True  # the URL the child resolved is adopted
    assert out["again"] is False and out["reaped"] is True
    assert r.stderr == ""


@pytest.mark.pg
def test_a_wrong_password_is_a_state_without_the_password(sample: Path, pg_url: str) -> None:
    host_port = pg_url.split("@", 1)[1].split("/", 1)[0]
    url = f"postgresql://{PW_ROLE}:not-{PW_SECRET}@{host_port}/postgres"
    out, r = probe("ok", url, sample)
    assert out["forked"] and out["got"] and out["connected"] is False
    error = str(out["error"])
    assert "password authentication failed" in error and f"{PW_ROLE}:***@" in error
    assert PW_SECRET not in r.stdout + r.stderr
    assert set(out["states"].values()) == {"pending"}  # type: ignore[union-attr]


@pytest.mark.pg
def test_a_failing_child_leaves_the_read_to_the_parent_silently(sample: Path, pg_url: str) -> None:
    out, r = probe("fail", pg_url, sample)
    assert out["forked"] and out["got"] is False  # the console then refreshes in a worker (jobs.load_first)
    assert out["reaped"] is True
    assert r.stderr == ""  # the child's exception reaches no terminal


def test_the_folders_tags_arrive_before_the_state(sample: Path) -> None:
    """The child sends the folder's tags (a listing) before it imports the driver and reads the database:
    they arrive while its read still hangs (the state is not there), in run order, taken once."""
    out, r = probe("outline", "postgresql://nobody@127.0.0.1:1/none", sample)
    assert out["forked"] and out["reaped"] is True
    assert out["outline"] == ["0000_initial_schema", "0001_onboarding", "0002_partners", "0003_today_checklist"]
    assert out["state_ready"] is False  # the read still hangs: the tags did not wait for it
    # 1 MiB, not 64 KiB: 5,000 tags (69 KB) are written at once, not held until the parent's first read
    assert out["pipe_size"] == 1 << 20
    assert out["outline_again"] is None
    assert r.stderr == ""


@pytest.mark.parametrize(("mode", "lowered"), [("outline", True), ("outline-embedded", False)])
def test_the_child_yields_the_cpu_once_the_tags_are_sent(sample: Path, mode: str, lowered: bool) -> None:
    """After the outline the child's read runs at a lower priority (on a busy machine the first frame
    does not share its CPU with it), but not when no URL is configured: the child may then start the
    embedded server, which would keep that priority for good. The parent's own priority is untouched."""
    out, _ = probe(mode, "postgresql://nobody@127.0.0.1:1/none", sample)
    assert out["outline"] == ["0000_initial_schema", "0001_onboarding", "0002_partners", "0003_today_checklist"]
    assert (out["child_nice"] == out["parent_nice"] + 10) is lowered
    assert out["parent_nice"] == os.getpriority(os.PRIO_PROCESS, 0)
    assert out["reaped"] is True


def test_a_hanging_child_is_stopped_and_reaped(sample: Path) -> None:
    out, _ = probe("slow", "postgresql://nobody@127.0.0.1:1/none", sample)
    assert out["forked"] and out["reaped"] is True
    assert float(out["close_s"]) < 5  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["abandon", "abandon-outline"])
def test_quitting_while_a_worker_waits_for_the_child_stops_both(sample: Path, mode: str) -> None:
    """The console quits while its first-state worker still waits on the child (for the state, or for
    the outline): the child is killed and reaped, the worker's wait ends at once with nothing (no read
    of a closed descriptor), and the pipe is closed."""
    out, r = probe(mode, "postgresql://nobody@127.0.0.1:1/none", sample)
    assert out["forked"] and out["waiter_done"] and out["got"] and out["reaped"] is True
    assert out["pipe_closed"] is True
    assert float(out["close_s"]) < 5  # type: ignore[arg-type]
    assert r.stderr == ""


async def test_a_state_that_arrives_after_the_mount_is_shown_from_a_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """The child has not sent its state when the main screen mounts: the first paint has no rows, a worker
    waits for the child's state and shows it (no second read of the folder and the database)."""
    from gtsd_tui.tui.app import GtsdApp
    from gtsd_tui.tui.widgets.rows import RowTable
    from tests.helpers.fake_console import FakeConsole

    monkeypatch.chdir(ROOT)
    fake = FakeConsole(ROOT / "migrations", applied=["0000_initial_schema"])
    first = (fake.refresh(), fake.watch_signature())
    asked: list[bool] = []

    def prefetched(*, wait: bool = False) -> object:
        asked.append(wait)
        return first if wait else None  # not there at the mount; there once waited for

    refreshes: list[int] = []
    real = fake.refresh
    monkeypatch.setattr(fake, "prefetched", prefetched)
    monkeypatch.setattr(fake, "refresh", lambda: refreshes.append(1) or real())
    app = GtsdApp(fake, live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        for _ in range(100):
            if app.state is not None:
                break
            await pilot.pause(0.05)
        await pilot.pause()
        assert app.state is first[0]
        assert list(app.main_screen.query_one("#history-table", RowTable).keys) == ["0000_initial_schema"]
        assert asked == [False, True] and refreshes == []


@pytest.mark.parametrize(("size", "composed"), [((80, 24), False), ((120, 34), True)])
async def test_panes_not_shown_are_composed_after_the_first_screen(
    monkeypatch: pytest.MonkeyPatch, size: tuple[int, int], composed: bool
) -> None:
    """On a narrow terminal only Pending is in the first paint; History, Conflicts and Connections are
    composed right after it, drawn from the state they kept. Wide, all four are in the first paint."""
    from gtsd_tui.tui.app import GtsdApp
    from gtsd_tui.tui.screens.main import MainScreen
    from gtsd_tui.tui.widgets.rows import RowTable
    from tests.helpers.fake_console import FakeConsole

    monkeypatch.chdir(ROOT)
    fake = FakeConsole(ROOT / "migrations", applied=["0000_initial_schema"])
    fake.prefetch()
    at_first_paint: list[bool] = []
    show_state = MainScreen.show_state

    def spy(self: MainScreen, *args: object) -> None:
        at_first_paint.append(bool(self.query("#history-table")))
        show_state(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(MainScreen, "show_state", spy)
    app = GtsdApp(fake, live=False)
    async with app.run_test(size=size) as pilot:
        for _ in range(100):
            if app.main_screen.query("#history-table") and app.main_screen.query("#sessions-table"):
                break
            await pilot.pause(0.05)
        assert at_first_paint[:1] == [composed]
        assert list(app.main_screen.query_one("#history-table", RowTable).keys) == ["0000_initial_schema"]
        await pilot.press("1")
        await pilot.pause()
        assert app.active_pane() == "history"


async def test_the_footer_composes_again_only_when_its_keys_change(monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual's footer recomposed after every bindings change (several times before the first paint);
    this one recomposes when the keys it shows change, once per burst of changes."""
    from textual.widgets._footer import FooterKey

    from gtsd_tui.tui.app import GtsdApp
    from gtsd_tui.tui.widgets.keys_footer import KeysFooter
    from tests.helpers.fake_console import FakeConsole

    monkeypatch.chdir(ROOT)
    fake = FakeConsole(ROOT / "migrations", applied=["0000_initial_schema"])
    fake.prefetch()
    composed: list[int] = []
    compose = KeysFooter.compose

    def counting(self: KeysFooter) -> object:
        composed.append(1)
        return compose(self)

    monkeypatch.setattr(KeysFooter, "compose", counting)
    app = GtsdApp(fake, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        footer = app.main_screen.query_one(KeysFooter)
        before = len(composed)
        assert before <= 2  # the empty compose at mount, then the keys once
        for _ in range(5):
            app.refresh_bindings()
            await pilot.pause(0.05)
        assert len(composed) == before  # same keys: nothing composed again
        await pilot.press("4")
        await pilot.pause(0.3)
        assert len(composed) == before + 1
        assert "Pause" in [k.description for k in footer.query(FooterKey)]
