"""Help: the console's own keys, grouped by where they apply, read from the bindings themselves (so a
rebinding shows here too), then the few of Textual's keys worth knowing; never Textual's raw list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from gtsd_tui.tui.actions import bindings

NOTES = """\
The folder is watched: a save, `gtsd-tui new` or `git merge` shows within a second.
States: ✓ applied  ≠ modified  • pending  ↯ out-of-order  ? missing-file  + not-in-journal  ? unknown"""

TEXTUAL_KEYS = [  # Textual's own keys that help here (its other bindings are not the console's)
    ("ctrl+p", "Command palette: every action by name"),
    ("tab/shift+tab", "Next / previous pane"),
    ("↑↓ j k g G", "Move in a list (pgup/pgdn, home/end)"),
]
KEY_NAMES = {
    "question_mark": "?",
    "slash": "/",
    "plus": "+",
    "minus": "-",
    "escape": "esc",
    "space": "space",
}
SKIPPED = {"shadowed", "clear_filter", "move", "jump", "select"}  # no-ops and what every list does anyway

Section = tuple[str, list[tuple[str, str]]]


def key_label(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    return "/".join(KEY_NAMES.get(k.strip(), k.strip()) for k in binding.key.split(","))


def what(binding: Binding) -> str:
    """The footer's word, then the binding's tooltip (what it does, whether it asks first)."""
    return f"{binding.description} — {binding.tooltip}" if binding.tooltip else binding.description


def _action_name(action: str) -> str:
    return action.split("(", 1)[0]


def _bindings(items: Iterable[BindingType]) -> list[Binding]:
    return [b for b in items if isinstance(b, Binding)]


def sections(
    app_bindings: Iterable[BindingType],
    pane_bindings: Mapping[str, Iterable[BindingType]],
    pane_actions: Mapping[str, Sequence[str]],
    screens: Mapping[str, Iterable[BindingType]],
) -> list[Section]:
    """(title, [(keys, what)]) per pane, then per screen (Review, Environments), then everywhere, then
    Textual's keys. An app key that applies in some panes only (``PANE_ACTIONS``) is listed there."""
    out: dict[str, list[tuple[str, str]]] = {name.title(): [] for name in pane_bindings}
    everywhere: list[tuple[str, str]] = []
    for b in _bindings(app_bindings):
        name = _action_name(b.action)
        if name in SKIPPED or not b.description or name == "focus_pane":
            continue
        panes = pane_actions.get(name)
        for pane in panes or ():
            out[pane.title()].append((key_label(b), what(b)))
        if not panes:
            everywhere.append((key_label(b), what(b)))
    for pane, items in pane_bindings.items():
        out[pane.title()] += [(key_label(b), what(b)) for b in _bindings(items) if b.description]
    for title, items in screens.items():
        out[title] = [(key_label(b), what(b)) for b in _bindings(items) if _action_name(b.action) not in SKIPPED]
    panes = " · ".join(f"{i + 1} {name.title()}" for i, name in enumerate(pane_bindings))
    result = [(title, _merged(keys)) for title, keys in out.items() if keys]
    result.append(("Everywhere", _merged([*everywhere, ("1-4", f"Go to a pane: {panes}")])))
    result.append(("Textual", list(TEXTUAL_KEYS)))
    return result


def _merged(keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One line per description (``q`` and ``ctrl+c`` both Quit: ``q/ctrl+c Quit``), in first-seen order."""
    by_what: dict[str, list[str]] = {}
    for key, what in keys:
        if key not in by_what.setdefault(what, []):
            by_what[what].append(key)  # noqa: PERF401
    return [("/".join(ks), what) for what, ks in by_what.items()]


def render(secs: list[Section]) -> str:
    width = max((len(k) for _, keys in secs for k, _ in keys), default=8)
    lines: list[str] = []
    for title, keys in secs:
        lines += [title] + [f"  {k:>{width}}  {w}" for k, w in keys] + [""]
    return "\n".join(lines) + NOTES


class HelpScreen(ModalScreen[None]):
    BINDINGS = bindings("help")

    def __init__(self, secs: list[Section]) -> None:
        super().__init__(classes="dialog-screen")
        self.sections = secs

    def compose(self) -> ComposeResult:
        yield Footer(compact=True)  # this dialog's keys, not the main screen's keys under it
        with Vertical(id="dialog", classes="help"):
            yield Label("gtsd-tui — keys by pane (↑/↓ scroll, esc closes)", id="dialog-title")
            with VerticalScroll(id="dialog-body"):  # all of it reachable at 80x24 too
                yield Static(render(self.sections), id="help-keys", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
