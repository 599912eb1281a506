"""Conflicts: check's findings (severity glyph, code, files, message); enter opens one in full."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Static

from gtsd_tui.core.display import shown
from gtsd_tui.core.vocab import Severity
from gtsd_tui.tui.render import Row, matches, severity_cell
from gtsd_tui.tui.widgets.pane import Pane
from gtsd_tui.tui.widgets.rows import RowTable

if TYPE_CHECKING:
    from gtsd_tui.core.merging.conflicts import Finding  # check's modules load in the findings worker
    from gtsd_tui.services.console import ConsoleState


def finding_rows(findings: list[Finding], needle: str) -> list[Row]:
    return [
        (f"f{i}", (severity_cell(f.severity), f.code, shown(", ".join(f.files)), shown(f.message)))
        for i, f in enumerate(findings)
        if matches(needle, f.code, f.message, *f.files)
    ]


def finding_detail(f: Finding) -> list[str]:
    """The full text of one finding: message, files and the suggested fix."""
    lines = [f"{f.severity}: {f.code}", "", *f.message.split("\n"), "", "files:"]
    lines += [f"  {name}" for name in f.files] or ["  (none)"]
    lines += ["", "fix:", f"  {f.fix}"] if f.fix else ["", "no automatic fix"]
    return lines


class ConflictsPane(Pane):
    NAME = "conflicts"
    HINT = "filter findings…"

    class Opened(Message):
        def __init__(self, finding: Finding) -> None:
            super().__init__()
            self.finding = finding

    def __init__(self) -> None:
        super().__init__()
        self.findings: list[Finding] = []
        self.unread = ""  # what could not be checked (no database, an unreadable folder): never "no problems"

    def body(self) -> ComposeResult:
        yield RowTable("Severity", "Code", "Files", "Message", id="conflicts-table")
        yield Static("", id="conflicts-note", classes="note")

    def show(self, findings: list[Finding], unread: str = "") -> None:
        self.findings, self.unread = findings, unread
        self.render_rows()

    def render_rows(self) -> None:
        if self.deferred:
            return
        self.main_table.set_rows(finding_rows(self.findings, self.needle))
        errors = sum(1 for f in self.findings if f.severity == Severity.ERROR)
        fixable = any(f.fix and "renumber" in f.fix for f in self.findings)
        note = "no problems found" if not self.findings else f"{errors} error(s); enter shows one in full"
        if self.unread:
            note = f"{len(self.findings)} finding(s) in what was read; {self.unread}"
        self.query_one("#conflicts-note", Static).update(note + ("; n renumbers" if fixable else ""))

    @property
    def fixable(self) -> bool:
        return any(f.fix and "renumber" in f.fix for f in self.findings)

    @on(RowTable.Selected, "#conflicts-table")
    def _selected(self, event: RowTable.Selected) -> None:
        event.stop()
        index = int(event.key.removeprefix("f"))
        if 0 <= index < len(self.findings):
            self.post_message(self.Opened(self.findings[index]))


def unread_note(state: ConsoleState) -> str:
    """What the checks could not read, said where their result is shown (never "no problems found")."""
    if state.folder is None:
        return f"the folder could not be read: {state.folder_error or 'unknown error'}"
    if not state.db.connected:
        return "the database was not checked (not connected)"
    return ""
