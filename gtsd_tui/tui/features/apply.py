"""Apply (``a`` up to the highlighted migration, ``A`` all pending): the plan, the confirm dialog, the
run through ``services/apply.py`` with its progress in the Pending pane, and the result.

Review's safe apply ends here too (``start_apply(..., safe=True)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from gtsd_tui.core.display import shown
from gtsd_tui.errors import GtsdError
from gtsd_tui.tui import flows
from gtsd_tui.tui.busy import Busy
from gtsd_tui.tui.features import FeatureMessage, fails, handles
from gtsd_tui.tui.screens.confirm import ConfirmScreen
from gtsd_tui.tui.screens.error import ErrorScreen

if TYPE_CHECKING:
    from textual.message import Message

    from gtsd_tui.services.apply import ApplyEvent, ApplyFailure
    from gtsd_tui.services.console import ConsoleService, LiveStats
    from gtsd_tui.tui.app import GtsdApp

APP_NAME = "gtsd-tui"  # the application_name of our own connections (the apply's among them)


# ---- messages -------------------------------------------------------------------------------------


@dataclass(eq=False, repr=False)
class PlanShown(FeatureMessage):
    """The plan an apply would run, for the confirm dialog (``error``: it cannot run; nothing was run)."""

    to_tag: str | None
    body: str | None
    error: str | None = None


@dataclass(eq=False, repr=False)
class ApplyProgressed(FeatureMessage):
    """One event of a running apply."""

    event: ApplyEvent


@dataclass(eq=False, repr=False)
class ApplyFinished(FeatureMessage):
    """An apply ended: what applied, and the failure if one stopped it."""

    applied: list[str]
    failure: ApplyFailure | None
    # what a migration's own ROLLBACK took back (tag, state now), and one line per such ROLLBACK
    rolled_back: list[tuple[str, str]] = field(default_factory=list)
    undone: list[str] = field(default_factory=list)


# ---- workers --------------------------------------------------------------------------------------


def show_plan(service: ConsoleService, to_tag: str | None) -> PlanShown:
    try:
        return PlanShown(to_tag, service.plan_text(to_tag))
    except GtsdError as exc:
        return PlanShown(to_tag, None, str(exc))


def apply(service: ConsoleService, to_tag: str | None, post: Callable[[Message], object], safe: bool) -> ApplyFinished:
    def listen(event: ApplyEvent) -> None:
        post(ApplyProgressed(event))

    try:
        result = service.apply(to_tag, listen, safe)
    except GtsdError as exc:
        from gtsd_tui.services.apply import failure_of

        failure = failure_of(exc)
        return ApplyFinished([], failure, undone=list(failure.undone))
    return ApplyFinished(result.applied_tags, None, list(result.rolled_back), list(result.undone))


# ---- actions and dialogs --------------------------------------------------------------------------


def action_apply_to(app: GtsdApp) -> None:
    ask_apply(app, app.pending.highlighted, whole=False)


def action_apply_all(app: GtsdApp) -> None:
    ask_apply(app, None, whole=True)


def ask_apply(app: GtsdApp, to_tag: str | None, *, whole: bool) -> None:
    if flows.refused_while_busy(app):
        return
    st = app.state
    if st is None:
        app.notify("still loading the folder", severity="warning")
        return
    if not st.db.connected:
        app.notify("no database: nothing can be applied until it is back", severity="warning")
        return
    if st.report is None or not st.report.pending or (to_tag is None and not whole):
        app.notify("nothing pending: every migration of the folder is applied", severity="warning")
        return
    app.run_job("plan", partial(show_plan, app.service, to_tag))


@handles(PlanShown)
def confirm_apply(app: GtsdApp, event: PlanShown) -> None:
    if event.error is not None:
        app.push_screen(ErrorScreen("Cannot apply", "nothing was run", [event.error]))
        return
    if event.body is None or event.body == "nothing to apply":
        app.notify("nothing to apply", severity="warning")
        return
    to_tag = event.to_tag

    def answer(yes: bool | None) -> None:
        if yes:
            start_apply(app, to_tag)

    title = "Apply all pending migrations?" if to_tag is None else f"Apply up to {to_tag}?"
    app.push_screen(ConfirmScreen(title, event.body), answer)


def start_apply(app: GtsdApp, to_tag: str | None, safe: bool = False) -> None:
    """``safe``: the careful lock_timeout and retries (the apply of the Review screen)."""
    flows.set_busy(app, Busy.APPLYING)
    app.pending.write_log("starting…", fresh=True)
    app.run_job("apply", partial(apply, app.service, to_tag, app.post_to_screen, safe))


# ---- results --------------------------------------------------------------------------------------


@handles(ApplyProgressed)
def progressed(app: GtsdApp, event: ApplyProgressed) -> None:
    app.pending.write_log(progress_text(event.event))


def progress_text(e: ApplyEvent) -> str:
    """One apply event as the log line the console shows (Pending pane, Environments view)."""
    from gtsd_tui.services.apply import LockWaiting, Note, PlanReady, PoolerDetected, StepDone, StepStarted

    if isinstance(e, LockWaiting):
        text = f"waiting for the migration lock held by {e.who} ({e.remaining:.0f}s left)"
    elif isinstance(e, PlanReady):
        text = f"applying {len(e.tags)} migration(s)…"
    elif isinstance(e, StepStarted):
        text = f"[{e.index + 1}/{e.total}] {e.tag}…"
    elif isinstance(e, StepDone):
        text = f"✓ {e.tag} {e.seconds * 1000:.0f} ms"
    elif isinstance(e, PoolerDetected | Note):
        text = e.message
    return text


def name_blockers(app: GtsdApp, stats: LiveStats) -> None:
    """While an apply waits on a lock, the Pending pane names the session holding it (from the poll)."""
    by_pid = {s.pid: s for s in stats.sessions}
    for s in stats.sessions:
        if s.application == APP_NAME and s.blocked:
            who = [by_pid[p] for p in s.blocked_by if p in by_pid]
            names = "; ".join(
                f"pid {b.pid} ({b.application or 'no name'}, {b.state}: {b.short_query(40)})" for b in who
            )
            app.pending.write_log(f"waiting for {s.wait or 'a lock'} held by {names or s.blocked_by}")


def warn_undone(app: GtsdApp, undone: list[str]) -> None:
    """A warning per migration's own ROLLBACK (the logs keep their last line only)."""
    for line in undone:
        app.notify(shown(line), title="A migration's own ROLLBACK", severity="warning", timeout=30, markup=False)


