"""The header line: the database state first (so a retry countdown is never cut off), then where."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from gtsd_tui.core.connect_failure import advice, failure_kind, retry_helps
from gtsd_tui.services.console import ConsoleState, Info
from gtsd_tui.services.server import console_note


class HeaderBar(Static):
    branch_mark = ""  # the branch checked out and whether the database matches (features/branches.py)

    def __init__(self) -> None:
        super().__init__("gtsd-tui  connecting…", id="header")

    def show(self, info: Info, state: ConsoleState | None, *, retry_in: int, read_only: bool, busy: str) -> None:
        out = Text.assemble(("gtsd-tui", "bold"), "  ")
        if state is None:
            out.append("connecting…")
        elif state.db.connected:
            out.append("● connected", style="green")
            out.append(f" PostgreSQL {state.db.version}")
        else:
            out.append("○ disconnected", style="bold red")
            if not retry_helps(state.db.error, state.db.fatal):
                out.append(" · not retrying", style="bold")
            elif retry_in > 0:
                out.append(f" · retry in {retry_in}s", style="bold")
            elif retry_in == 0:  # a read is on its way
                out.append(" · retrying…", style="bold")
        mark = self.branch_mark if state is not None and state.db.connected else ""  # never a stale "db matches"
        if busy:
            label = f"  [{busy}]"
            after = len("  read-only") * read_only + (len(mark) + 2 if mark else 0)
            if self.size.width and out.cell_len + len(label) + after > self.size.width:
                label = f"  [{busy.split(' ', 1)[0]}…]"  # "[rehearsing…]": the branch mark stays on the line
            out.append(label, style="bold yellow")
        if read_only:
            out.append("  read-only", style="bold")
        if mark:
            out.append(f"  {mark}", style="bold")
        url = state.db.url if state is not None else info.url
        if info.embedded:  # not its long URL (server status has it): what it is, that it outlives the console
            port = url.rsplit(":", 1)[-1].split("/", 1)[0] if url.count(":") >= 2 else ""
            out.append(f"  {info.folder}  ")
            out.append(console_note(True, port), style="dim")
        else:
            out.append(f"  {info.folder}  {url}")
        self.update(out)  # the reason, in full, is on the line under it (DbProblem)


class DbProblem(Static):
    """Why the database cannot be read, in full (wrapped, never cut), and what to do about it; hidden
    while connected. Not in the first frame: mounted under the header the first time there is a reason."""

    def __init__(self) -> None:
        super().__init__("", id="db-problem", markup=False)

    @staticmethod
    def wanted(state: ConsoleState | None) -> bool:
        """There is a reason to show (the line is mounted the first time there is one)."""
        return state is not None and not state.db.connected and bool(state.db.error)

    def show(self, state: ConsoleState | None, origin: str) -> None:
        db = state.db if state is not None else None
        self.set_class(self.wanted(state), "shown")
        if db is not None and not db.connected and db.error:
            hint = "" if retry_helps(db.error, db.fatal) else f"\n  {advice(failure_kind(db.error), origin)}"
            self.update(f"✗ {db.error}{hint}")


class TabStrip(Static):
    """Pane names, clickable, the active one reversed (shown on narrow terminals; mounted the first time
    the terminal is narrow)."""

    def __init__(self) -> None:
        super().__init__("", id="tabs")

    def show(self, names: tuple[str, ...], active: str) -> None:
        parts = []
        for i, name in enumerate(names):
            style = "reverse" if name == active else "dim"
            parts.append(f"[{style} @click=app.focus_pane('{name}')] {i + 1} {name.title()} [/]")
        self.update(" ".join(parts))
