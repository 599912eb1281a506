"""What lint remembers while it reads one file: tables it created, column types it saw, constraints
added NOT VALID or proven, transaction depth, CONCURRENTLY statements, timeouts set."""

from __future__ import annotations

from dataclasses import dataclass, field

from gtsd_tui.core.lint.config import Settings
from gtsd_tui.core.lint.tree import RangeVar

TableKey = tuple[str, str]  # (schema, name); an unqualified name is taken as public (the usual search_path)


def table_key(rv: RangeVar | None) -> TableKey:
    if rv is None:
        return ("", "")
    return (rv.schemaname or "public", rv.relname)


@dataclass
class FileState:
    settings: Settings
    count: int = 0
    new_tables: set[TableKey] = field(default_factory=set)
    new_types: set[TableKey] = field(default_factory=set)  # enums created in this file
    column_types: dict[tuple[TableKey, str], str] = field(default_factory=dict)  # "varchar:20", "text", ...
    not_valid: set[tuple[TableKey, str]] = field(default_factory=set)  # constraints added NOT VALID
    not_null_checks: dict[tuple[TableKey, str], str] = field(default_factory=dict)  # CHECK name -> column
    proven_not_null: set[tuple[TableKey, str]] = field(default_factory=set)  # validated CHECK (col IS NOT NULL)
    concurrent_at: list[int] = field(default_factory=list)
    cic_in_tx: list[int] = field(default_factory=list)  # CONCURRENTLY keywords of CREATE INDEX run in a transaction
    # An explicit BEGIN opens a transaction, COMMIT/ROLLBACK ends it (PostgreSQL does not nest them: a
    # second BEGIN only warns). ``ended``: a COMMIT ended the transaction the migrator had opened.
    tx_open: bool = False
    ended: bool = False
    begin_at: int = -1
    dropped_constraints: dict[str, bool] = field(default_factory=dict)  # name -> added again since (squawk)
    lock_timeout: bool = False
    statement_timeout: bool = False
    timeout_reported: bool = False

    @property
    def in_transaction(self) -> bool:
        """Does the current statement run in a transaction: an explicit BEGIN, else the migrator's
        (assumed, or drizzle's) until a COMMIT ends it."""
        return self.tx_open or (self.settings.in_transaction and not self.ended)

    def existing(self, key: TableKey) -> bool:
        """A table the file did not create (it may have rows and readers)."""
        return key not in self.new_tables
