"""Sessions on the Connections pane: ``c`` cancels the selected session's query, ``K`` terminates the
session, each after a dialog naming it; the poll after shows the result."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from gtsd_tui.tui import live
from gtsd_tui.tui.features import FeatureMessage, handles

if TYPE_CHECKING:
    from gtsd_tui.core.server.activity import Session
    from gtsd_tui.services.console import ConsoleService
    from gtsd_tui.tui.app import GtsdApp


@dataclass(eq=False, repr=False)
class SignalWanted(FeatureMessage):
    """Cancel (``c``) or terminate (``K``) the selected session, once confirmed (posted by the pane)."""

    session: Session
    terminate: bool


@dataclass(eq=False, repr=False)
class SignalSent(FeatureMessage):
    """A cancel or terminate was sent to a backend."""

    pid: int
    terminate: bool
    delivered: bool


def signal(service: ConsoleService, pid: int, terminate: bool) -> SignalSent:
    return SignalSent(pid, terminate, service.signal(pid, terminate=terminate))


@handles(SignalWanted)
def ask_signal(app: GtsdApp, event: SignalWanted) -> None:
    session, terminate = event.session, event.terminate
    pid = session.pid
    what = "Terminate the session" if terminate else "Cancel the running query"
    body = f"pid {pid} · {session.database} · {session.application or 'no application_name'} · {session.state}\n\n"
    body += session.query or "(no query text)"

    def answer(yes: bool | None) -> None:
        if yes:
            app.run_job("signal", partial(signal, app.service, pid, terminate), exclusive=False)

    from gtsd_tui.tui.screens.confirm import ConfirmScreen  # (not on the console's start path)

    label = "Terminate" if terminate else "Cancel query"
    screen = ConfirmScreen(f"{what} of pid {pid}?", body, action_label=label, cancel_label="Leave it")
    app.push_screen(screen, answer)


@handles(SignalSent)
def signalled(app: GtsdApp, event: SignalSent) -> None:
    verb = "terminated" if event.terminate else "cancelled its query"
    if event.delivered:
        app.notify(f"pid {event.pid}: {verb}")
    else:
        app.notify(f"pid {event.pid}: not signalled (gone, or not allowed)", severity="warning")
    live.schedule_stats(app, 0.2)