def rollback_suffix(rolled_back: list[tuple[str, str]], undone: list[str]) -> str:
    """What a migration's own ROLLBACK did, after an apply's last log line ('' when none ran)."""
    if rolled_back:  # the database does not hold these: the table was read back
        return "; ↶ rolled back by a migration's own ROLLBACK: " + ", ".join(
            f"{shown(t)} ({state})" for t, state in rolled_back
        )
    return f"; its own ROLLBACK undid part of it: {shown(undone[0])}" if undone else ""


@handles(ApplyFinished)
def finished(app: GtsdApp, event: ApplyFinished) -> None:
    flows.set_busy(app, Busy.IDLE)
    failure = event.failure
    warn_undone(app, event.undone)
    if failure is None:
        n = len(event.applied)
        text = f"✓ applied {n} migration(s)" if n else "nothing to apply"
        app.pending.write_log(text + rollback_suffix(event.rolled_back, event.undone))
    else:
        app.pending.write_log(f"✗ {failure.message}")
        app.pending.fail(failure.tag, failure.where or failure.message)
        head = [f"SQLSTATE {failure.sqlstate}", failure.server_message or ""] if failure.sqlstate else []
        app.push_screen(ErrorScreen(failure.title, failure.where, head + failure.details() or [failure.message]))
        if failure.tag is not None:
            app.pending.focus_failure(failure.tag, failure.line)
    flows.reload(app)


@fails("apply")
def apply_failed(app: GtsdApp, group: str, exc: BaseException | None) -> None:
    flows.stopped(app, group, exc, "Apply failed")
