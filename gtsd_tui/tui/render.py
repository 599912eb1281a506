"""Cells shared by the panes: state words with glyphs, times, the filter match. Keyed rows."""

from __future__ import annotations

import datetime as dt

from rich.text import Text

from gtsd_tui.core.migrations.status import APPLIED, MODIFIED, OUT_OF_ORDER, PENDING, MigrationStatus
from gtsd_tui.core.server.activity import matches
from gtsd_tui.core.vocab import Severity
from gtsd_tui.tui.widgets.rows import Cell

Row = tuple[str, tuple[Cell, ...]]
STATE_STYLE = {APPLIED: "green", MODIFIED: "magenta", PENDING: "yellow", OUT_OF_ORDER: "red"}
SEVERITY_GLYPH = {Severity.ERROR: ("✗ error", "red"), Severity.WARNING: ("! warn", "yellow")}
UNKNOWN = Text("? unknown", style="dim")
LOADING = Text("… reading", style="dim")  # the folder is listed, the database not read yet

__all__ = ["Row", "matches", "state_cell", "when_text", "severity_cell", "UNKNOWN", "LOADING"]


def when_text(ms: int | None) -> str:
    if ms is None:
        return "-"
    try:
        return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return str(ms)


_STATE_CELLS: dict[tuple[str, str], Text] = {}


def state_cell(s: MigrationStatus) -> Text:
    """One Text per (state, label), shared by every row: cells are never changed in place (the table
    copies a cell to pad it), and 5,000 rows no longer make 5,000 Texts before the first paint."""
    key = (s.state, s.label)
    cell = _STATE_CELLS.get(key)
    if cell is None:
        cell = _STATE_CELLS[key] = Text(f"{s.glyph} {s.label}", style=STATE_STYLE.get(s.state, ""))
    return cell


def severity_cell(severity: Severity) -> Text:
    label, style = SEVERITY_GLYPH.get(severity, (severity, ""))
    return Text(label, style=style)
