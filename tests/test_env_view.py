"""The console's Environments view over the fake console service (deterministic: snapshots at 80×24 and
120×34, the typed-name confirmation, the keys); tests/test_env_view_pg.py runs it on real PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.widgets import Input

from gtsd_tui.core.migrations.status import HistoryRow
from gtsd_tui.tui.app import GtsdApp
from gtsd_tui.tui.screens.confirm import ConfirmScreen
from gtsd_tui.tui.screens.environments import EnvironmentsScreen
from gtsd_tui.tui.widgets.env_detail import EnvDetail
from gtsd_tui.tui.widgets.env_matrix import EnvMatrix
from tests.helpers.fake_console import FakeConsole

ROOT = Path(__file__).resolve().parent.parent
ALL = ["0000_initial_schema", "0001_onboarding", "0002_partners", "0003_today_checklist"]
SIZES = {"80x24": (80, 24), "120x34": (120, 34)}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeConsole:
    monkeypatch.chdir(ROOT)
    fake = FakeConsole(ROOT / "migrations", applied=list(ALL))
    fake.env_applied = {"dev": None, "staging": ALL[:2], "prod": None}
    fake.env_unknown = {"staging": [HistoryRow(9, "f" * 64, 1_600_000_000_000, legacy=True)]}
    return fake


def envs_screen(app: GtsdApp) -> EnvironmentsScreen:
    screen = app.screen_stack[-1]
    assert isinstance(screen, EnvironmentsScreen), screen
    return screen


async def opened(pilot) -> EnvironmentsScreen:
    app: GtsdApp = pilot.app
    for _ in range(200):
        if app.state is not None:
            break
        await pilot.pause(0.05)
    await pilot.press("e")
    for _ in range(200):
        screen = app.screen_stack[-1]
        if isinstance(screen, EnvironmentsScreen) and screen.envs is not None and not screen.loading_envs:
            await pilot.pause(0.1)
            return screen
        await pilot.pause(0.05)
    raise AssertionError("the Environments view did not load")


@pytest.mark.parametrize("size", list(SIZES))
def test_environments_snapshot(snap_compare, fake: FakeConsole, size: str) -> None:
    async def before(pilot) -> None:
        await opened(pilot)
        await pilot.press("right", "down", "down")  # staging, 0002_partners (pending there)
        await pilot.pause(0.2)

    assert snap_compare(GtsdApp(fake, live=False), terminal_size=SIZES[size], run_before=before)


async def type_into(pilot, text: str) -> None:
    box = pilot.app.screen.query_one("#typed", Input)
    box.focus()
    await pilot.press(*text)


async def press_ok(pilot) -> None:
    """The dialog's Apply button, by keyboard (a notification may cover it for a click)."""
    pilot.app.screen.query_one("#ok").focus()
    await pilot.press("enter")
    await pilot.pause(0.1)


async def test_apply_to_another_environment_needs_its_name_typed(fake: FakeConsole) -> None:
    app = GtsdApp(fake, live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await opened(pilot)
        matrix = screen.query_one(EnvMatrix)
        await pilot.press("right", "down", "down")
        assert matrix.selected == ("staging", "0002_partners")
        assert "0002_partners: • pending · not applied here" in str(screen.query_one(EnvDetail).render())
        await pilot.press("a")
        await pilot.pause(0.1)
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen) and dialog.type_to_confirm == "staging"
        await type_into(pilot, "stagin")  # a wrong name refuses: the dialog stays, nothing runs
        await press_ok(pilot)
        assert app.screen is dialog and fake.env_calls == []
        await type_into(pilot, "staging")  # focusing the box selects its text: typing replaces it
        await press_ok(pilot)
        for _ in range(100):
            await pilot.pause(0.05)
            if fake.env_calls and not screen.loading_envs and not app.busy:
                break
        assert fake.env_calls == [("staging", "0002_partners")]
        assert fake.env_applied["staging"] == ALL[:3]
        assert str(screen.query_one("#envs-log").render()) == "✓ staging: applied 1 migration(s)"
        assert matrix.get_cell("0002_partners", "staging").plain == "✓ applied"  # refreshed after the apply


async def test_the_name_is_typed_straight_into_the_dialog_and_enter_applies(fake: FakeConsole) -> None:
    """As a user types it in a terminal: the box has the focus when the dialog opens, the letters of
    "staging" (its "n" is also the dialog's No key) go into it, and enter applies; a wrong name and
    enter keep the dialog open and run nothing."""
    app = GtsdApp(fake, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        await pilot.press("right", "A")
        await pilot.pause(0.1)
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen) and dialog.type_to_confirm == "staging"
        assert isinstance(dialog.focused, Input)
        await pilot.press(*"stagin", "enter")
        await pilot.pause(0.1)
        assert app.screen is dialog and fake.env_calls == []
        await pilot.press("g", "enter")
        for _ in range(100):
            await pilot.pause(0.05)
            if fake.env_calls and not screen.loading_envs and not app.busy:
                break
        assert fake.env_calls and fake.env_calls[0][0] == "staging"
        assert fake.env_applied["staging"] == ALL


