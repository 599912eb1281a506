"""The Environments matrix: the folder's migrations (rows) × the project's environments (columns), each
cell the migration's state there with the History/Pending glyphs; rows no file explains at the end."""

from __future__ import annotations

from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from gtsd_tui.core.display import shown
from gtsd_tui.services.console_envs import EnvColumn, Environments
from gtsd_tui.tui.render import UNKNOWN, state_cell

ABSENT = Text("·", style="dim")
UNKNOWN_ROW = Text("? unknown row", style="red")
ROW_PREFIX = "row:"


def column_label(env: EnvColumn) -> Text:
    if not env.reachable:
        return Text(f"{env.name} ✗", style="red")
    return Text(f"{env.name} (here)" if env.current else env.name, style="bold" if env.current else "")


def cell(env: EnvColumn, key: str) -> Text:
    """One cell: the state's glyph and word; unknown where the environment cannot be read."""
    if not env.reachable or env.report is None:
        return UNKNOWN
    if key.startswith(ROW_PREFIX):
        hashes = {r.hash for r in env.report.unknown_rows}
        return UNKNOWN_ROW if key.removeprefix(ROW_PREFIX) in hashes else ABSENT
    item = env.item(key)
    return state_cell(item) if item is not None else ABSENT


class EnvMatrix(DataTable[Text]):
    """Shows one :class:`Environments`; the cursor stays on the same migration and environment across
    refreshes. ``selected`` is (environment, migration tag or ``row:HASH``) under the cursor."""

    def __init__(self) -> None:
        super().__init__(id="envs-matrix", cursor_type="cell", zebra_stripes=False, fixed_columns=1)
        self.envs: Environments | None = None

    def show(self, envs: Environments) -> None:
        before = self.selected
        self.envs = envs
        self.clear(columns=True)
        self.add_column(Text("Migration", style="bold"), key="tag")
        for env in envs.envs:
            self.add_column(column_label(env), key=env.name)
        keys = list(envs.tags) + [ROW_PREFIX + h for h in envs.unknown_hashes]
        for key in keys:
            label = Text(shown(key)) if not key.startswith(ROW_PREFIX) else Text(f"row {key[4:16]}", style="red")
            self.add_row(label, *(cell(env, key) for env in envs.envs), key=key)
        row, column = 0, 1
        if before is not None:
            env_name, key = before
            if key in keys:
                row = keys.index(key)
            names = [e.name for e in envs.envs]
            if env_name in names:
                column = names.index(env_name) + 1
        if keys and envs.envs:
            self.move_cursor(row=row, column=column, animate=False)

    @property
    def selected(self) -> tuple[str, str] | None:
        """(environment name, row key) under the cursor; None on the tag column or an empty matrix."""
        return self.key_at(self.cursor_coordinate)

    def key_at(self, at: Coordinate) -> tuple[str, str] | None:
        if self.envs is None or not self.is_valid_coordinate(at) or at.column == 0:
            return None
        row_key, column_key = self.coordinate_to_cell_key(at)
        if row_key.value is None or column_key.value is None:
            return None
        return column_key.value, row_key.value
