"""What lint remembers while it reads one file: tables it created, column types it saw, constraints
added NOT VALID or proven, transaction depth, CONCURRENTLY statements, timeouts set."""

from __future__ import annotations

from gtsd_tui.core.lint.config import Settings
from gtsd_tui.core.lint.tree import RangeVar
from gtsd_tui.core.record import Record

TableKey = tuple[str, str]  # (schema, name); an unqualified name is taken as public (the usual search_path)


def table_key(rv: RangeVar | None) -> TableKey:
    if rv is None:
        return ("", "")
    return (rv.schemaname or "public", rv.relname)


class FileState(Record):
    _fields = (
        "settings",
        "count",
        "new_tables",
        "new_types",
        "column_types",
        "not_valid",
        "not_null_checks",
        "proven_not_null",
        "concurrent_at",
        "cic_in_tx",
        "tx_open",
        "ended",
        "begin_at",
        "dropped_constraints",
        "lock_timeout",
        "statement_timeout",
        "timeout_reported",
    )

    settings: Settings
    count: int
    new_tables: set[TableKey]
    new_types: set[TableKey]  # enums created in this file
    column_types: dict[tuple[TableKey, str], str]  # "varchar:20", "text", ...
    not_valid: set[tuple[TableKey, str]]  # constraints added NOT VALID
    not_null_checks: dict[tuple[TableKey, str], str]  # CHECK name -> column
    proven_not_null: set[tuple[TableKey, str]]  # validated CHECK (col IS NOT NULL)
    concurrent_at: list[int]
    cic_in_tx: list[int]  # CONCURRENTLY keywords of CREATE INDEX run in a transaction
    # An explicit BEGIN opens a transaction, COMMIT/ROLLBACK ends it (PostgreSQL does not nest them: a
    # second BEGIN only warns). ``ended``: a COMMIT ended the transaction the migrator had opened.
    tx_open: bool
    ended: bool
    begin_at: int
    dropped_constraints: dict[str, bool]  # name -> added again since (squawk)
    lock_timeout: bool
    statement_timeout: bool
    timeout_reported: bool

    def __init__(
        self,
        settings: Settings,
        count: int = 0,
        new_tables: set[TableKey] | None = None,
        new_types: set[TableKey] | None = None,
        column_types: dict[tuple[TableKey, str], str] | None = None,
        not_valid: set[tuple[TableKey, str]] | None = None,
        not_null_checks: dict[tuple[TableKey, str], str] | None = None,
        proven_not_null: set[tuple[TableKey, str]] | None = None,
        concurrent_at: list[int] | None = None,
        cic_in_tx: list[int] | None = None,
        tx_open: bool = False,
        ended: bool = False,
        begin_at: int = -1,
        dropped_constraints: dict[str, bool] | None = None,
        lock_timeout: bool = False,
        statement_timeout: bool = False,
        timeout_reported: bool = False,
    ) -> None:
        self.settings = settings
        self.count = count
        self.new_tables = set() if new_tables is None else new_tables
        self.new_types = set() if new_types is None else new_types
        self.column_types = {} if column_types is None else column_types
        self.not_valid = set() if not_valid is None else not_valid
        self.not_null_checks = {} if not_null_checks is None else not_null_checks
        self.proven_not_null = set() if proven_not_null is None else proven_not_null
        self.concurrent_at = [] if concurrent_at is None else concurrent_at
        self.cic_in_tx = [] if cic_in_tx is None else cic_in_tx
        self.tx_open = tx_open
        self.ended = ended
        self.begin_at = begin_at
        self.dropped_constraints = {} if dropped_constraints is None else dropped_constraints
        self.lock_timeout = lock_timeout
        self.statement_timeout = statement_timeout
        self.timeout_reported = timeout_reported

    @property
    def in_transaction(self) -> bool:
        """Does the current statement run in a transaction: an explicit BEGIN, else the migrator's
        (assumed, or drizzle's) until a COMMIT ends it."""
        return self.tx_open or (self.settings.in_transaction and not self.ended)

    def existing(self, key: TableKey) -> bool:
        """A table the file did not create (it may have rows and readers)."""
        return key not in self.new_tables
