"""What the console does when a key asks for a change: confirm, run the job, present the result.

Plain functions over the app (no mixin): the app's actions and message handlers call them on the main
thread; the work itself runs in ``jobs`` through ``app.run_job``.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from gtsd_tui.core.vocab import Busy
from gtsd_tui.tui import jobs, live
from gtsd_tui.tui import messages as msg
from gtsd_tui.tui.commands import DESTRUCTIVE, PANE_ACTIONS
from gtsd_tui.tui.screens.confirm import ChoiceScreen, ConfirmScreen
from gtsd_tui.tui.screens.conflict_detail import ConflictDetailScreen
from gtsd_tui.tui.screens.error import ErrorScreen
from gtsd_tui.tui.screens.prompt import PromptScreen
from gtsd_tui.tui.screens.text_view import TextScreen
from gtsd_tui.tui.widgets.conflicts_pane import finding_detail

APP_NAME = "gtsd-tui"  # the application_name of our own connections (the apply's among them)

if TYPE_CHECKING:
    from gtsd_tui.core.merging.conflicts import Finding
    from gtsd_tui.core.server.activity import Session
    from gtsd_tui.services.apply import ApplyEvent
    from gtsd_tui.services.console import ConsoleState, LiveStats
    from gtsd_tui.services.files import Signature
    from gtsd_tui.tui.app import GtsdApp


def reload(app: GtsdApp) -> None:
    app.run_job("state", partial(jobs.load_state, app.service))


def set_busy(app: GtsdApp, state: Busy, target: str = "") -> None:
    """What the console runs now (Busy.IDLE: nothing); ``target`` names what it runs on."""
    app.busy_state = state
    app.busy = f"{state} {target}" if target else str(state)
    live.render_header(app)
    app.refresh_bindings()


# ---- apply ----------------------------------------------------------------------------------------


def state_loaded(app: GtsdApp, state: ConsoleState, signature: Signature) -> None:
    if state.db.fatal:  # bad input (a malformed URL): one line and exit 2, as every command does
        app.fatal = state.db.error
        app.exit(return_code=2)
        return
    first = app.state is None
    app.state = state
    app.seen = (app.seen[0] + 1, signature)
    app.failures = 0 if state.db.connected else app.failures + 1
    if not state.db.connected and app.retry_in <= 0:  # soon at first (a server still starting), then every 10 s
        app.retry_in = min(live.RETRY_SECONDS, 2**app.failures)
    if not state.db.connected and state.db.error:  # no "waiting for the first poll…": none comes until it is back
        from gtsd_tui.core.connect_failure import failure_kind

        why = {"auth": "authentication failed", "missing_database": "the database does not exist"}
        app.connections.show_error(f"no database ({why.get(failure_kind(state.db.error), 'not connected')})")
    live.render_header(app)
    app.history.show(state)
    app.pending.show(state)
    if first and state.db.connected and state.report is not None and not state.report.pending:
        app.main_screen.focus_pane("history")  # nothing pending: not an empty pane first
    app.refresh_bindings()
    app.call_after_refresh(app.run_job, "findings", partial(jobs.load_findings, app.service, state))
    app.call_after_refresh(live.watch_folder, app)


def load_preview(app: GtsdApp, tag: str, error_line: int | None) -> None:
    if app.state is not None and app.state.folder is not None:
        folder = app.state.folder
        app.run_job("preview", partial(jobs.load_preview, app.service, folder, tag, error_line))


def ask_apply(app: GtsdApp, to_tag: str | None, *, whole: bool) -> None:
    if app.busy:
        app.notify(f"{app.busy}: wait until it finishes", severity="warning")
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
    app.run_job("plan", partial(jobs.show_plan, app.service, to_tag))


def confirm_apply(app: GtsdApp, event: msg.PlanShown) -> None:
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
    set_busy(app, Busy.APPLYING)
    app.pending.write_log("starting…", fresh=True)
    app.run_job("apply", partial(jobs.apply, app.service, to_tag, app.post_to_screen, safe))


def ask_review(app: GtsdApp, to_tag: str | None) -> None:
    """The Review screen rehearses up to ``to_tag`` on a throwaway copy; its ``a`` applies, carefully."""
    from gtsd_tui.tui.screens.review import ReviewScreen

    if app.busy:
        app.notify(f"{app.busy}: wait until it finishes", severity="warning")
        return
    st = app.state
    if st is None or st.report is None or not st.report.pending or not st.db.connected:
        app.notify("nothing pending to rehearse (or no database)", severity="warning")
        return

    def answer(apply: bool | None) -> None:
        if apply:
            start_apply(app, to_tag, safe=True)

    app.push_screen(ReviewScreen(app.service, to_tag), answer)


def progressed(app: GtsdApp, event: msg.ApplyProgressed) -> None:
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


def finished(app: GtsdApp, event: msg.ApplyFinished) -> None:
    set_busy(app, Busy.IDLE)
    failure = event.failure
    if failure is None:
        n = len(event.applied)
        app.pending.write_log(f"✓ applied {n} migration(s)" if n else "nothing to apply")
    else:
        app.pending.write_log(f"✗ {failure.message}")
        app.pending.fail(failure.tag, failure.where or failure.message)
        head = [f"SQLSTATE {failure.sqlstate}", failure.server_message or ""] if failure.sqlstate else []
        app.push_screen(ErrorScreen(failure.title, failure.where, head + failure.details() or [failure.message]))
        if failure.tag is not None:
            app.pending.focus_failure(failure.tag, failure.line)
    reload(app)


# ---- sessions -------------------------------------------------------------------------------------


def ask_signal(app: GtsdApp, session: Session, terminate: bool) -> None:
    pid = session.pid
    what = "Terminate the session" if terminate else "Cancel the running query"
    body = f"pid {pid} · {session.database} · {session.application or 'no application_name'} · {session.state}\n\n"
    body += session.query or "(no query text)"

    def answer(yes: bool | None) -> None:
        if yes:
            app.run_job("signal", partial(jobs.signal, app.service, pid, terminate), exclusive=False)

    label = "Terminate" if terminate else "Cancel query"
    screen = ConfirmScreen(f"{what} of pid {pid}?", body, action_label=label, cancel_label="Leave it")
    app.push_screen(screen, answer)


def signalled(app: GtsdApp, event: msg.SignalSent) -> None:
    verb = "terminated" if event.terminate else "cancelled its query"
    if event.delivered:
        app.notify(f"pid {event.pid}: {verb}")
    else:
        app.notify(f"pid {event.pid}: not signalled (gone, or not allowed)", severity="warning")
    live.schedule_stats(app, 0.2)


# ---- renumber, reset, backup, new -----------------------------------------------------------------


def planned_renumber(app: GtsdApp, event: msg.RenumberPlanned) -> None:
    context = event.context
    plan = context.plan
    if plan.noop:
        app.notify("nothing to renumber: the folder is consistent")
        return
    if event.refused is not None:  # as the CLI: refused until the branches agree (the CLI's --force merges)
        app.push_screen(ErrorScreen("Cannot renumber", "nothing changed", event.refused))
        return

    def answer(yes: bool | None) -> None:
        if yes:
            app.run_job("renumber", partial(jobs.renumber, app.service, context))

    app.push_screen(ConfirmScreen("Renumber migrations?", "\n".join(event.body), action_label="Renumber"), answer)


def renumbered(app: GtsdApp, event: msg.RenumberDone) -> None:
    if event.error:
        app.push_screen(ErrorScreen("Renumber failed", "", [event.error]))
    else:
        app.notify(event.summary)
    reload(app)


def confirm_reset(app: GtsdApp, event: msg.ResetTargetKnown) -> None:
    """Reset, then (when the database can be read) a second question whose two ways to go ahead have
    their own keys: ``b`` backs up then resets, ``r`` resets without backup; ``n`` and escape cancel."""
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
            set_busy(app, Busy.BACKING_UP)
            app.pending.write_log("backup: running pg_dump…", fresh=True)
            app.run_job("backup", partial(jobs.backup, app.service, True))
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
    set_busy(app, Busy.RESETTING)
    app.pending.write_log("reset: starting…", fresh=fresh)
    app.run_job("reset", partial(jobs.reset, app.service, app.post_to_screen))


def backed_up(app: GtsdApp, event: msg.BackupFinished) -> None:
    set_busy(app, Busy.IDLE)
    if event.error is not None:
        title = "Backup failed: the database was not reset" if event.then_reset else "Backup failed"
        app.push_screen(ErrorScreen(title, "", [event.error]))
        return
    app.notify(f"backup written to {event.path}")
    app.pending.write_log(f"backup: {event.path}")
    if event.then_reset:
        start_reset(app, fresh=False)


def reset_finished(app: GtsdApp, event: msg.ResetFinished) -> None:
    set_busy(app, Busy.IDLE)
    if event.timings is None:
        app.pending.write_log(f"✗ reset failed: {event.error}")
        app.push_screen(ErrorScreen("Reset failed", "", [event.error or "unknown error"]))
    else:
        summary = "  ".join(f"{k} {v * 1000:.0f} ms" for k, v in event.timings.items())
        app.pending.write_log(f"✓ reset: {summary}")
        app.notify(f"reset: {summary}")
    reload(app)


def ask_new(app: GtsdApp) -> None:
    def answer(name: str | None) -> None:
        if name:
            app.run_job("new", partial(jobs.create, app.service, name))

    app.push_screen(PromptScreen("New migration", "short name, e.g. add_user_streaks"), answer)


def created(app: GtsdApp, event: msg.MigrationCreated) -> None:
    if event.error:
        app.push_screen(ErrorScreen("New migration failed", "", [event.error]))
    else:
        app.notify(f"created {event.file}; E edits it")
        path = event.file.replace("\\", "/")
        tag = path.rsplit("/", 2)[-2] if "/" in path else path.removesuffix(".sql")  # v1: its folder's name
        app.main_screen.focus_pane("pending")
        app.pending.select_when_listed(tag)
    reload(app)


def open_finding(app: GtsdApp, finding: Finding) -> None:
    """A clash or overlap: base / ours / theirs side by side; any other finding: its full text."""
    if finding.detail:
        app.push_screen(ConflictDetailScreen(finding.code, finding.message, finding.detail))
    else:
        app.push_screen(TextScreen(f"{finding.code}: {finding.severity}", finding_detail(finding)))


def worker_failed(app: GtsdApp, group: str, exc: BaseException | None) -> None:
    """An unexpected worker error: shown, and what that worker left half-done reset."""
    error = f"{type(exc).__name__}: {exc}"
    if group == "preview":  # e.g. the file was deleted after the folder was read: name it, drop the old SQL
        app.pending.preview_failed(str(exc))
        app.notify(str(exc), title="Preview failed", severity="error")
        return
    if group == "stats":
        app.connections.show_error(error)
        live.schedule_stats(app)
        return
    if group in ("apply", "reset", "backup"):
        app.pending.write_log(f"✗ {group} stopped: {error}")
        set_busy(app, Busy.IDLE)
        reload(app)
    titles = {"reset": "Reset failed", "apply": "Apply failed", "env_apply": "Apply failed"}
    title = titles.get(group, f"Unexpected error ({group})")
    app.push_screen(ErrorScreen(title, "", [error]))


def quit_console(app: GtsdApp) -> None:
    if not app.busy:
        app.exit()
        return

    def answer(ok: bool | None) -> None:
        if ok:
            app.service.cancel_apply()
            app.exit()

    body = f"{app.busy.capitalize()} now: quitting cancels it (the running migration is rolled back)."
    app.push_screen(ConfirmScreen(f"Quit while {app.busy}?", body, action_label="Quit"), answer)


def palette(app: GtsdApp, action: str) -> None:
    """A palette entry: go to the pane the action belongs to, then run it as its key would there."""
    if action.startswith("pane:"):
        app.main_screen.focus_pane(action.removeprefix("pane:"))
        return
    if action in DESTRUCTIVE and app.read_only:
        app.notify(f"{action.replace('_', ' ')}: not in --read-only", severity="warning")
        return
    if action == "renumber" and not app.conflicts.fixable:
        app.notify("renumber: no finding it fixes", severity="warning")
        return
    panes = PANE_ACTIONS.get(action)
    if panes and app.main_screen.active_pane() not in panes:
        app.main_screen.focus_pane(panes[0])
    app.call_after_refresh(getattr(app, f"action_{action}"))  # once the focus has moved
