"""Fill the panes' tables from a ConsoleState. Keyed rows; the cursor stays on its row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text

from gtsd_tui.commands.output import fmt_ms
from gtsd_tui.core.status import APPLIED, MODIFIED, OUT_OF_ORDER, PENDING, MigrationStatus
from gtsd_tui.tui.widgets.rows import RowTable

STATE_STYLE = {APPLIED: "green", MODIFIED: "magenta", PENDING: "yellow", OUT_OF_ORDER: "red"}
SEVERITY_GLYPH = {"error": ("✗ error", "red"), "warning": ("! warn", "yellow")}


def when_text(ms: int | None) -> str:
    return fmt_ms(ms)[:16]


def state_cell(s: MigrationStatus) -> Text:
    return Text(f"{s.glyph} {s.label}", style=STATE_STYLE.get(s.state, ""))


def fill(table: RowTable, rows: Iterable[tuple[str, tuple[Any, ...]]]) -> None:
    """Replace the rows, keeping the cursor on the same key when it is still there."""
    table.set_rows(list(rows))


def matches(needle: str, *fields: str) -> bool:
    needle = needle.strip().lower()
    return not needle or any(needle in f.lower() for f in fields)


def applied_at(s: MigrationStatus) -> int | None:
    """``applied_at`` of a drizzle v1 table (NULL for rows its upgrade named); a v0 table has only created_at."""
    if s.row is None:
        return None
    return s.row.created_at if s.row.legacy else s.row.applied_at


def history_rows(items: list[MigrationStatus], needle: str) -> list[tuple[str, tuple[Any, ...]]]:
    return [
        (
            s.migration.tag,
            (
                s.migration.tag,
                state_cell(s),
                when_text(applied_at(s)),
                (s.migration.hash or "-")[:12],
            ),
        )
        for s in items
        if s.state in (APPLIED, MODIFIED) and matches(needle, s.migration.tag)
    ]


def pending_rows(items: list[MigrationStatus], needle: str) -> list[tuple[str, tuple[Any, ...]]]:
    return [
        (s.migration.tag, (s.migration.tag, state_cell(s)))
        for s in items
        if s.state not in (APPLIED, MODIFIED) and matches(needle, s.migration.tag, s.state)
    ]


def finding_rows(findings: list[Any], needle: str) -> list[tuple[str, tuple[Any, ...]]]:
    out = []
    for i, f in enumerate(findings):
        if not matches(needle, f.code, f.message, *f.files):
            continue
        label, style = SEVERITY_GLYPH.get(f.severity, (f.severity, ""))
        out.append((f"f{i}", (Text(label, style=style), f.code, ", ".join(f.files), f.message)))
    return out
