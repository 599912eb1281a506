"""Reset (``R``: drop, recreate, migrate) and Backup (palette: pg_dump): the first question, then the
backup question whose two ways to go ahead have their own keys (``b`` backs up then resets, ``r``
resets without backup; ``n`` and escape cancel), the runs with their progress in the Pending pane."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from gtsd_tui.errors import GtsdError
from gtsd_tui.tui import flows
from gtsd_tui.tui.busy import Busy
from gtsd_tui.tui.features import FeatureMessage, fails, handles
from gtsd_tui.tui.screens.confirm import ChoiceScreen, ConfirmScreen
from gtsd_tui.tui.screens.error import ErrorScreen

if TYPE_CHECKING:
    from textual.message import Message

    from gtsd_tui.services.console import ConsoleService
    from gtsd_tui.tui.app import GtsdApp


@dataclass(eq=False, repr=False)
class ResetTargetKnown(FeatureMessage):
    """The database a reset would recreate, and whether it is local."""

    name: str
    local: bool


@dataclass(eq=False, repr=False)
class ResetProgressed(FeatureMessage):
    """One step of a running reset."""

    text: str


@dataclass(eq=False, repr=False)
class ResetFinished(FeatureMessage):
    """A reset ended (its timings, or the error)."""

    timings: dict[str, float] | None
    error: str | None = None


@dataclass(eq=False, repr=False)
class BackupFinished(FeatureMessage):
    """A backup ended (its file, or the error)."""

    path: str | None
    error: str | None = None
    then_reset: bool = False


# ---- workers --------------------------------------------------------------------------------------


def reset_target(service: ConsoleService) -> ResetTargetKnown:
    name, local = service.reset_target()
    return ResetTargetKnown(name, local)


def backup(service: ConsoleService, then_reset: bool) -> BackupFinished:
    try:
        return BackupFinished(service.backup(), None, then_reset)
    except GtsdError as exc:
        return BackupFinished(None, str(exc), then_reset)


def reset(service: ConsoleService, post: Callable[[Message], object]) -> ResetFinished:
    def progress(text: str) -> None:
        post(ResetProgressed(text))

    try:
        return ResetFinished(service.reset(progress))
    except GtsdError as exc:
        return ResetFinished(None, str(exc))


# ---- actions and dialogs --------------------------------------------------------------------------


def action_reset(app: GtsdApp) -> None:
    if not flows.refused_while_busy(app):
        app.run_job("reset", partial(reset_target, app.service))


def action_backup(app: GtsdApp) -> None:
    app.run_job("backup", partial(backup, app.service, False))


@handles(ResetTargetKnown)
def confirm_reset(app: GtsdApp, event: ResetTargetKnown) -> None:
    """Reset, then (when the database can be read) the backup question."""
    reachable = app.state is not None and app.state.db.connected
    body = (
        f"Drop database {event.name!r}, create it again and apply every migration.\n"
        "A later reset with unchanged migrations clones a saved template."
    )
    if not reachable:  # nothing to back up (e.g. the database does not exist yet): create it
        why = app.state.db.error if app.state is not None and app.state.db.error else "it cannot be reached now"
        body = f"Create database {event.name!r} (dropping it if it exists) and apply every migration.\n\n{why}"
    if not event.local:
        body += "\n\nThis is NOT a local server."

    def backup_answer(choice: str | None) -> None:
        if choice == "b":
            flows.set_busy(app, Busy.BACKING_UP)
            app.pending.write_log("backup: running pg_dump…", fresh=True)
            app.run_job("backup", partial(backup, app.service, True))
        elif choice == "r":
            start_reset(app)
        else:
            app.notify("reset cancelled")

    def answer(yes: bool | None) -> None:
        if not yes:
            return
        if not reachable:
            start_reset(app)
            return
        question = ChoiceScreen(
            "Back up first?",
            f"pg_dump {event.name!r} to .gtsd/backups/backup_YYYYMMDD_HHMMSS.sql (ignored by git) before dropping it.\n"
            "b: back up, then reset · r: reset without backup · n or esc: cancel (nothing is dropped)",
            [("b", "Back up, reset"), ("r", "No backup")],  # short: the three buttons fit at 80 columns
        )
        app.push_screen(question, backup_answer)

    typed = None if event.local else event.name
    from gtsd_tui.core.connect_failure import MISSING_DATABASE, failure_kind

    missing = not reachable and app.state is not None and failure_kind(app.state.db.error or "") == MISSING_DATABASE
    title = "Create the database?" if missing else "Reset the database?"
    label = "Create" if missing else "Reset"
    app.push_screen(ConfirmScreen(title, body, action_label=label, type_to_confirm=typed), answer)


def start_reset(app: GtsdApp, *, fresh: bool = True) -> None:
    flows.set_busy(app, Busy.RESETTING)
    app.pending.write_log("reset: starting…", fresh=fresh)
    app.run_job("reset", partial(reset, app.service, app.post_to_screen))


# ---- results --------------------------------------------------------------------------------------


@handles(ResetProgressed)
def progressed(app: GtsdApp, event: ResetProgressed) -> None:
    app.pending.write_log(f"reset: {event.text}")


@handles(BackupFinished)
def backed_up(app: GtsdApp, event: BackupFinished) -> None:
    flows.set_busy(app, Busy.IDLE)
    if event.error is not None:
        title = "Backup failed: the database was not reset" if event.then_reset else "Backup failed"
        app.push_screen(ErrorScreen(title, "", [event.error]))
        return
    app.notify(f"backup written to {event.path}")
    app.pending.write_log(f"backup: {event.path}")
    if event.then_reset:
        start_reset(app, fresh=False)


@handles(ResetFinished)
def reset_finished(app: GtsdApp, event: ResetFinished) -> None:
    flows.set_busy(app, Busy.IDLE)
    if event.timings is None:
        app.pending.write_log(f"✗ reset failed: {event.error}")
        app.push_screen(ErrorScreen("Reset failed", "", [event.error or "unknown error"]))
    else:
        summary = "  ".join(f"{k} {v * 1000:.0f} ms" for k, v in event.timings.items())
        app.pending.write_log(f"✓ reset: {summary}")
        app.notify(f"reset: {summary}")
    flows.reload(app)


@fails("reset", "backup")
def reset_failed(app: GtsdApp, group: str, exc: BaseException | None) -> None:
    flows.stopped(app, group, exc, "Reset failed" if group == "reset" else "")
