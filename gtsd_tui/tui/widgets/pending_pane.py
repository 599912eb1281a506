"""Pending: migrations not applied yet, the highlighted file's preview, its plan notes and lint findings,
and the apply log (progress, the lock holder an apply waits for, the last error until that file applies)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Static

from gtsd_tui.core.display import shown, shown_all
from gtsd_tui.core.migrations.status import APPLIED, MODIFIED, MigrationStatus
from gtsd_tui.services.console import ConsoleState
from gtsd_tui.services.files import Preview
from gtsd_tui.tui.render import LOADING, UNKNOWN, Row, matches, severity_cell, state_cell
from gtsd_tui.tui.widgets.pane import Pane
from gtsd_tui.tui.widgets.rows import RowTable
from gtsd_tui.tui.widgets.sql_preview import SqlPreview


def pending_rows(items: list[MigrationStatus], needle: str, connected: bool) -> list[Row]:
    """Migrations not applied; without a database their state is unknown, not pending."""
    return [
        (s.migration.tag, (state_cell(s) if connected else UNKNOWN, shown(s.migration.tag)))
        for s in items
        if s.state not in (APPLIED, MODIFIED) and matches(needle, s.migration.tag, s.state)
    ]


def outline_rows(tags: list[str], needle: str) -> list[Row]:
    """Every tag of the folder, in run order, before the database is read: none is called pending yet."""
    if needle:
        tags = [tag for tag in tags if matches(needle, tag, "reading")]
    return [(tag, (LOADING, text)) for tag, text in zip(tags, shown_all(tags), strict=True)]


class PendingPane(Pane):
    NAME = "pending"
    HINT = "filter tags…"

    class PreviewWanted(Message):
        """The highlighted migration changed (or its file may have): load its preview."""

        def __init__(self, tag: str, error_line: int | None) -> None:
            super().__init__()
            self.tag, self.error_line = tag, error_line

    def __init__(self) -> None:
        super().__init__()
        self.state: ConsoleState | None = None
        self.outline: list[str] | None = None  # the folder's tags, shown until the first state arrives
        self.preview_tag: str | None = None
        self.preview_error: str | None = None
        self.log_lines: list[str] = []
        self.last_error: tuple[str, str] | None = None  # (tag, line) until that migration applies
        self.failure_at: tuple[str, int] | None = None  # (tag, line) the preview scrolls to
        self.wanted: str | None = None  # a tag to select once a refresh lists it (the one just created)

    def body(self) -> ComposeResult:
        # the findings' table is mounted under the notes the first time a file has findings
        preview = Vertical(SqlPreview(id="preview"), Static("", id="plan-notes", classes="note"), id="preview-box")
        yield Horizontal(RowTable("State", "Tag", id="pending-table"), preview, id="pending-body")
        yield Static("", id="apply-log", classes="note")

    @property
    def table(self) -> RowTable:
        return self.query_one("#pending-table", RowTable)

    @property
    def highlighted(self) -> str | None:
        return self.table.cursor_key

    def show_outline(self, tags: list[str]) -> None:
        """The folder's tags as the first frame shows them, each "reading" until the state arrives."""
        if self.state is None:
            self.outline = tags
            self.render_rows()

    def show(self, state: ConsoleState) -> None:
        self.state = state
        self.outline = None
        if self.last_error and state.report and state.db.connected:
            done = {s.migration.tag for s in state.report.items if s.state in (APPLIED, MODIFIED)}
            if self.last_error[0] in done:  # the file that failed has applied since: its error is history
                self.last_error = self.failure_at = None
                self._render_log()
        self.render_rows()
        if self.wanted is not None and self.table.select_key(self.wanted):
            self.wanted = None
        self.want_preview(force=True)  # the file may have changed on disk

    def select_when_listed(self, tag: str) -> None:
        """Select ``tag`` now if listed, else after the refresh that lists it (a migration just created)."""
        if not self.table.select_key(tag):
            self.wanted = tag

    def render_rows(self) -> None:
        st = self.state
        if st is None:
            if self.outline is not None:
                self.table.set_rows(outline_rows(self.outline, self.needle))
            return
        items = st.report.items if st.report else []
        self.table.set_rows(pending_rows(items, self.needle, st.db.connected))
        if self.table.cursor_key is None and self.preview_tag is not None:
            self.preview_tag = None
            self.query_one(SqlPreview).show([])
            self.query_one("#plan-notes", Static).update("nothing pending" if not self.needle else "no match")
            self.show_findings([])

    @on(RowTable.Highlighted, "#pending-table")
    def _highlighted(self, event: RowTable.Highlighted) -> None:
        event.stop()
        self.want_preview()

    def want_preview(self, *, force: bool = False) -> None:
        tag = self.highlighted
        if tag is not None and (force or tag != self.preview_tag):
            self.preview_tag = tag
            at = self.failure_at
            self.post_message(self.PreviewWanted(tag, at[1] if at and at[0] == tag else None))

    def show_preview(self, p: Preview) -> None:
        if p.tag != self.preview_tag:
            return  # the cursor moved on; that preview follows
        self.preview_error = None
        self.query_one(SqlPreview).show(p.lines, marks=p.marks, chunk_lines=p.chunk_lines, error_line=p.error_line)
        self.query_one("#plan-notes", Static).update("\n".join(p.notes))
        rows: list[Row] = [
            (f"{i}", (severity_cell(sev), str(line), text)) for i, (line, sev, text) in enumerate(p.findings)
        ]
        self.show_findings(rows)

    @property
    def findings_table(self) -> RowTable | None:
        """The highlighted file's lint findings; None until a file had some."""
        found = self.query("#findings-table")
        return found.first(RowTable) if found else None

    def show_findings(self, rows: list[Row]) -> None:
        table = self.findings_table
        if table is None and rows:  # the first file with findings: the table, not in the first frame
            box = self.query_one("#preview-box")
            if not box.is_attached:  # the console is closing (a preview comes after the first paint)
                return
            table = RowTable("Severity", "Line", "Finding", id="findings-table")
            box.mount(table)
        if table is not None:
            table.set_rows(rows)
        self.set_class(bool(rows), "has-findings")

    def preview_failed(self, error: str) -> None:
        """The preview could not be read (e.g. the file was deleted): say so, never keep the last file's SQL."""
        self.preview_error = error
        tag = self.preview_tag or "?"
        self.query_one(SqlPreview).show([f"-- {tag}: cannot show this migration", f"-- {error}"])
        notes = self.query_one("#plan-notes", Static)
        notes.update(Text(f"✗ {error}", style="red"))
        self.show_findings([])

    def focus_failure(self, tag: str, line: int | None) -> None:
        """A failed apply: the failing migration is highlighted, its preview scrolled to the line."""
        if line is not None:
            self.failure_at = (tag, line)
        self.table.select_key(tag)
        self.focus_main()
        self.want_preview(force=True)

    # ---- apply log --------------------------------------------------------------------------------

    def write_log(self, text: str, *, fresh: bool = False) -> None:
        if fresh:
            self.log_lines = []
        self.log_lines.append(text)
        self._render_log()

    def fail(self, tag: str | None, line: str) -> None:
        self.last_error = (tag or "", line)
        self._render_log()

    def _render_log(self) -> None:
        out = Text(self.log_lines[-1] if self.log_lines else "")
        if self.last_error:
            if out:
                out.append("\n")
            out.append(f"last error: {self.last_error[1]}", style="red")
        self.query_one("#apply-log", Static).update(out)
