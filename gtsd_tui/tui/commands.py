"""The command palette: every entry of the action registry (``tui/actions.py``) that has a palette
label, once each, with its key; choosing one runs ``palette(name)`` (the console feature)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import Hit, Hits, Provider

from gtsd_tui.tui import actions

# (label, palette name, key) per entry, in the palette's order: derived, never edited here
ACTIONS = [(a.palette, a.palette_name, a.key_label) for a in actions.palette_entries()]


def _help(key: str) -> str:
    return f"key: {key}" if key else "palette only"


class ConsoleCommands(Provider):
    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, action, key in ACTIONS:
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), self._run(action), help=_help(key))

    async def discover(self) -> Hits:
        for label, action, key in ACTIONS:
            yield Hit(1.0, label, self._run(action), help=_help(key))

    def _run(self, action: str) -> Callable[[], object]:
        return partial(self.app.run_action, f"palette({action!r})")
