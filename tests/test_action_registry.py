"""The action registry (``gtsd_tui/tui/actions.py``) is the console's one table of keys: every binding
of the app, its screens, panes and widgets is one of its lines, every palette entry too, every action
has a handler, and no id is used twice. The checker is run on an injected binding to show it fails."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen

import gtsd_tui.tui
from gtsd_tui.tui import actions
from gtsd_tui.tui.actions import APP, REGISTRY, Action

Key = tuple[object, ...]


def _key(b: Binding) -> Key:
    return (b.key, b.action, b.description, b.show, b.key_display, b.priority, b.tooltip, b.id)


def _tui_classes() -> list[type[DOMNode]]:
    """Every App, Screen and Widget class defined in ``gtsd_tui.tui`` (each module imported)."""
    for info in pkgutil.walk_packages(gtsd_tui.tui.__path__, "gtsd_tui.tui."):
        importlib.import_module(info.name)
    seen: dict[str, type[DOMNode]] = {}
    stack: list[type[DOMNode]] = [DOMNode]
    while stack:
        cls = stack.pop()
        stack += cls.__subclasses__()
        if cls.__module__.startswith("gtsd_tui.tui."):
            seen[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return list(seen.values())


def _own_bindings(cls: type[DOMNode]) -> list[Binding]:
    return [b for b in vars(cls).get("BINDINGS", []) if isinstance(b, Binding)]


def bindings_outside_registry(classes: list[type[DOMNode]]) -> list[str]:
    """Each binding a class declares that is not exactly one of the registry's (every field), and each
    class whose bindings are not exactly one scope's, in the registry's order."""
    registered = {_key(a.binding()) for a in REGISTRY if a.keys}
    scopes = {tuple(_key(b) for b in _own_bindings_of(scope)) for scope in {a.scope for a in REGISTRY}}
    bad = []
    for cls in classes:
        own = _own_bindings(cls)
        if not own and not vars(cls).get("BINDINGS"):
            continue
        if len(own) != len(vars(cls)["BINDINGS"]):
            bad.append(f"{cls.__qualname__}: a binding given as a tuple, not from the registry")
        bad += [f"{cls.__qualname__}: {b.key} -> {b.action}" for b in own if _key(b) not in registered]
        if tuple(_key(b) for b in own) not in scopes:
            bad.append(f"{cls.__qualname__}: its bindings are not one scope of the registry")
    return bad


def _own_bindings_of(scope: str) -> list[Binding]:
    return [b for b in actions.bindings(scope) if isinstance(b, Binding)]


def _scope_of(cls: type[DOMNode]) -> str | None:
    own = [_key(b) for b in _own_bindings(cls)]
    return next((s for s in {a.scope for a in REGISTRY} if [_key(b) for b in _own_bindings_of(s)] == own), None)


def test_every_binding_of_the_console_comes_from_the_registry() -> None:
    classes = _tui_classes()
    assert len([c for c in classes if _own_bindings(c)]) >= 12  # the app, screens, dialogs, panes, lists
    assert bindings_outside_registry(classes) == []


def test_a_binding_outside_the_registry_is_caught() -> None:
    """The checker is not vacuous: a screen with one binding of its own, or one field changed, fails."""

    class Rogue(Screen[None]):
        BINDINGS = [*actions.bindings("drift"), Binding("z", "zap", "Zap")]

    class Retitled(Screen[None]):
        BINDINGS = [Binding("escape,q", "close", "Shut", id="drift.close")]  # drift.close says "Close"

    class Tupled(Screen[None]):
        BINDINGS = [("z", "zap", "Zap")]

    assert bindings_outside_registry([Rogue]) == [
        "test_a_binding_outside_the_registry_is_caught.<locals>.Rogue: z -> zap",
        "test_a_binding_outside_the_registry_is_caught.<locals>.Rogue: its bindings are not one scope of the registry",
    ]
    assert len(bindings_outside_registry([Retitled])) == 2
    assert "a binding given as a tuple" in bindings_outside_registry([Tupled])[0]


def test_no_id_twice_and_every_scope_has_its_class() -> None:
    ids = [a.id for a in REGISTRY]
    assert len(ids) == len(set(ids))
    scopes = {_scope_of(c) for c in _tui_classes() if _own_bindings(c)}
    keyed = {a.scope for a in REGISTRY if a.keys}
    assert keyed <= scopes  # no line of the registry binds a key nobody reads


def test_every_action_has_a_handler() -> None:
    """An app action: its feature's ``action_<name>`` (and ``can_<name>`` when guarded), reached through
    the app's installed method; any other: the method of the class that owns its scope."""
    from gtsd_tui.tui.app import GtsdApp

    owners = {_scope_of(c): c for c in _tui_classes() if _own_bindings(c)}
    for a in REGISTRY:
        if a.scope == APP:
            assert a.feature, a.id
            module = actions.feature(a.feature)
            assert callable(getattr(module, f"action_{a.name}", None)), f"{a.id}: no action_{a.name} in {a.feature}"
            assert callable(getattr(GtsdApp, f"action_{a.name}", None)), a.id
            if a.guarded or a.refusal:
                assert callable(getattr(module, f"can_{a.name}", None)), f"{a.id}: no can_{a.name}"
        else:
            owner = owners[a.scope]
            assert callable(getattr(owner, f"action_{a.name}", None)), f"{a.id}: no {owner.__name__}.action_{a.name}"


