"""The project's words, defined once: each a ``StrEnum``, so a member is its own string in JSON, text and
f-strings (output does not change) while mypy checks every place that takes one.

The words every layer uses are here; a word of one subject is beside it (``MigrationState`` in
``core/migrations/status.py``; ``TxMode`` and ``PgBouncerMode``, migrate's options, in
``core/migrations/modes.py``; ``Busy``, the console's, in ``tui/busy.py``), so the commands git hooks
start do not build them (docs/startup.md).

Compare with a member by value (``folder.layout == Layout.V1``), never with a bare string, nor with ``is``
(a JSON decode or a cache hands back the plain string).
"""

from __future__ import annotations

from enum import StrEnum


class Layout(StrEnum):
    """A migrations folder's shape: drizzle-kit 0.x (``NNNN_tag.sql`` + ``meta/_journal.json``) or 1.0
    (a folder per migration, ``<YYYYMMDDHHMMSS>_<name>/migration.sql`` + ``snapshot.json``)."""

    V0 = "v0"
    V1 = "v1"


class Severity(StrEnum):
    """Of a ``check`` or ``lint`` finding: an error fails the command (exit 1), a warning does not."""

    ERROR = "error"
    WARNING = "warning"
