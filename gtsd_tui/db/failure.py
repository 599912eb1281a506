"""The error of a migration statement that failed, located in its file (raised by the runner and its retries)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gtsd_tui.errors import DatabaseError

if TYPE_CHECKING:
    from gtsd_tui.core.migrations.hashing import Chunk
    from gtsd_tui.core.migrations.plan import Step
    from gtsd_tui.core.sql.errorpos import Location, ServerError


class MigrationFailed(DatabaseError):
    """A statement failed; nothing of this migration remains (per-file) or of the batch (all)."""

    def __init__(self, *, step: Step, chunk: Chunk, error: ServerError, location: Location | None, path: str) -> None:
        self.step, self.chunk, self.error, self.location, self.path = step, chunk, error, location, path
        self.rolled_back: list[str] = []
        self.undone: list[str] = []  # a migration's own ROLLBACK that ran first: file:line:col, what it undid
        where = f"{path}:{location.line}:{location.column}" if location else path
        state = f"{error.sqlstate}: " if error.sqlstate else ""
        head, *self.more = error.message.strip().splitlines() or [""]  # libpq's lost-connection text has 3
        super().__init__(f"{where}: {state}{head}")

    def details(self) -> list[str]:
        out = [f"    {line.strip()}" for line in self.more if line.strip()]
        if self.location and self.location.excerpt:
            out.append(self.location.excerpt)
        if self.error.detail:
            out.append(f"DETAIL: {self.error.detail}")
        if self.error.hint:
            out.append(f"HINT: {self.error.hint}")
        if self.error.context:
            out.append(f"CONTEXT: {self.error.context}")
        if self.rolled_back:
            out.append("rolled back: " + ", ".join(self.rolled_back))
        return out
