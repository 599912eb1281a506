"""The footer of the main screen: Textual's, composed again only when the keys it shows change.

Textual's footer composes its keys again after every change of the screen's bindings (a focus move,
a refresh), one queued recompose per change, each key restyled as it mounts: at start-up that was
several recomposes of a dozen keys before the first screen with data. Here a change that arrives
while a recompose is queued only marks it wanted again (the queued one reads the bindings as they
are when it runs), and a change that leaves the shown keys as they are composes nothing.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

Keys = tuple[object, ...]


class KeysFooter(Footer):
    def __init__(self, *, show_command_palette: bool) -> None:
        super().__init__(compact=True, show_command_palette=show_command_palette)
        self.queued = False
        self.missed = False
        self.ready = False  # a first change has reached the footer: its compose shows keys from then on
        self.shown: Keys | None = None  # the keys the last compose showed

    @staticmethod
    def keys_of(screen: Screen[object], palette: bool) -> Keys:
        shown = [
            (b.key, b.description, enabled, tip) for _, b, enabled, tip in screen.active_bindings.values() if b.show
        ]
        return (*shown, palette)

    def compose(self) -> ComposeResult:
        if self.ready:
            self.shown = self.keys_of(self.screen, self.show_command_palette)
        yield from super().compose()

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self.queued:
            self.missed = True
            return
        same = self.shown is not None and screen is self.screen
        if same and self.keys_of(screen, self.show_command_palette) == self.shown:
            return  # the keys that apply are the keys shown
        self.queued = True
        super().bindings_changed(screen)  # queues a recompose after the next refresh
        self.ready = True
        self.call_after_refresh(self._recomposed)

    def _recomposed(self) -> None:
        self.queued = False
        if self.missed and self.is_attached:
            self.missed = False
            self.bindings_changed(self.screen)
