"""The base of a full-screen view a feature pushes over the main screen: escape goes back (the
registry's ``view`` scope). A view with keys of its own gives them a scope of their own."""

from __future__ import annotations

from textual.screen import Screen

from gtsd_tui.tui.actions import bindings


class View(Screen[None]):
    BINDINGS = bindings("view")

    def action_close(self) -> None:
        self.dismiss(None)
