"""The footer of the main screen: Textual's, composed once per burst of key changes.

Textual's footer composes its keys again after every change of the screen's bindings, one queued
recompose per change; at start-up (focus, state, findings) that was several full recomposes of a
dozen keys, each key restyled as it mounts, before the first screen with data. Here a change that
arrives while a recompose is queued only marks it wanted again; the queued one reads the bindings
as they are when it runs.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    def __init__(self, *, classes: str, show_command_palette: bool) -> None:
        super().__init__(classes=classes, show_command_palette=show_command_palette)
        self.queued = False
        self.missed = False

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self.queued:
            self.missed = True
            return
        self.queued = True
        super().bindings_changed(screen)  # queues a recompose after the next refresh
        self.call_after_refresh(self._recomposed)

    def _recomposed(self) -> None:
        self.queued = False
        if self.missed and self.is_attached:
            self.missed = False
            self.bindings_changed(self.screen)
