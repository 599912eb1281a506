"""The rehearsal's copy: made (and its schema read) beside the rest of the work, dropped always.

Split from :mod:`gtsd_tui.services.rehearse`, which runs these in its thread pool.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from gtsd_tui.services.project import Project

if TYPE_CHECKING:
    from gtsd_tui.db.catalog import Catalog
    from gtsd_tui.db.clone import Clone


def read_schema(url: str, skip: str) -> Catalog:
    from gtsd_tui.db.catalog import read_catalog
    from gtsd_tui.db.connect import connect

    with connect(url) as conn:
        return read_catalog(conn, skip_table=skip)


def copy_and_read(project: Project, url: str, skip: str, asked: Any) -> tuple[Clone, Catalog | None]:
    """The copy, and for a schema-only copy its schema before the migrations (the copy dropped again if
    the read fails); ``asked`` is set once the server has been asked for the copy (or this failed)."""
    from gtsd_tui.db.catalog import read_catalog
    from gtsd_tui.db.clone import TEMPLATE, drop_clone, make_clone
    from gtsd_tui.db.connect import connect

    s = project.settings
    try:
        clone = make_clone(
            url, s.schema, s.table, lambda: _embedded_admin(project), lambda: _pg_dump(url), started=asked.set
        )
    finally:
        asked.set()
    if clone.method == TEMPLATE:  # a byte copy of the target: its schema is the one read from the target
        return clone, None
    try:
        with connect(clone.url) as conn:
            return clone, read_catalog(conn, skip_table=skip)
    except BaseException:
        drop_clone(clone)
        raise


def read_and_drop(clone: Clone, skip: str, after: Catalog | None) -> Catalog:
    from gtsd_tui.db.catalog import read_catalog
    from gtsd_tui.db.clone import drop_clone
    from gtsd_tui.db.connect import connect

    try:
        if after is not None:
            return after
        with connect(clone.url) as conn:
            return read_catalog(conn, skip_table=skip)
    finally:
        drop_clone(clone)


def drop_once_made(making: Future[tuple[Clone, Catalog | None]]) -> None:
    """Drop the copy being made (the caller failed meanwhile); its own failure is the caller's to tell."""
    from gtsd_tui.db.clone import drop_clone

    try:
        clone, _ = making.result()
    except Exception:
        return
    drop_clone(clone)


def _embedded_admin(project: Project) -> str:
    from gtsd_tui.db.embedded import ensure_server

    base = project.settings.cwd / ".gtsd"
    server = ensure_server(base)
    project.notify(f"rehearsal copy on the embedded PostgreSQL in {base}")
    return server.url("postgres")


def _pg_dump(url: str) -> str:
    """pg_dump of the target's major when it is older than ours (its dump must restore there), else ours."""
    import shutil

    from gtsd_tui.db.pg_binaries import client_bindir

    bindir = client_bindir(url)
    if bindir and (bindir / "pg_dump").exists():
        return str(bindir / "pg_dump")
    return shutil.which("pg_dump") or "pg_dump"
