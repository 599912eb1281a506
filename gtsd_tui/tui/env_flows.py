"""The Environments view's apply: confirm (the environment's name typed out when it is not the console's
own database), run it through the console service's ``apply_env`` (services/apply.py), show the result.

Plain functions over the app and the screen, called on the main thread; the work runs in ``jobs``.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from gtsd_tui.core.display import shown
from gtsd_tui.core.vocab import Busy
from gtsd_tui.tui import flows, jobs
from gtsd_tui.tui.screens.confirm import ConfirmScreen
from gtsd_tui.tui.screens.error import ErrorScreen

if TYPE_CHECKING:
    from gtsd_tui.services.console_envs import EnvColumn
    from gtsd_tui.tui import messages as msg
    from gtsd_tui.tui.app import GtsdApp
    from gtsd_tui.tui.screens.environments import EnvironmentsScreen


def confirm_body(env: EnvColumn, todo: list[str]) -> str:
    lines = [f"{env.name} · {env.url} · from {env.source}", ""]
    lines.append(f"apply {len(todo)} migration(s), each in its own transaction with its row:")
    lines += [f"  • {shown(tag)}" for tag in todo]
    if not env.current:
        lines += ["", "This is NOT the console's own database."]
    return "\n".join(lines)


def ask_apply(app: GtsdApp, screen: EnvironmentsScreen, env: EnvColumn, to_tag: str | None) -> None:
    """``to_tag`` None: every pending migration. Refused (with the reason) when it cannot run."""
    if app.busy:
        app.notify(f"{app.busy}: wait until it finishes", severity="warning")
        return
    if screen.loading_envs:
        app.notify("still reading the environments", severity="warning")
        return
    if not env.reachable:
        app.notify(f"{env.name} is unreachable: {env.error}", severity="warning")
        return
    todo = env.pending_up_to(to_tag)
    if not todo:
        where = f"up to {to_tag}" if to_tag else "at all"
        app.notify(f"nothing pending in {env.name} {where}", severity="warning")
        return

    def answer(yes: bool | None) -> None:
        if yes:
            start(app, screen, env.name, to_tag)

    title = f"Apply {'all pending' if to_tag is None else f'up to {to_tag}'} to {env.name}?"
    typed = None if env.current else env.name
    app.push_screen(ConfirmScreen(title, confirm_body(env, todo), type_to_confirm=typed), answer)


def start(app: GtsdApp, screen: EnvironmentsScreen, name: str, to_tag: str | None) -> None:
    flows.set_busy(app, Busy.APPLYING_TO, name)
    screen.write_log(f"{name}: starting…")
    # progress goes to the view; the result to the main screen, which outlives the view (esc during the
    # apply must not lose the message that ends the console's busy state)
    app.run_job("env_apply", partial(jobs.apply_env, app.service, name, to_tag, screen.post_message))


def finished(app: GtsdApp, event: msg.EnvApplyFinished, screen: EnvironmentsScreen | None) -> None:
    """The apply's result; ``screen``: the Environments view when it is still open."""
    flows.set_busy(app, Busy.IDLE)
    failure = event.failure
    if failure is None:
        n = len(event.applied)
        text = f"✓ {event.env}: applied {n} migration(s)" if n else f"{event.env}: nothing to apply"
        app.notify(text)
    else:
        text = f"✗ {event.env}: {failure.message}"
        head = [f"SQLSTATE {failure.sqlstate}", failure.server_message or ""] if failure.sqlstate else []
        title = f"{failure.title} ({event.env})"
        app.push_screen(ErrorScreen(title, failure.where, head + failure.details() or [failure.message]))
    if screen is not None:
        screen.write_log(text)
        screen.action_refresh()
    flows.reload(app)  # the console's own database may be the one applied to


def failed(app: GtsdApp, group: str, error: str, screen: EnvironmentsScreen | None) -> None:
    """An unexpected error in the view's worker: the view stops loading, a failed apply frees the console."""
    if group == "env_apply":
        flows.set_busy(app, Busy.IDLE)
    if screen is not None:
        if group == "envs":
            screen.load_failed(error)
        else:
            screen.write_log(f"✗ apply stopped: {error}")
