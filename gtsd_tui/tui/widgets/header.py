"""The header line: the database state first (so a retry countdown is never cut off), then where."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from gtsd_tui.services.console import ConsoleState, Info
from gtsd_tui.services.server import console_note


class HeaderBar(Static):
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
            if retry_in > 0:
                out.append(f" · retry in {retry_in}s", style="bold")
        if busy:
            out.append(f"  [{busy}]", style="bold yellow")
        if read_only:
            out.append("  read-only", style="bold")
        out.append(f"  {info.folder}  {state.db.url if state is not None else info.url}")
        if info.embedded:
            out.append(f"  ({console_note(True)})", style="dim")
        if state is not None and not state.db.connected and state.db.error:
            out.append(f"  {state.db.error}", style="red")
        self.update(out)


class TabStrip(Static):
    """Pane names, clickable, the active one reversed (shown on narrow terminals)."""

    def __init__(self) -> None:
        super().__init__("", id="tabs")

    def show(self, names: tuple[str, ...], active: str) -> None:
        parts = []
        for i, name in enumerate(names):
            style = "reverse" if name == active else "dim"
            parts.append(f"[{style} @click=app.focus_pane('{name}')] {i + 1} {name.title()} [/]")
        self.update(" ".join(parts))
