"""Drift (palette): the Drift view, and History's drift mark (the main screen asks for it after each
state load).

The comparison runs in a thread worker (``services.drift``); the view shows each difference and the
statements drizzle-kit writes to fix it; ``r`` compares again. History's title says ``drift`` while the
database differs from the snapshot of its newest applied migration (``services.drift_status``:
fingerprint first).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label

from gtsd_tui.tui import actions
from gtsd_tui.tui.widgets.sql_preview import SqlPreview

if TYPE_CHECKING:
    from gtsd_tui.services.console import ConsoleState
    from gtsd_tui.services.drift import DriftReport
    from gtsd_tui.tui.app import GtsdApp

DRIFT_MARK = "drift"


def report_lines(report: DriftReport) -> list[str]:
    """The view's text: one comment line per difference, then its statements (SQL, highlighted)."""
    if not report.differences:
        against = f"the snapshot of {report.tag}" if report.tag else "an empty schema"
        return [f"-- no drift: the database is {against}"]
    lines = [f"-- {len(report.differences)} difference(s) from the snapshot of {report.tag or '(none applied)'}"]
    for d in report.differences:
        lines += ["", f"-- {d.line()}"]
        for stmt in d.statements:
            lines += stmt.rstrip("\n").splitlines()
    return lines


class DriftScreen(ModalScreen[None]):
    BINDINGS = actions.bindings("drift")
    AUTO_FOCUS = "SqlPreview"

    def __init__(self, load: Callable[[], DriftReport]) -> None:
        super().__init__(classes="dialog-screen")
        self.load = load
        self.report: DriftReport | None = None
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        yield Footer(compact=True)
        with Vertical(id="text-view"):
            yield Label("Drift: comparing the schema with its snapshot…", id="dialog-title")
            yield SqlPreview(id="text-preview")

    def on_mount(self) -> None:
        self.action_recheck()

    def action_recheck(self) -> None:
        self.run_worker(self._work, thread=True, exclusive=True, group="drift-view", exit_on_error=False)

    def _work(self) -> None:
        from gtsd_tui.errors import GtsdError

        try:
            report, error = self.load(), None
        except GtsdError as exc:
            report, error = None, str(exc)
        if self.is_attached:
            self.app.call_from_thread(self._show, report, error)

    def _show(self, report: DriftReport | None, error: str | None) -> None:
        self.report, self.error = report, error
        title = self.query_one("#dialog-title", Label)
        preview = self.query_one(SqlPreview)
        if report is None:
            title.update("Drift: the comparison failed")
            preview.show([f"-- {error}"])
            return
        n = len(report.differences)
        title.update(f"Drift: {n} difference(s)" if n else "Drift: none")
        preview.show(report_lines(report))

    def action_close(self) -> None:
        self.dismiss(None)


def action_drift(app: GtsdApp) -> None:
    """The palette's Drift entry: the view over the console's project (absent on a fake service)."""
    project = getattr(app.service, "project", None)
    if project is None:
        app.notify("drift: no project to compare", severity="warning")
        return
    if any(isinstance(s, DriftScreen) for s in app.screen_stack):
        return

    def load() -> DriftReport:
        from gtsd_tui.services.drift import drift

        return drift(project)

    app.push_screen(DriftScreen(load))


def check_mark(app: GtsdApp, state: ConsoleState | None) -> None:
    """After a state load with the database connected: History's title marks drift (worker thread)."""
    project = getattr(app.service, "project", None)
    if project is None or state is None or not state.db.connected or not project.url:
        return
    report, folder, url = state.report, state.folder, str(project.url)
    if report is None or folder is None:
        return

    def work() -> None:
        from gtsd_tui.services.drift_status import SchemaState, schema_state

        def read() -> SchemaState:
            return schema_state(url, project.settings.schema, project.settings.table, folder, report)

        try:
            s = app.service.gated(read)  # held back while Review's rehearsal copies the target
        except Exception:  # noqa: BLE001 - a mark only: never a failure of the console
            return
        if app.alive:
            app.call_from_thread(_mark, app, bool(s.drift), s.differences)

    app.run_worker(work, thread=True, exclusive=True, group="drift-mark", exit_on_error=False)


def _mark(app: GtsdApp, drift: bool, count: int) -> None:
    if not app.alive:
        return
    pane = app.history
    pane.border_subtitle = f"{DRIFT_MARK}: {count} difference(s) (palette: Drift)" if drift else ""
