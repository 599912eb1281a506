"""INVALID indexes left by a failed ``CREATE INDEX CONCURRENTLY``, and the migration that left each."""

from __future__ import annotations

from dataclasses import dataclass

from gtsd_tui.core.merging.conflicts import ERROR, Finding
from gtsd_tui.core.migrations.folder import Folder
from gtsd_tui.core.migrations.status import APPLIED, StatusReport
from gtsd_tui.services.project import Project

FIX = "fix what made it fail (duplicates for a unique index), then gtsd-tui migrate: it drops the index and resumes"


@dataclass(frozen=True)
class InvalidIndex:
    schema: str
    name: str
    tag: str | None  # the not-applied migration whose CREATE INDEX CONCURRENTLY names it
    file: str | None

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def message(self) -> str:
        origin = f"left by {self.tag} (its CREATE INDEX CONCURRENTLY failed)" if self.tag else "made by no migration"
        return f"index {self.qualified} is INVALID: {origin}; queries do not use it, writes still maintain it"

    def finding(self) -> Finding:
        return Finding("invalid-index", ERROR, (self.file or self.qualified,), self.message(), FIX)

    def as_json(self) -> dict[str, str | None]:
        return {"index": self.qualified, "migration": self.tag, "file": self.file}


def _index_owners(folder: Folder, report: StatusReport) -> dict[str, tuple[str, str]]:
    """Index name -> (tag, file) for every CREATE INDEX CONCURRENTLY of a migration not applied yet."""
    from gtsd_tui.core.migrations.hashing import drizzle_text, split_chunks
    from gtsd_tui.core.sql.stmt_split import concurrent_index

    out: dict[str, tuple[str, str]] = {}
    for item in report.items:
        m = item.migration
        if item.state == APPLIED or not m.file:
            continue
        try:
            text = drizzle_text(folder.read_bytes(m))
        except OSError:
            continue
        if "concurrently" not in text.lower():
            continue
        for chunk in split_chunks(text):
            found = concurrent_index(chunk.text) if not chunk.is_blank else None
            if found:
                out[found[1]] = (m.tag, m.file)
    return out


def invalid_indexes(
    project: Project, folder: Folder, report: StatusReport, found: list[tuple[str, str]] | None = None
) -> list[InvalidIndex]:
    """Read-only: the INVALID indexes of the database (``found``: already read, as (schema, name)), each
    matched to the migration that left it."""
    if found is None:
        from gtsd_tui.db.probe import invalid_indexes as read

        with project.connect() as conn:
            found = read(conn)
    if not found:
        return []
    owners = _index_owners(folder, report)
    out = []
    for schema, name in found:
        tag, file = owners.get(name, (None, None))
        out.append(InvalidIndex(schema, name, tag, file))
    return out
