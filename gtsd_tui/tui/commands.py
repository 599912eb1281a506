"""The console's actions: where each applies, and the command palette (every action by its human name,
with its key, once each)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import Hit, Hits, Provider

PANE_ACTIONS = {  # where an action's key applies (elsewhere it is hidden; the palette goes there first)
    "apply_to": ("pending",),
    "apply_all": ("pending",),
    "review": ("pending",),
    "open": ("history", "pending"),
    "edit": ("pending",),
    "renumber": ("conflicts",),
    "reset": ("history", "pending"),
}
DESTRUCTIVE = {"apply_to", "apply_all", "review", "renumber", "reset", "new"}  # not in --read-only
ACTIONS = [
    ("Apply all pending migrations", "apply_all", "A"),
    ("Apply up to the highlighted migration", "apply_to", "a"),
    ("Review: rehearse up to the highlighted migration on a copy, then apply", "review", "v"),
    ("Lint: the highlighted migration's findings", "lint", ""),
    ("Check the folder (conflicts pane)", "check", ""),
    ("New migration (gtsd-tui new)", "new", ""),
    ("Edit the highlighted pending migration in $EDITOR", "edit", "E"),
    ("Back up the database (pg_dump)", "backup", ""),
    ("Renumber conflicting migrations", "renumber", "n"),
    ("Reset the database (drop, recreate, migrate)", "reset", "R"),
    ("Environments: migrations × environments (.env, .env.NAME)", "environments", "e"),
    ("Drift: the schema against its newest applied snapshot", "drift", ""),
    ("Refresh", "refresh", "r"),
    ("Filter the focused list", "filter", "/"),
    ("Show keys and help", "help", "?"),
    ("Go to History", "pane:history", "1"),
    ("Go to Pending", "pane:pending", "2"),
    ("Go to Conflicts", "pane:conflicts", "3"),
    ("Go to Connections", "pane:connections", "4"),
    ("Quit", "quit_console", "q"),
]


def _help(key: str) -> str:
    return f"key: {key}" if key else "palette only"


class ConsoleCommands(Provider):
    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, action, key in ACTIONS:
            score = matcher.match(label)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(label),
                    partial(self.app.run_action, f"palette({action!r})"),
                    help=_help(key),
                )

    async def discover(self) -> Hits:
        for label, action, key in ACTIONS:
            yield Hit(1.0, label, self._run(action), help=_help(key))

    def _run(self, action: str) -> Callable[[], object]:
        return partial(self.app.run_action, f"palette({action!r})")
