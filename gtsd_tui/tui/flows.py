"""What every feature of the console shares: reading the state again, the busy state, showing a state
that arrived, the preview, a finding's detail, and the reset after a worker that held the busy state
stopped on an unexpected error.

Plain functions over the app, called on the main thread; each feature's own dialogs and handlers are
in its module under ``tui/features/``.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from gtsd_tui.tui import jobs, live
from gtsd_tui.tui.busy import Busy
from gtsd_tui.tui.features import fails, unexpected
from gtsd_tui.tui.widgets.conflicts_pane import finding_detail

if TYPE_CHECKING:
    from gtsd_tui.core.merging.conflicts import Finding
    from gtsd_tui.services.console import ConsoleState
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


def refused_while_busy(app: GtsdApp) -> bool:
    """True (and said) when something runs: one change at a time."""
    if app.busy:
        app.notify(f"{app.busy}: wait until it finishes", severity="warning")
    return bool(app.busy)


def state_loaded(app: GtsdApp, state: ConsoleState, signature: Signature) -> None:
    if state.db.fatal:  # bad input (a malformed URL): one line and exit 2, as every command does
        app.fatal = state.db.error
        app.exit(return_code=2)
        return
    first = app.state is None
    app.state = state
    app.seen = (app.seen[0] + 1, signature)
    app.failures = 0 if state.db.connected else app.failures + 1
    if not state.db.connected and app.retry_in <= 0:  # after 2, 4, 8 s (a server still starting), then every 10 s
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


def open_finding(app: GtsdApp, finding: Finding) -> None:
    """A clash or overlap: base / ours / theirs side by side; any other finding: its full text."""
    from gtsd_tui.tui.screens.conflict_detail import ConflictDetailScreen
    from gtsd_tui.tui.screens.text_view import TextScreen

    if finding.detail:
        app.push_screen(ConflictDetailScreen(finding.code, finding.message, finding.detail))
    else:
        app.push_screen(TextScreen(f"{finding.code}: {finding.severity}", finding_detail(finding)))


def stopped(app: GtsdApp, group: str, exc: BaseException | None, title: str) -> None:
    """A worker that held the busy state (apply, reset, backup) stopped on an unexpected error: said in
    the log, the console freed, the state read again, then the error dialog."""
    app.pending.write_log(f"✗ {group} stopped: {type(exc).__name__}: {exc}")
    set_busy(app, Busy.IDLE)
    reload(app)
    unexpected(app, group, exc, title)


@fails("preview")
def preview_failed(app: GtsdApp, group: str, exc: BaseException | None) -> None:
    """E.g. the file was deleted after the folder was read: name it, drop the old SQL."""
    app.pending.preview_failed(str(exc))
    app.notify(str(exc), title="Preview failed", severity="error")


@fails("stats")
def stats_failed(app: GtsdApp, group: str, exc: BaseException | None) -> None:
    app.connections.show_error(f"{type(exc).__name__}: {exc}")
    live.schedule_stats(app)
