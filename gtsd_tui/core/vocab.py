"""The project's words, defined once: each a ``StrEnum``, so a member is its own string in JSON, text and
f-strings (output does not change) while mypy checks every place that takes one.

Compare members with ``is`` (``folder.layout == Layout.V1``), never with a bare string.
"""

from __future__ import annotations

from enum import StrEnum


class Layout(StrEnum):
    """A migrations folder's shape: drizzle-kit 0.x (``NNNN_tag.sql`` + ``meta/_journal.json``) or 1.0
    (a folder per migration, ``<YYYYMMDDHHMMSS>_<name>/migration.sql`` + ``snapshot.json``)."""

    V0 = "v0"
    V1 = "v1"


class TxMode(StrEnum):
    """How ``migrate`` wraps migrations in transactions (``--tx``)."""

    PER_FILE = "per-file"  # each migration commits with its row (drizzle-orm's default)
    ALL = "all"  # one transaction for the batch


class PgBouncerMode(StrEnum):
    """``--pgbouncer``: whether the migration lock must be transaction-scoped (a transaction pooler)."""

    AUTO = "auto"  # detect it
    YES = "yes"
    NO = "no"


class MigrationState(StrEnum):
    """A migration of the folder against the database's rows."""

    APPLIED = "applied"
    MODIFIED = "modified"  # applied, and the file changed since (hash differs)
    PENDING = "pending"
    OUT_OF_ORDER = "out-of-order"  # pending, but drizzle-orm would skip it (when <= newest created_at)
    MISSING_FILE = "missing-file"  # in the journal, no file
    NOT_IN_JOURNAL = "not-in-journal"  # a file the journal does not list


class Severity(StrEnum):
    """Of a ``check`` or ``lint`` finding: an error fails the command (exit 1), a warning does not."""

    ERROR = "error"
    WARNING = "warning"


class Busy(StrEnum):
    """What the console is running now, which keys wait for (shown in the header)."""

    IDLE = ""
    APPLYING = "applying"
    APPLYING_TO = "applying to"  # an environment of the Environments view, named after it
    RESETTING = "resetting"
    BACKING_UP = "backing up"
    REHEARSING = "rehearsing"  # Review's rehearsal: the console's own sessions to the target stay away