def test_the_palette_is_the_registry() -> None:
    """Every palette entry once, with its key, in rank order; each runs a registered app action."""
    from gtsd_tui.tui.commands import ACTIONS

    entries = actions.palette_entries()
    assert [(a.palette, a.palette_name, a.key_label) for a in entries] == ACTIONS
    assert len({label for label, _, _ in ACTIONS}) == len(ACTIONS)
    assert len({name for _, name, _ in ACTIONS}) == len(ACTIONS)
    assert all(a.scope == APP for a in entries)
    ranks = [a.rank for a in entries]
    assert len(set(ranks)) == len(ranks)
    shown = {a.name for a in REGISTRY if a.scope == APP and a.keys and a.show}
    assert shown - {a.name for a in entries} == {"open"}  # enter opens: the row's own key, not a command


def test_help_lists_every_key_of_the_app_its_panes_and_the_screens_it_opens() -> None:
    from gtsd_tui.tui.features.console import help_sections
    from gtsd_tui.tui.screens.help import SKIPPED, render

    text = render(help_sections())
    for a in REGISTRY:
        listed = a.scope == APP or a.scope.startswith("pane:") or any(o.opens == a.scope and o.keys for o in REGISTRY)
        if listed and a.keys and a.footer and a.name not in SKIPPED and a.name != "focus_pane":
            assert a.footer in text, a.id


def test_read_only_refuses_exactly_the_destructive_actions() -> None:
    """``allowed`` in --read-only: every destructive action of every scope refused, the others not
    (on an app object that is not running: the pane rule does not apply to actions without panes)."""

    class Console:
        read_only = True
        alive = True

        def active_pane(self) -> str:
            return "pending"

    for a in REGISTRY:
        if a.panes and "pending" not in a.panes or a.guarded:
            continue
        assert actions.allowed(Console(), a.scope, a.name) is (not a.destructive), a.id  # type: ignore[arg-type]


def test_installed_methods_run_the_feature() -> None:
    from gtsd_tui.tui.app import GtsdApp

    method = GtsdApp.action_apply_to  # type: ignore[attr-defined]
    assert method.__name__ == "action_apply_to"
    assert inspect.signature(method).parameters.keys() == {"app", "params"}
    assert isinstance(actions.app_action("apply_to"), Action)


VIEW = '''"""A view added as the recipe of docs/architecture.md says: this module and one registry line."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Static

from gtsd_tui.tui.screens.view import View


class HelloScreen(View):
    def compose(self) -> ComposeResult:
        yield Static("hello, registry", id="hello")
        yield Footer(compact=True)


def action_hello(app) -> None:
    app.push_screen(HelloScreen())
'''
LINES = (
    '    Action("hello", APP, "w", "hello", "Hello", show=False, palette="Hello: the new view", rank=115,'
    ' opens="view", feature="hello"),\n'
)
RUN = """
import asyncio, sys
from pathlib import Path
from gtsd_tui.tui.app import GtsdApp
from gtsd_tui.tui.commands import ACTIONS
from gtsd_tui.tui.features.console import help_sections
from gtsd_tui.tui.screens.help import render
from tests.helpers.fake_console import FakeConsole

assert ("Hello: the new view", "hello", "w") in ACTIONS, ACTIONS
assert any(b.key == "w" and b.action == "hello" for b in GtsdApp.BINDINGS)
text = render(help_sections())
assert "w  Hello" in text and "Hello (w)" in text and "esc  Back" in text, text

async def main():
    app = GtsdApp(FakeConsole(Path(sys.argv[1])), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.5)
        await pilot.press("w")
        await pilot.pause(0.3)
        shown = type(app.screen).__name__
        await pilot.press("escape")
        await pilot.pause(0.3)
        print(shown, type(app.screen).__name__)

asyncio.run(main())
"""


def test_a_new_view_is_one_module_and_one_registry_line(tmp_path: Path) -> None:
    """On a copy of the package: a feature module and one registry line are all it takes for the key,
    the palette, Help and the view itself (escape goes back: the shared ``view`` scope) to work."""
    root = Path(__file__).resolve().parent.parent
    copy = tmp_path / "pkg"
    shutil.copytree(root / "gtsd_tui", copy / "gtsd_tui", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "gtsd_tui/tui/features/hello.py").write_text(VIEW)
    registry = copy / "gtsd_tui/tui/actions.py"
    text = registry.read_text()
    marker = '    Action("filter.clear", APP,'
    assert marker in text
    assert LINES.count("\n") == 1
    registry.write_text(text.replace(marker, LINES + marker, 1))
    folder = shutil.copytree(root / "migrations", tmp_path / "migrations")
    env = {**os.environ, "PYTHONPATH": f"{copy}{os.pathsep}{root}"}
    out = subprocess.run(
        [sys.executable, "-c", RUN, str(folder)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["HelloScreen", "MainScreen"]
