"""The console itself: quit (asks while something runs), Help, refresh, the filter, the panes, Check, and
the command palette (each entry goes to the pane its action belongs to, then runs as its key would)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gtsd_tui.tui import actions, flows
from gtsd_tui.tui.busy import Busy
from gtsd_tui.tui.screens.confirm import ConfirmScreen

if TYPE_CHECKING:
    from gtsd_tui.tui.app import GtsdApp
    from gtsd_tui.tui.screens.help import Section


def action_quit_console(app: GtsdApp) -> None:
    if not app.busy:
        app.exit()
        return

    def answer(ok: bool | None) -> None:
        if ok:
            app.service.cancel_apply()
            app.exit()

    undone = "its copy is dropped" if app.busy_state == Busy.REHEARSING else "the running migration is rolled back"
    body = f"{app.busy.capitalize()} now: quitting cancels it ({undone})."
    app.push_screen(ConfirmScreen(f"Quit while {app.busy}?", body, action_label="Quit"), answer)


def action_help(app: GtsdApp) -> None:
    """The console's keys by pane, from the registry (the same bindings the app, panes and screens have)."""
    from gtsd_tui.tui.screens.help import HelpScreen

    app.push_screen(HelpScreen(help_sections()))


def help_sections() -> list[Section]:
    """Help's sections: the app's keys by pane, each pane's own keys, and the keys of each screen an
    app key opens (``opens``), titled with that key."""
    from gtsd_tui.tui.screens.help import sections
    from gtsd_tui.tui.widgets.pane import PANES

    panes = {name: actions.bindings(f"pane:{name}") for name in PANES}
    screens = {
        f"{a.footer} ({a.key_label})": actions.bindings(a.opens)
        for a in actions.in_scope(actions.APP)
        if a.opens and a.keys
    }
    return sections(actions.bindings(actions.APP), panes, actions.pane_actions(), screens)


def action_refresh(app: GtsdApp) -> None:
    app.notify("refreshing…", timeout=1.5)
    flows.reload(app)


def can_filter(app: GtsdApp) -> bool:
    """``/`` (a priority key) opens a filter on the main screen only, and not while an input has the
    focus: there it is the character typed."""
    from textual.widgets import Input

    return app.screen is app.main_screen and not isinstance(app.focused, Input)


async def action_filter(app: GtsdApp) -> None:
    await app.main_screen.pane(app.active_pane()).open_filter()


def action_clear_filter(app: GtsdApp) -> None:
    app.main_screen.pane(app.active_pane()).clear_filter()


def action_focus_pane(app: GtsdApp, name: str) -> None:
    app.main_screen.focus_pane(name)


def action_check(app: GtsdApp) -> None:
    action_focus_pane(app, "conflicts")
    action_refresh(app)


def action_palette(app: GtsdApp, name: str) -> None:
    """A palette entry (``name``: its action, or its id for an action with parameters): refused with the
    reason where its key would be hidden (``--read-only``, a guard with a refusal), else run in its pane."""
    a = actions.palette_action(name)
    if a is None:
        return
    if a.destructive and app.read_only:
        app.notify(f"{a.name.replace('_', ' ')}: not in --read-only", severity="warning")
        return
    if a.refusal and not actions.guard(a)(app):
        app.notify(f"{a.name}: {a.refusal}", severity="warning")
        return
    if a.panes and app.main_screen.active_pane() not in a.panes:
        app.main_screen.focus_pane(a.panes[0])
    run = getattr(app, f"action_{a.name}")
    app.call_after_refresh(run, *a.params)  # once the focus has moved
