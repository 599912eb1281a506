"""History: applied (and modified) migrations, and rows the folder does not know."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from gtsd_tui.core.display import shown
from gtsd_tui.core.migrations.status import APPLIED, MODIFIED, MigrationStatus, StatusReport
from gtsd_tui.services.console import ConsoleState
from gtsd_tui.tui.render import Row, matches, state_cell, when_text
from gtsd_tui.tui.widgets.pane import Pane
from gtsd_tui.tui.widgets.rows import RowTable

UNKNOWN_ROW = Text("? unknown row", style="red")


def applied_at(s: MigrationStatus) -> int | None:
    """``applied_at`` of a drizzle v1 table (NULL for rows its upgrade named); a v0 table has only created_at."""
    if s.row is None:
        return None
    return s.row.created_at if s.row.legacy else s.row.applied_at


def time_label(report: StatusReport) -> str:
    """What the time column shows: when applied where the table knows (v1), else the migration's `when`."""
    rows = [s.row for s in report.items if s.row is not None]
    return "Applied" if rows and not all(r.legacy for r in rows) else "Created"


def history_rows(report: StatusReport, needle: str) -> list[Row]:
    """Applied and modified migrations, then the table's rows no migration of the folder matches."""
    items: list[MigrationStatus] = [s for s in report.items if s.state in (APPLIED, MODIFIED)]
    rows: list[Row] = [
        (
            s.migration.tag,
            (
                state_cell(s),
                shown(s.migration.tag),
                when_text(applied_at(s)),
                (s.migration.hash or "-")[:12],
            ),
        )
        for s in items
        if matches(needle, s.migration.tag, s.state)
    ]
    for r in report.unknown_rows:
        label = shown(r.name) if r.name else f"row id {r.id}"
        if matches(needle, label, "unknown"):
            rows.append((f"row:{r.id}", (UNKNOWN_ROW, label, when_text(r.created_at), r.hash[:12])))
    return rows


def dates_only(rows: list[Row]) -> list[Row]:
    """The time column as a date alone (``YYYY-MM-DD HH:MM`` cut to its date), the rest as it was: for a
    pane too narrow for the minutes (the tag keeps its width)."""
    return [(key, (cells[0], cells[1], _date(str(cells[2])), *cells[3:])) for key, cells in rows]


def fit_tags(headers: list[str], rows: list[Row], width: int) -> list[Row]:
    """Long tags cut (``…``) so the date still shows whole beside them: the tag is the column that can
    give up cells (its full name is in the file view, ``enter``)."""
    over = wanted_width(headers, rows) - width
    if over <= 0:
        return rows
    longest = max([len(headers[1])] + [len(str(cells[1])) for _, cells in rows])
    room = max(len(headers[1]), 8, longest - over)
    out: list[Row] = []
    for key, cells in rows:
        tag = str(cells[1])
        cut = tag if len(tag) <= room else tag[: room - 1] + "…"
        out.append((key, (cells[0], cut, *cells[2:])))
    return out


def _date(when: str) -> str:
    return when[:10] if len(when) == 16 else when


def wanted_width(headers: list[str], rows: list[Row]) -> int:
    """Columns up to the time's, with the table's two-cell gaps: what must fit for the time to show whole."""
    widths = [max([len(headers[i])] + [len(str(cells[i])) for _, cells in rows]) for i in range(3)]
    return sum(widths) + 4


class HistoryPane(Pane):
    NAME = "history"
    HINT = "filter tags…"

    def __init__(self) -> None:
        super().__init__()
        self.state: ConsoleState | None = None

    def body(self) -> ComposeResult:
        # a v0 table knows only created_at (the migration's own `when`): the label says so; a drizzle
        # v1 table has applied_at, and the column is labelled "Applied" (time_label); times are UTC
        yield RowTable("State", "Tag", "Created", "Hash", id="history-table")
        yield Static("", id="history-note", classes="note")

    def show(self, state: ConsoleState) -> None:
        self.state = state
        self.render_rows()

    def show_reading(self) -> None:
        """Before the first state: which migrations are applied is not known yet (never an empty list)."""
        self.render_rows()

    def on_resize(self) -> None:
        self.render_rows()  # the time's form follows the width

    def render_rows(self) -> None:
        st = self.state
        if self.deferred:
            return
        if st is None:  # composed before the first state (wide, or shown with 1 meanwhile): it is being read
            self.query_one("#history-note", Static).update("reading the database…")
            return
        table = self.query_one("#history-table", RowTable)
        note = self.query_one("#history-note", Static)
        if st.report is None or not st.db.connected:
            table.set_rows([])
            note.update(st.folder_error or "database unreachable: which migrations are applied is unknown")
            return
        table.columns[2] = time_label(st.report)
        rows = history_rows(st.report, self.needle)
        if table.size.width and wanted_width(table.columns, rows) > table.size.width:
            rows = dates_only(rows)  # the same rows, not built a second time
            rows = fit_tags(table.columns, rows, table.size.width)  # and the date whole, beside long tags
        table.set_rows(rows)
        unknown = len(st.report.unknown_rows)
        note.update(f"{unknown} row(s) in the table match no migration of the folder" if unknown else "")