async def test_apply_to_the_consoles_own_environment_asks_without_a_typed_name(fake: FakeConsole) -> None:
    fake.applied = ALL[:1]
    app = GtsdApp(fake, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        assert screen.query_one(EnvMatrix).selected == ("dev", "0000_initial_schema")
        await pilot.press("A")
        await pilot.pause(0.1)
        assert isinstance(app.screen, ConfirmScreen) and app.screen.type_to_confirm is None
        await pilot.press("y")
        for _ in range(100):
            await pilot.pause(0.05)
            if fake.env_calls and not app.busy and not screen.loading_envs:
                break
        assert fake.env_calls == [("dev", None)] and fake.applied == ALL


async def test_unreachable_environment_is_a_cell_state_and_refuses_apply(fake: FakeConsole) -> None:
    app = GtsdApp(fake, live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await opened(pilot)
        matrix = screen.query_one(EnvMatrix)
        await pilot.press("right", "right")
        assert matrix.selected == ("prod", "0000_initial_schema")
        assert matrix.get_cell("0000_initial_schema", "prod").plain == "? unknown"
        detail = str(screen.query_one(EnvDetail).render())
        assert "✗ unreachable: cannot connect to db-prod.test:5432/app: connection refused" in detail
        assert "***" in detail
        await pilot.press("A")
        await pilot.pause(0.1)
        assert app.screen is screen and fake.env_calls == []


async def test_read_only_console_hides_apply_and_refresh_reloads(fake: FakeConsole) -> None:
    app = GtsdApp(fake, live=False, read_only=True)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await opened(pilot)
        await pilot.press("A")
        await pilot.pause(0.1)
        assert app.screen is screen and fake.env_calls == []
        fake.env_applied["staging"] = list(ALL)
        fake.env_gate = threading.Event()
        await pilot.press("r")
        await pilot.pause(0.2)
        assert screen.loading_envs and screen.query_one(EnvMatrix).loading  # shown until the refresh lands
        fake.env_gate.set()
        for _ in range(100):
            await pilot.pause(0.05)
            if not screen.loading_envs:
                break
        assert screen.query_one(EnvMatrix).get_cell("0003_today_checklist", "staging").plain == "✓ applied"
        await pilot.press("escape")
        assert not isinstance(app.screen, EnvironmentsScreen)


async def test_palette_opens_the_environments_view(fake: FakeConsole) -> None:
    app = GtsdApp(fake, live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await pilot.pause(0.2)
        app.action_palette("environments")
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, EnvironmentsScreen):
                break
        assert isinstance(app.screen, EnvironmentsScreen)


async def test_leaving_the_view_during_an_apply_still_ends_it(fake: FakeConsole) -> None:
    """The result goes to the main screen: closing the view mid-apply does not leave the console busy."""
    fake.applied = ALL[:1]
    fake.env_apply_gate = threading.Event()
    app = GtsdApp(fake, live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await opened(pilot)
        await pilot.press("A")
        await pilot.pause(0.1)
        await pilot.press("y")
        await pilot.pause(0.2)
        assert app.busy == "applying to dev"
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, EnvironmentsScreen)
        fake.env_apply_gate.set()
        for _ in range(100):
            await pilot.pause(0.05)
            if not app.busy:
                break
        assert app.busy == "" and fake.applied == ALL


async def test_a_slow_older_refresh_landing_last_does_not_replace_the_newer_one(fake: FakeConsole) -> None:
    """r twice: the first read is slow and lands after the second; the view keeps the second (newer) one."""
    app = GtsdApp(fake, live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await opened(pilot)
        read = fake.environments
        slow = threading.Event()
        calls: list[int] = []

        def environments():
            calls.append(1)
            if len(calls) == 1:
                stale = read()  # staging as it was: 0003 pending
                slow.wait(10)
                return stale
            return read()

        fake.environments = environments  # type: ignore[method-assign]
        await pilot.press("r")
        for _ in range(100):
            if calls:
                break
            await pilot.pause(0.02)
        fake.env_applied["staging"] = list(ALL)
        await pilot.press("r")
        for _ in range(100):
            await pilot.pause(0.05)
            if len(calls) == 2 and not screen.loading_envs:
                break
        cell = lambda: screen.query_one(EnvMatrix).get_cell("0003_today_checklist", "staging").plain  # noqa: E731
        assert cell() == "✓ applied", "the newer read is shown"
        slow.set()  # the older read now finishes
        await pilot.pause(0.5)
        assert cell() == "✓ applied", "the older read, landing last, replaced it"
