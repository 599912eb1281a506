"""Command palette: every console action by name."""

from __future__ import annotations

from functools import partial
from typing import Any

from textual.command import Hit, Hits, Provider

ACTIONS = [
    ("Apply all pending migrations", "apply_all"),
    ("Apply up to the highlighted migration", "apply_to"),
    ("Renumber conflicting migrations", "renumber"),
    ("Reset the database (drop, recreate, migrate)", "reset"),
    ("Refresh", "refresh"),
    ("Filter the focused list", "filter"),
    ("Show help", "help"),
    ("Pause / resume live stats", "toggle_stats"),
    ("Go to History", "focus_pane('history')"),
    ("Go to Pending", "focus_pane('pending')"),
    ("Go to Conflicts", "focus_pane('conflicts')"),
    ("Go to Connections", "focus_pane('connections')"),
    ("Quit", "quit_console"),
]


class ConsoleCommands(Provider):
    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        app: Any = self.app
        for label, action in ACTIONS:
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(app.run_action, action), help=action)

    async def discover(self) -> Hits:
        app: Any = self.app
        for label, action in ACTIONS:
            yield Hit(1.0, label, partial(app.run_action, action), help=action)
