"""Prefixes of a folder's migrations: their fingerprints (the same as ``reset``'s for the whole
folder) and whether a database's tracking rows are a prefix of the folder."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from gtsd_tui.core.migrations.folder import Migration
from gtsd_tui.core.migrations.status import HistoryRow


def prefix_fingerprints(schema: str, table: str, migrations: Sequence[Migration]) -> list[str]:
    """Entry ``k``: the fingerprint of the first ``k`` migrations (``k`` = 0 .. len). The last one is
    exactly what ``reset`` labels its template with (``services/reset.py`` ``fingerprint``): the
    tracking table, then each migration's tag, journal ``when`` and drizzle hash, in order."""
    h = hashlib.sha256(f"{schema}.{table}".encode())
    out = [h.hexdigest()[:32]]
    for m in migrations:
        h.update(f"{m.tag}:{m.when}:{m.hash}\n".encode())
        out.append(h.hexdigest()[:32])
    return out


def applied_prefix(rows: Sequence[HistoryRow], migrations: Sequence[Migration]) -> int | None:
    """How many of ``migrations`` the rows hold when they are exactly a prefix of them (row ``i`` has
    migration ``i``'s hash and, where both are known, its ``when`` as ``created_at``); None when a row
    is not explained by the migration at its place (an edited file, another branch's migration, a
    migration the folder does not have)."""
    if len(rows) > len(migrations):
        return None
    for row, m in zip(rows, migrations, strict=False):
        if m.hash is None or row.hash != m.hash:
            return None
        if row.created_at is not None and m.when is not None and row.created_at != m.when:
            return None
    return len(rows)


def index_of(tag: str, migrations: Sequence[Migration]) -> int | None:
    """1-based count of migrations up to and including ``tag`` (None: not in the folder)."""
    for i, m in enumerate(migrations):
        if m.tag == tag:
            return i + 1
    return None
