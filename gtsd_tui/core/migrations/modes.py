"""Migrate's options as words (``--tx``, ``--pgbouncer``): ``StrEnum``s, as the project's others
(``core/vocab.py``)."""

from __future__ import annotations

from enum import StrEnum


class TxMode(StrEnum):
    """How ``migrate`` wraps migrations in transactions (``--tx``)."""

    PER_FILE = "per-file"  # each migration commits with its row (drizzle-orm's default)
    ALL = "all"  # one transaction for the batch


class PgBouncerMode(StrEnum):
    """``--pgbouncer``: whether the migration lock must be transaction-scoped (a transaction pooler)."""

    AUTO = "auto"  # detect it
    YES = "yes"
    NO = "no"
