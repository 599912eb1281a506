"""The console's one table of actions: every key of the app, its screens and panes, and every palette
entry, one ``Action`` each. The bindings (``bindings(scope)``), the footer (their order and ``show``),
Help (``help_sections``), the command palette (``palette_entries``) and ``check_action`` (``allowed``)
are all derived from it; nothing else declares a key.

An action of the app names the feature module that handles it (``tui/features/<feature>.py``, loaded
when first used): the app's ``action_<name>`` runs that module's ``action_<name>(app, *params)``
(``install``). An action of a screen, a pane or a widget is handled by that class's own
``action_<name>``. A new view is one module under ``tui/features/`` plus one line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from textual.actions import parse
from textual.binding import Binding, BindingType

if TYPE_CHECKING:
    from gtsd_tui.tui.app import GtsdApp

APP = "app"  # the app's own keys (the footer of the main screen shows them in this table's order)


@dataclass(frozen=True)
class Action:
    """One key (or palette entry). ``scope``: whose binding it is (``app``, ``main``, ``pane:<name>``,
    a screen's name, ``rows``); ``keys``: Textual's key list (empty: palette only); ``action``: the
    Textual action string; ``footer``: the footer's word; ``palette``: the palette's label (empty: not
    in the palette) at position ``rank``; ``panes``: where it applies (elsewhere hidden, the palette
    goes there first); ``destructive``: hidden and refused in ``--read-only``; ``guarded``: the feature
    also decides (``can_<name>(app)``); ``refusal``: what the palette says when that guard says no
    (empty: the palette does not ask it); ``opens``: the scope of the screen it opens (Help lists that
    screen's keys under it); ``feature``: the module of ``tui/features`` that handles it."""

    id: str
    scope: str
    keys: str
    action: str
    footer: str = ""
    key_display: str | None = None
    show: bool = True
    priority: bool = False
    tooltip: str = ""
    palette: str = ""
    rank: int = 0
    panes: tuple[str, ...] = ()
    destructive: bool = False
    guarded: bool = False
    refusal: str = ""
    opens: str = ""
    feature: str = ""

    @property
    def name(self) -> str:
        """The action's method name (``focus_pane`` for ``focus_pane('history')``)."""
        return parse(self.action)[1]

    @property
    def params(self) -> tuple[object, ...]:
        return parse(self.action)[2]

    @property
    def palette_name(self) -> str:
        """How the palette names it: the method name, or the id for an action with parameters."""
        return self.id if self.params else self.name

    @property
    def key_label(self) -> str:
        """The key as the palette shows it (``?`` for help, empty for a palette-only action)."""
        return self.key_display or self.keys.split(",")[0]

    def binding(self) -> Binding:
        return Binding(
            self.keys,
            self.action,
            self.footer,
            show=self.show,
            key_display=self.key_display,
            priority=self.priority,
            tooltip=self.tooltip,
            id=None if self.id.startswith("_") else self.id,
        )


PENDING = ("pending",)
FILES = ("history", "pending")
SHADOWED_REVIEW = "A,v,R,n,r,E,slash,1,2,3,4"  # the main screen's keys do not reach through Review
SHADOWED_ENVS = "v,R,n,e,E,slash,1,2,3,4"  # ... nor through the Environments view
RUNS = "asks first while something runs"

# fmt: off
REGISTRY: tuple[Action, ...] = (
    # ---- the app: the footer shows these in this order (quit and help first, so 80 columns keep them)
    Action("quit", APP, "q", "quit_console", "Quit", tooltip=RUNS, palette="Quit", rank=200, feature="console"),
    Action("quit.ctrl_c", APP, "ctrl+c", "quit_console", "Quit", show=False, priority=True, tooltip=RUNS,
           feature="console"),
    Action("help", APP, "question_mark,f1", "help", "Help", key_display="?", palette="Show keys and help",
           rank=150, feature="console"),
    Action("apply.to", APP, "a", "apply_to", "Apply to", tooltip="up to the highlighted migration (asks first)",
           palette="Apply up to the highlighted migration", rank=20, panes=PENDING, destructive=True,
           feature="apply"),
    Action("apply.all", APP, "A", "apply_all", "Apply all", tooltip="every pending migration (asks first)",
           palette="Apply all pending migrations", rank=10, panes=PENDING, destructive=True, feature="apply"),
    Action("review", APP, "v", "review", "Review", tooltip="rehearse on a copy, then a applies",
           palette="Review: rehearse up to the highlighted migration on a copy, then apply", rank=30,
           panes=PENDING, destructive=True, opens="review", feature="review"),
    Action("open", APP, "enter", "open", "Open", tooltip="the file; the diff for a modified one", panes=FILES,
           feature="files"),
    Action("edit", APP, "E", "edit", "Edit", tooltip="the highlighted file in $VISUAL / $EDITOR",
           palette="Edit the highlighted pending migration in $EDITOR", rank=70, panes=PENDING, feature="files"),
    Action("renumber", APP, "n", "renumber", "Renumber", tooltip="shows the plan first",
           palette="Renumber conflicting migrations", rank=90, panes=("conflicts",), destructive=True,
           guarded=True, refusal="no finding it fixes", feature="renumber"),
    # priority: the filter opens in the app's own turn, before the keys read in the same burst reach the
    # list (they are the filter's: widgets/pane.py); the guard leaves "/" to an input and to dialogs
    Action("filter", APP, "slash", "filter", "Filter", key_display="/", palette="Filter the focused list",
           rank=140, priority=True, guarded=True, refusal="only on the main screen", feature="console"),
    Action("refresh", APP, "r", "refresh", "Refresh", palette="Refresh", rank=130, feature="console"),
    Action("reset", APP, "R", "reset", "Reset", tooltip="drop, recreate, migrate; asks, then b backs up first",
           palette="Reset the database (drop, recreate, migrate)", rank=100, panes=FILES, destructive=True,
           feature="reset"),
    Action("environments", APP, "e", "environments", "Environments", show=False,
           tooltip="migrations × environments",
           palette="Environments: migrations × environments (.env, .env.NAME)", rank=110, guarded=True,
           opens="environments", feature="environments"),
    Action("branches", APP, "b", "branches", "Branches", show=False, tooltip="databases parked for git branches",
           palette="Branches: the databases parked for git branches", rank=115, guarded=True, opens="branches",
           feature="branches"),
    Action("reset_to", APP, "T", "reset_to", "Reset to here", show=False,
           tooltip="only the migrations up to it (asks first)",
           palette="Reset the database to the highlighted History migration", rank=105, panes=("history",),
           destructive=True, guarded=True, feature="branches"),
    Action("filter.clear", APP, "escape", "clear_filter", "Clear filter", show=False, feature="console"),
    Action("pane.history", APP, "1", "focus_pane('history')", "History", show=False, palette="Go to History",
           rank=160, feature="console"),
    Action("pane.pending", APP, "2", "focus_pane('pending')", "Pending", show=False, palette="Go to Pending",
           rank=170, feature="console"),
    Action("pane.conflicts", APP, "3", "focus_pane('conflicts')", "Conflicts", show=False,
           palette="Go to Conflicts", rank=180, feature="console"),
    Action("pane.connections", APP, "4", "focus_pane('connections')", "Connections", show=False,
           palette="Go to Connections", rank=190, feature="console"),
    # ---- the app, palette only
    Action("lint", APP, "", "lint", palette="Lint: the highlighted migration's findings", rank=40, feature="files"),
    Action("check", APP, "", "check", palette="Check the folder (conflicts pane)", rank=50, feature="console"),
    Action("new", APP, "", "new", palette="New migration (gtsd-tui new)", rank=60, destructive=True,
           feature="new"),
    Action("backup", APP, "", "backup", palette="Back up the database (pg_dump)", rank=80, feature="reset"),
    Action("drift", APP, "", "drift", palette="Drift: the schema against its newest applied snapshot", rank=120,
           feature="drift"),
    Action("palette", APP, "", "palette", feature="console"),  # runs a palette entry (ConsoleCommands)
    # ---- the main screen: tab / shift+tab go to the next / previous pane, at any width
    Action("pane.next", "main", "tab", "cycle_pane(1)", "Next pane", show=False),
    Action("pane.previous", "main", "shift+tab", "cycle_pane(-1)", "Previous pane", show=False),
    # ---- the Connections pane (sessions: c / K ask first, then signal)
    Action("stats.pause", "pane:connections", "space", "toggle_pause", "Pause"),
    Action("sessions.sort", "pane:connections", "s", "sort", "Sort"),
    Action("sessions.cancel", "pane:connections", "c", "signal(False)", "Cancel query",
           tooltip="a running query (asks first)", feature="sessions"),
    Action("sessions.terminate", "pane:connections", "K", "signal(True)", "Terminate",
           tooltip="the session (asks first)", feature="sessions"),
    Action("stats.instances", "pane:connections", "i", "instances", "Instances", show=False,
           tooltip="app instances (advice)"),
    Action("stats.indexes", "pane:connections", "x", "indexes", "Indexes", show=False, tooltip="index usage"),
    Action("stats.slower", "pane:connections", "plus", "interval(1)", "Slower", show=False,
           tooltip="refresh interval"),
    Action("stats.faster", "pane:connections", "minus", "interval(-1)", "Faster", show=False,
           tooltip="refresh interval"),
    # ---- the Review screen
    Action("review.apply", "review", "a", "apply", "Apply (safe)", destructive=True, feature="review"),
    Action("review.close", "review", "escape,q", "close", "Back", feature="review"),
    Action("_review.shadowed", "review", SHADOWED_REVIEW, "shadowed", show=False, feature="review"),
    # ``a`` while the safe apply is off (a failed rehearsal) must not fall through to the plain apply
    Action("review.apply.off", "review", "a", "shadowed", show=False, feature="review"),
    # ---- the Environments view
    Action("envs.close", "environments", "escape", "close", "Back", feature="environments"),
    Action("envs.refresh", "environments", "r", "refresh", "Refresh", feature="environments"),
    Action("envs.apply.to", "environments", "a", "apply_to", "Apply to", destructive=True,
           feature="environments"),
    Action("envs.apply.all", "environments", "A", "apply_all", "Apply all", destructive=True,
           feature="environments"),
    Action("_envs.shadowed", "environments", SHADOWED_ENVS, "shadowed", show=False, feature="environments"),
    # ---- the Drift view
    Action("drift.close", "drift", "escape,q", "close", "Close", feature="drift"),
    Action("drift.recheck", "drift", "r", "recheck", "Compare again", feature="drift"),
    # ---- the Branches view
    Action("branches.close", "branches", "escape,q", "close", "Back", feature="branches"),
    Action("branches.refresh", "branches", "r", "refresh", "Refresh", feature="branches"),
    Action("branches.prune", "branches", "p", "prune", "Prune", tooltip="the databases of deleted branches (asks)",
           destructive=True, feature="branches"),
    Action("_branches.shadowed", "branches", "A,a,v,R,n,e,E,T,slash,1,2,3,4", "shadowed", show=False,
           feature="branches"),
    # ---- any other view a feature pushes: escape goes back (its own keys, if any, are a scope of their own)
    Action("view.close", "view", "escape", "close", "Back"),
    # ---- dialogs
    Action("help.close", "help", "escape,q,question_mark", "close", "Close"),
    Action("text.close", "text", "escape,q", "close", "Close"),
    Action("error.close", "error", "escape,enter,q", "close", "Close"),
    Action("conflict.close", "conflict", "escape,q", "close", "Close"),
    Action("prompt.cancel", "prompt", "escape", "cancel", "Cancel"),
    Action("confirm.yes", "confirm", "y", "confirm", "Yes"),
    Action("confirm.no", "confirm", "n", "cancel", "No"),
    Action("confirm.escape", "confirm", "escape", "escape", "Close"),
    Action("choice.no", "choice", "n", "cancel", "Cancel"),
    Action("choice.escape", "choice", "escape", "cancel", "Cancel", show=False),
    # ---- every list (RowTable): moving needs no footer word
    Action("_rows.up", "rows", "up,k", "move(-1)", "Up", show=False),
    Action("_rows.down", "rows", "down,j", "move(1)", "Down", show=False),
    Action("_rows.page_up", "rows", "pageup", "move(-10)", "Page up", show=False),
    Action("_rows.page_down", "rows", "pagedown", "move(10)", "Page down", show=False),
    Action("_rows.top", "rows", "home,g", "jump(0)", "Top", show=False),
    Action("_rows.bottom", "rows", "end,G", "jump(-1)", "Bottom", show=False),
    Action("_rows.select", "rows", "enter", "select", "Open", show=False),
)
# fmt: on
"""Ids starting with ``_`` are the registry's own (the binding gets no id, as Textual's keymap needs
none for keys a user never rebinds)."""

BY_ID = {a.id: a for a in REGISTRY}


def in_scope(scope: str) -> list[Action]:
    return [a for a in REGISTRY if a.scope == scope]


def bindings(scope: str) -> list[BindingType]:
    """The ``BINDINGS`` of the class that owns ``scope``, in the table's order (the footer's)."""
    return [a.binding() for a in in_scope(scope) if a.keys]


def app_action(name: str) -> Action | None:
    """The app's action of that method name (the first, for the four ``focus_pane``)."""
    return next((a for a in REGISTRY if a.scope == APP and a.name == name), None)


def palette_entries() -> list[Action]:
    """Every palette entry, once each, in the palette's order."""
    return sorted((a for a in REGISTRY if a.palette), key=lambda a: a.rank)


def palette_action(name: str) -> Action | None:
    return next((a for a in REGISTRY if a.palette and a.palette_name == name), None)


def pane_actions() -> dict[str, tuple[str, ...]]:
    """Where each of the app's actions applies (the ones that apply everywhere are not listed)."""
    return {a.name: a.panes for a in REGISTRY if a.scope == APP and a.panes}


def destructive() -> set[str]:
    """The app's actions hidden and refused in ``--read-only``."""
    return {a.name for a in REGISTRY if a.scope == APP and a.destructive}


def allowed(app: GtsdApp, scope: str, name: str) -> bool:
    """``check_action`` of every scope: refused in ``--read-only`` when destructive, hidden outside its
    panes, and the feature's own ``can_<name>`` when ``guarded``. An action not in the table: allowed."""
    a = next((x for x in REGISTRY if x.scope == scope and x.name == name), None)
    if a is None:
        return True
    if a.destructive and app.read_only:
        return False
    if a.panes and (not app.alive or app.active_pane() not in a.panes):
        return False
    return not a.guarded or guard(a)(app)


def feature(name: str) -> ModuleType:
    """A feature's module (``tui/features/<name>.py``), imported when first used: none is on the start path."""
    return importlib.import_module(f"gtsd_tui.tui.features.{name}")


def guard(a: Action) -> Callable[[GtsdApp], bool]:
    check: Callable[[GtsdApp], bool] = getattr(feature(a.feature), f"can_{a.name}")
    return check


class Handler(Protocol):
    def __call__(self, app: GtsdApp, /, *params: object) -> object: ...


def handler(a: Action) -> Handler:
    """The function that runs an app action: its feature's ``action_<name>(app, *params)``."""
    fn: Handler = getattr(feature(a.feature), f"action_{a.name}")
    return fn


def run(app: GtsdApp, name: str, *params: object) -> object:
    """Run the app's action ``name`` as its key would (no ``check_action``: the caller decided)."""
    a = app_action(name)
    assert a is not None, f"no action {name!r} in the registry"
    return handler(a)(app, *params)


def install(cls: type) -> None:
    """The app's ``action_<name>`` for each of its actions (where Textual looks for them): each runs its
    feature's handler. A method the app class itself defines is left as it is."""
    for a in in_scope(APP):
        if a.feature and f"action_{a.name}" not in vars(cls):
            setattr(cls, f"action_{a.name}", _method(a.name))


def _method(name: str) -> Handler:
    def method(app: GtsdApp, *params: object) -> object:
        return run(app, name, *params)

    method.__name__ = method.__qualname__ = f"action_{name}"
    method.__doc__ = next(a.palette or a.tooltip or a.footer for a in in_scope(APP) if a.name == name)
    return method
