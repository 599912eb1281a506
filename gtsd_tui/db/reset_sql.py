"""The names and labels of a reset's databases (template, spare, next, trash) and its lock key: shared by
:mod:`gtsd_tui.db.admin` (psycopg) and :mod:`gtsd_tui.db.quick_reset` (libpq before psycopg is
imported), so both find and name the same databases."""

from __future__ import annotations

import hashlib
import os
import re
import time

from gtsd_tui.core.dbnames import derived_name, derived_prefix

TEMPLATE_SUFFIX = "__gtsd_template"
COMMENT_PREFIX = "gtsd-tui template "
SPARE_SUFFIX = "__gtsd_spare"
NEXT_SUFFIX = "__gtsd_next"  # a prepared copy on its way into the target's name
TRASH_SUFFIX = "__gtsd_trash_"  # + 16 hex: milliseconds (12) and a random tag (4); newest sorts last
SPARE_PREFIX = "gtsd-tui spare "
BRANCH_LABEL = "gtsd-tui branch "  # + JSON: the branch a database belongs to (db/branches.py); a reset keeps it
_TRASH_ID = re.compile(r"[0-9a-f]{16}\Z")


def template_name(name: str) -> str:
    return derived_name(name, TEMPLATE_SUFFIX)


def spare_name(name: str) -> str:
    return derived_name(name, SPARE_SUFFIX)


def next_name(name: str) -> str:
    return derived_name(name, NEXT_SUFFIX)


def trash_name(name: str) -> str:
    tag = f"{int(time.time() * 1000):012x}{int.from_bytes(os.urandom(2), 'big'):04x}"
    return derived_name(name, TRASH_SUFFIX + tag)


def reset_lock_key(name: str) -> int:
    """The advisory lock (taken in the maintenance database) that serialises resets of ``name`` and the
    background job preparing its spare."""
    digest = hashlib.sha256(f"gtsd-tui reset:{name}".encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _trash_prefix(name: str) -> str:
    return derived_prefix(name, len(TRASH_SUFFIX) + 16) + TRASH_SUFFIX


def like_prefix(prefix: str) -> str:
    """The ``LIKE`` pattern of every name starting with ``prefix`` (its ``\\``, ``_`` and ``%`` escaped)."""
    return prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "%"


def trash_like(name: str) -> str:
    """The ``LIKE`` pattern every trash database of ``name`` matches (filter with :func:`trash_among`)."""
    return like_prefix(_trash_prefix(name))


def trash_among(name: str, datnames: list[str]) -> list[str]:
    """The trash databases of ``name`` among ``datnames`` (rows of :func:`trash_like`), oldest first."""
    prefix = _trash_prefix(name)
    found = [n for n in datnames if _TRASH_ID.match(n[len(prefix) :])]
    return sorted(found, key=lambda n: n[len(prefix) :])
