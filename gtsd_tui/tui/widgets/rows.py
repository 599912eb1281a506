"""A keyed table that renders only the visible rows (line API): thousands of migrations stay instant.

Textual's DataTable measures every cell of every row on each change; this one measures columns
once per update from plain strings and draws a row only when it is on screen.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from gtsd_tui.tui.actions import bindings

Cell = str | Text
HEADER = Style(bold=True)


class RowTable(ScrollView, can_focus=True):
    BINDINGS = bindings("rows")

    class Highlighted(Message):
        def __init__(self, table: RowTable, key: str | None) -> None:
            super().__init__()
            self.table, self.key = table, key

        @property
        def control(self) -> RowTable:
            return self.table

    class Selected(Message):
        def __init__(self, table: RowTable, key: str) -> None:
            super().__init__()
            self.table, self.key = table, key

        @property
        def control(self) -> RowTable:
            return self.table

    def __init__(self, *columns: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = list(columns)
        self.keys: list[str] = []
        self.cells: list[tuple[Cell, ...]] = []
        self.cursor = 0
        self.widths = [len(c) for c in columns]

    @property
    def row_count(self) -> int:
        return len(self.keys)

    @property
    def cursor_key(self) -> str | None:
        return self.keys[self.cursor] if 0 <= self.cursor < len(self.keys) else None

    def set_rows(self, rows: list[tuple[str, tuple[Cell, ...]]]) -> None:
        """Replace the rows; the cursor stays on the same key when it is still there."""
        current = self.cursor_key
        self.keys = [k for k, _ in rows]
        self.cells = [c for _, c in rows]
        widths = [len(c) for c in self.columns]
        for cells in self.cells:
            for i, cell in enumerate(cells[: len(widths)]):
                n = cell.cell_len if isinstance(cell, Text) else len(cell)
                if n > widths[i]:
                    widths[i] = n
        self.widths = widths
        self.virtual_size = Size(sum(widths) + 2 * len(widths), len(self.keys) + 1)
        new = self.keys.index(current) if current in self.keys else min(self.cursor, max(0, len(self.keys) - 1))
        changed = new != self.cursor or current != self.cursor_key
        self.cursor = new
        self.refresh()
        if changed or current is None:
            self.post_message(self.Highlighted(self, self.cursor_key))

    def _cell_segments(self, cells: tuple[Cell, ...], base: Style) -> list[Segment]:
        segs: list[Segment] = []
        for i, width in enumerate(self.widths):
            cell = cells[i] if i < len(cells) else ""
            if isinstance(cell, Text):
                text = cell.copy()
                text.pad_right(width - cell.cell_len + 2)
                segs += [
                    Segment(s.text, base + s.style if s.style else base) for s in text.render(self.app.console, end="")
                ]
            else:
                segs.append(Segment(cell.ljust(width + 2), base))
        return segs

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        if y == 0:
            header = "".join(c.ljust(w + 2) for c, w in zip(self.columns, self.widths, strict=True))
            return Strip([Segment(header, base + HEADER)]).crop_extend(scroll_x, scroll_x + width, base)
        index = scroll_y + y - 1
        if index >= len(self.keys):
            return Strip.blank(width, base)
        style = base
        if index == self.cursor:
            style = base + Style(reverse=True) if self.has_focus else base + Style(underline=True)
        return Strip(self._cell_segments(self.cells[index], style)).crop_extend(scroll_x, scroll_x + width, style)

    def _move_to(self, row: int) -> None:
        if not self.keys:
            return
        row = max(0, min(len(self.keys) - 1, row))
        if row != self.cursor:
            self.cursor = row
            self.refresh()
            self.post_message(self.Highlighted(self, self.cursor_key))
        visible = max(1, self.size.height - 1)
        top = self.scroll_offset.y
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + visible:
            self.scroll_to(y=row - visible + 1, animate=False)

    def select_key(self, key: str) -> bool:
        """Move the cursor to ``key``'s row (scrolled into view); False when there is no such row."""
        if key not in self.keys:
            return False
        self._move_to(self.keys.index(key))
        return True

    def action_move(self, step: int) -> None:
        self._move_to(self.cursor + step)

    def action_jump(self, row: int) -> None:
        self._move_to(row if row >= 0 else len(self.keys) - 1)

    def action_select(self) -> None:
        if self.cursor_key is not None:
            self.post_message(self.Selected(self, self.cursor_key))

    def on_click(self, event: Click) -> None:
        row = event.y + self.scroll_offset.y - 1
        if 0 <= row < len(self.keys):
            self._move_to(row)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
