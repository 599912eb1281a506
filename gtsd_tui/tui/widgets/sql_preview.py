"""SQL preview that renders only the visible lines (Textual's line API), highlighted by pygments."""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

BLOCK = 64  # lines highlighted together (multi-line comments and strings come out right within a block)
GUTTER = Style(dim=True)
CHUNK = Style(bold=True)
ERROR_MARK = Style(bold=True, color="red", reverse=True)
WARNING_MARK = Style(bold=True, color="yellow")
SIGNS = {"error": "✖", "warning": "!"}  # the glyph tells error from warning without colour
CURRENT = Style(reverse=True)


class SqlPreview(ScrollView, can_focus=True):
    """Holds the file as a list of lines; highlights and renders a block only when it is on screen."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: Sequence[str] = []
        self.marks: dict[int, str] = {}
        self.chunk_lines: set[int] = set()
        self.error_line: int | None = None
        self._blocks: dict[int, list[Text]] = {}
        self._digits = 4
        self.pass_style: Style | None = None  # the widget's style during one render pass (render_lines)

    def show(
        self,
        lines: Sequence[str],
        *,
        marks: dict[int, str] | None = None,
        chunk_lines: list[int] | None = None,
        error_line: int | None = None,
    ) -> None:
        self.lines = lines
        self.marks = marks or {}
        self.chunk_lines = set(chunk_lines or [])
        self.error_line = error_line
        self._blocks.clear()
        self._digits = max(4, len(str(len(lines))))
        sample = lines if len(lines) < 20000 else lines[:2000]
        width = max((len(line) for line in sample), default=0) + self._digits + 4
        self.virtual_size = Size(width, len(lines))
        if error_line is not None:  # once the new size is laid out, or the scroll is clamped to the old one
            self.call_after_refresh(self._scroll_to_error)
        else:
            self.scroll_home(animate=False)
        self.refresh()

    def _scroll_to_error(self) -> None:
        if self.error_line is not None:
            self.scroll_to(y=max(0, self.error_line - 4), animate=False)

    def on_resize(self) -> None:
        """The pane's layout settles after the preview arrives (notes, findings, the apply log take their
        rows): a scroll clamped to the old height would leave the error line out of view."""
        line = self.error_line
        if line is not None and not self.scroll_offset.y < line <= self.scroll_offset.y + self.size.height:
            self.call_after_refresh(self._scroll_to_error)

    def _block(self, start: int) -> list[Text]:
        cached = self._blocks.get(start)
        if cached is not None:
            return cached
        code = "\n".join(self.lines[start : start + BLOCK])
        from rich.syntax import Syntax  # pygments: imported with the first preview, not on the first screen's path

        text = Syntax(code, "sql", theme="ansi_dark").highlight(code)
        text.rstrip()
        block = list(text.split("\n", allow_blank=True))
        if len(self._blocks) > 256:
            self._blocks.clear()
        self._blocks[start] = block
        return block

    def render_lines(self, crop: Region) -> list[Strip]:
        self.pass_style = self.rich_style  # it walks every ancestor's styles: once per pass, not per line
        try:
            return super().render_lines(crop)
        finally:
            self.pass_style = None

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        base = self.rich_style if self.pass_style is None else self.pass_style
        if index >= len(self.lines):
            return Strip.blank(width, base)
        start = index - index % BLOCK
        block = self._block(start)
        text = block[index - start] if index - start < len(block) else None
        number = index + 1
        mark = self.marks.get(number, "").split(" ", 1)[0]  # "error rule: message" -> its severity
        sign = SIGNS.get(mark, "!") if mark else ("›" if number in self.chunk_lines else " ")
        if number == self.error_line:
            gutter_style = CURRENT
        elif mark:
            gutter_style = ERROR_MARK if mark == "error" else WARNING_MARK
        else:
            gutter_style = GUTTER
        segments = [Segment(f"{number:>{self._digits}} {sign} ", gutter_style)]
        if text is not None:
            segments += list(text.render(self.app.console, end=""))
        strip = Strip(segments).crop_extend(scroll_x, scroll_x + width, base)
        return strip.apply_style(base)
