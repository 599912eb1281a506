"""What the console's first frame with tags composes (issue 27): only what it shows. The widgets that
stay hidden until something happens (the filter input, the database problem line, the narrow layout's
tab strip, the findings table) are mounted when first needed, where they were before, and work as
they did; the lists' column widths are measured column by column."""

from __future__ import annotations

import random

import pytest
from rich.text import Text

from tests.test_console_outline import SAMPLE_TAGS, HeldBack

HIDDEN_UNTIL_NEEDED = ("Input", "DbProblem", "TabStrip", "#findings-table")


def composed(screen: object) -> set[str]:
    """The type names and ids of every widget under the screen."""
    from textual.screen import Screen

    assert isinstance(screen, Screen)
    found: set[str] = set()
    for node in screen.walk_children():
        found.add(type(node).__name__)
        if node.id:
            found.add(f"#{node.id}")
    return found


async def until(pilot: object, predicate: object, tries: int = 200) -> None:
    for _ in range(tries):
        if predicate():  # type: ignore[operator]
            return
        await pilot.pause(0.02)  # type: ignore[attr-defined]
    raise AssertionError("condition not reached in time")


@pytest.mark.parametrize("size", [(80, 24), (120, 34)], ids=["80x24", "120x34"])
async def test_the_first_frame_composes_no_hidden_widget(
    monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    """At the first frame with tags (the outline shown, the state held back): no filter input, no problem
    line, no findings table, the tab strip only on a narrow terminal. Each comes when first needed: ``/``
    mounts the filter at the pane's top (once: ``/`` again opens the same one), the first file with
    findings mounts the table under the notes."""
    from textual.widgets import Input

    from gtsd_tui.tui.app import GtsdApp
    from gtsd_tui.tui.screens.main import MainScreen
    from gtsd_tui.tui.widgets.rows import RowTable

    held = HeldBack(monkeypatch)
    at_first_frame: list[set[str]] = []
    show_outline = MainScreen.show_outline

    def spy(self: MainScreen, tags: list[str]) -> None:
        show_outline(self, tags)  # (what it composes after that frame is queued for after its refresh)
        at_first_frame.append(composed(self))

    monkeypatch.setattr(MainScreen, "show_outline", spy)
    app = GtsdApp(held.fake, live=False)
    narrow = size[0] < 100
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: bool(at_first_frame))
        first = at_first_frame[0]
        assert {"#pending-table", "HeaderBar", "KeysFooter"} <= first
        assert ("#history-table" in first) is not narrow  # History is on screen at 120 columns
        hidden = {name for name in HIDDEN_UNTIL_NEEDED if name in first}
        assert hidden == ({"TabStrip"} if narrow else set())
        pending = app.main_screen.query_one("#pending-table", RowTable)
        assert pending.keys == SAMPLE_TAGS and app.state is None  # a real first frame: the tags, reading

        # the filter: mounted by the first "/", at the top of the pane, focused; it narrows the list
        assert not app.main_screen.query(Input)
        await pilot.press("slash")
        await until(pilot, lambda: isinstance(app.focused, Input))
        pane = app.main_screen.query_one("#pane-pending")
        assert pane.children[0].id == "pending-filter" and pane.children[0].has_class("shown")
        await pilot.press(*"part")
        await until(pilot, lambda: pending.keys == ["0002_partners"])
        await pilot.press("escape")
        await until(pilot, lambda: pending.keys == SAMPLE_TAGS)
        assert not pane.children[0].has_class("shown") and pane.children[0].value == ""
        await pilot.press("slash")  # the same input again, not a second one
        await until(pilot, lambda: isinstance(app.focused, Input))
        assert len(pane.query(Input)) == 1 and pane.children[0].has_class("shown")
        await pilot.press("escape")

        # the state, then the first preview: its findings (the sample's files all have some) mount the table
        held.go.set()
        await until(pilot, lambda: app.state is not None)
        await until(pilot, lambda: bool(app.main_screen.query("#findings-table")))
        box = app.main_screen.query_one("#preview-box")
        table = box.children[-1]
        assert isinstance(table, RowTable) and table.id == "findings-table"  # under the preview's notes
        await until(pilot, lambda: table.row_count > 0 and pane.has_class("has-findings"))
        assert table.display  # shown: the pane has findings
        app.pending.preview_failed("the file is gone")
        assert not pane.has_class("has-findings") and table.row_count == 0
        assert "DbProblem" not in composed(app.main_screen)  # connected: never mounted


