"""Help: every key, from the bindings themselves (so rebinding shows here too)."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

HELP = """\
Panes: 1 History · 2 Pending · 3 Conflicts · 4 Connections (tab / shift+tab, or click the tabs)
History   enter: the file (the diff for a modified one) · R: reset the database (offers a backup)
Pending   a: apply up to the highlighted · A: apply all · v: review (rehearse on a copy, then apply)
          enter: the file · findings under the preview
Conflicts enter: a finding in full (files, suggested fix) · n: renumber (shows the plan first)
Connections  c: cancel the query · K: terminate the session (both ask first) · s: sort · space: pause
             + / -: refresh interval · i: app instances for the pool advice · x: index usage
Environments  e (or ctrl+p): migrations × environments · r: refresh · a / A: apply to the selected one
Everywhere  /: filter · esc: clear it · r: refresh · ctrl+p: commands · ?: help · q or ctrl+c: quit
The folder is watched: a save, `gtsd-tui new` or `git merge` shows within a second.
States: ✓ applied  ≠ modified  • pending  ↯ out-of-order  ? missing-file  + not-in-journal  ? unknown"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close")]

    @classmethod
    def of(cls, bindings: Iterable[ActiveBinding]) -> HelpScreen:
        """The keys active where Help was asked, each once."""
        return cls(sorted({(b.binding.key_display or b.binding.key, b.binding.description) for b in bindings}))

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__(classes="dialog-screen")
        self.keys = keys

    def compose(self) -> ComposeResult:
        yield Footer(compact=True)  # this dialog's keys, not the main screen's keys under it
        with Vertical(id="dialog", classes="help"):
            yield Label("gtsd-tui — keys (↑/↓ scroll, esc closes)", id="dialog-title")
            with VerticalScroll(id="dialog-body"):  # all of it reachable at 80x24 too
                yield Static(HELP, markup=False)
                yield Static("\n".join(f"{k:>14}  {d}" for k, d in self.keys), id="help-keys", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
