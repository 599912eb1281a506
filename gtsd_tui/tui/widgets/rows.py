"""A keyed table that renders only the visible rows (line API): thousands of migrations stay instant.

Textual's DataTable measures every cell of every row on each change; this one measures columns
once per update from plain strings and draws a row only when it is on screen.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.events import Click
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from gtsd_tui.tui.actions import bindings

Cell = str | Text
HEADER = Style(bold=True)


def column_widths(headers: list[str], rows: list[tuple[Cell, ...]]) -> list[int]:
    """Each column's width: its header's, or its longest cell's (``len`` of a string, a Text's cells).
    Column by column: the strings' lengths in one ``map``, each distinct Text measured once (a state cell
    is one Text shared by every row of that state). Cell by cell, 5,000 rows cost 14 ms, in the
    first frame with tags; this way about 1 ms."""
    widths = [len(h) for h in headers]
    full = min(map(len, rows), default=0) >= len(widths)
    for i in range(len(widths)):
        column = [cells[i] for cells in rows] if full else [cells[i] for cells in rows if len(cells) > i]
        plain = [cell for cell in column if type(cell) is str]
        if plain:
            widths[i] = max(widths[i], max(map(len, plain)))
        if len(plain) < len(column):
            others = [cell for cell in column if type(cell) is not str]
            texts = dict(zip(map(id, others), others, strict=True))
            widths[i] = max(widths[i], *(c.cell_len if isinstance(c, Text) else len(c) for c in texts.values()))
    return widths


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
        self.pass_style: Style | None = None  # the widget's style during one render pass (render_lines)

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
        self.widths = widths = column_widths(self.columns, self.cells)
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

    def render_lines(self, crop: Region) -> list[Strip]:
        # rich_style walks every ancestor's styles: once per pass, not once per line (a third of the
        # first paint's line rendering)
        self.pass_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self.pass_style = None

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style if self.pass_style is None else self.pass_style
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