async def test_the_tab_strip_comes_when_the_terminal_gets_narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Started wide: no tab strip. Narrowed to 80 columns: it is mounted between the header and the grid,
    names the panes with the active one, and its tabs switch panes; wide again: hidden, not removed."""
    from gtsd_tui.tui.app import GtsdApp
    from gtsd_tui.tui.widgets.header import TabStrip

    held = HeldBack(monkeypatch)
    held.go.set()
    app = GtsdApp(held.fake, live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        await until(pilot, lambda: app.state is not None)
        screen = app.main_screen
        assert not screen.query(TabStrip)
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: bool(screen.query(TabStrip)) and screen.has_class("narrow"))
        await pilot.pause()
        tabs = screen.query_one(TabStrip)
        names = [type(w).__name__ for w in screen.children]
        assert names.index("TabStrip") == names.index("HeaderBar") + 1
        assert names.index("TabStrip") + 1 == names.index("Grid")
        text = str(tabs.render())
        assert all(name in text for name in ("1 History", "2 Pending", "3 Conflicts", "4 Connections"))
        await pilot.press("1")
        await pilot.pause()
        assert app.active_pane() == "history" and tabs.display
        await pilot.resize_terminal(120, 34)
        await until(pilot, lambda: not screen.has_class("narrow"))
        await pilot.pause()
        assert len(screen.query(TabStrip)) == 1 and not tabs.display


def reference_widths(headers: list[str], rows: list[tuple[str | Text, ...]]) -> list[int]:
    """The cell-by-cell measure RowTable used before."""
    widths = [len(h) for h in headers]
    for cells in rows:
        for i, cell in enumerate(cells[: len(widths)]):
            n = cell.cell_len if isinstance(cell, Text) else len(cell)
            widths[i] = max(widths[i], n)
    return widths


def test_column_widths_are_the_cell_by_cell_measure() -> None:
    """Strings, shared and distinct Texts (wide characters: cells, not characters), rows shorter than the
    header and longer: the same widths as measuring every cell."""
    from gtsd_tui.tui.widgets.rows import column_widths

    rng = random.Random(27)
    shared = [Text("✓ applied", style="green"), Text("… reading", style="dim"), Text("日本語のタグ")]
    for _ in range(200):
        headers = ["State", "Tag", "When"][: rng.randint(1, 3)]
        rows: list[tuple[str | Text, ...]] = []
        for _ in range(rng.randint(0, 40)):
            cells: list[str | Text] = []
            for _ in range(rng.randint(0, 4)):
                pick = rng.random()
                if pick < 0.4:
                    cells.append("x" * rng.randint(0, 30))
                elif pick < 0.7:
                    cells.append(rng.choice(shared))
                else:
                    cells.append(Text("é" * rng.randint(0, 12) + "表" * rng.randint(0, 5)))
            rows.append(tuple(cells))
        assert column_widths(headers, rows) == reference_widths(headers, rows), rows


async def test_letters_typed_in_the_same_burst_as_slash_go_to_the_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal delivers ``/part`` typed quickly (or pasted) in one read: the letters after ``/`` reach
    the app before the filter input it mounts has the focus. They go to the filter, not to the list's
    keys (``a`` is apply, ``r`` refresh)."""
    from textual import events
    from textual.widgets import Input

    from gtsd_tui.tui.app import GtsdApp
    from gtsd_tui.tui.widgets.rows import RowTable

    held = HeldBack(monkeypatch)
    app = GtsdApp(held.fake, live=False)
    async with app.run_test(size=(120, 34)) as pilot:
        pending = app.main_screen.query_one("#pending-table", RowTable)
        await until(pilot, lambda: pending.keys == SAMPLE_TAGS)
        held.go.set()
        await until(pilot, lambda: app.state is not None)
        for key, char in [("slash", "/"), ("p", "p"), ("a", "a"), ("r", "r"), ("t", "t")]:
            app.post_message(events.Key(key, char))  # one burst: nothing processed in between
        await until(pilot, lambda: isinstance(app.focused, Input) and app.focused.value == "part")
        await until(pilot, lambda: pending.keys == ["0002_partners"])
        assert app.busy == "" and app.screen is app.main_screen  # no apply asked for, no dialog
        await pilot.press("slash")  # in the filter, "/" is a character (the key is the app's otherwise)
        assert isinstance(app.focused, Input) and app.focused.value == "part/"
        await pilot.press("escape", "question_mark")  # on another screen "/" opens no filter behind it
        await until(pilot, lambda: app.screen is not app.main_screen)
        await pilot.press("slash")
        assert app.screen is not app.main_screen and not app.main_screen.query_one("#pending-filter").has_class("shown")
