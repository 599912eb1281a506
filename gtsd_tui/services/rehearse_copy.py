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


def open_admin(url: str) -> Any:
    """The maintenance session the copy will be made on, opened while the plan is made."""
    from gtsd_tui.db.clone import open_admin

    return open_admin(url)


def close_quietly(opening: Future[Any]) -> None:
    """Close the maintenance session opened for a copy that is not made (its failure told by nobody)."""
    try:
        opening.result().close()
    except Exception:
        return


def copy_then_read(
    project: Project, url: str, skip: str, asked: Any, made: Future[Clone], opening: Future[Any]
) -> Catalog:
    """Make the copy (``made`` gets it, or the failure; ``asked`` is set once the server has been asked
    for it), then return its schema before the migrations.

    A template copy is a byte copy of the target, and once CREATE DATABASE is over the target may be
    read again: its schema is read there right away, while the migrations run on the copy (off the path
    the user waits on; the window for someone to change the target in between is the connection's
    time, as it was between a read made before the copy and the copy). A schema-only copy is read on
    itself before ``made`` is told, so before anything runs on it (dropped again if that read fails).
    """
    from gtsd_tui.db.catalog import read_catalog
    from gtsd_tui.db.clone import TEMPLATE, drop_clone, make_clone
    from gtsd_tui.db.connect import connect

    s = project.settings
    try:
        session = opening.result()  # its failure (the maintenance database refused us) is the copy's
        clone = make_clone(
            url,
            s.schema,
            s.table,
            lambda: _embedded_admin(project),
            lambda: _pg_dump(url),
            started=asked.set,
            session=session,
        )
    except BaseException as exc:
        made.set_exception(exc)
        raise
    finally:
        asked.set()
    if clone.method == TEMPLATE:
        made.set_result(clone)
        return read_schema(url, skip)
    try:
        with connect(clone.url) as conn:
            before = read_catalog(conn, skip_table=skip)
    except BaseException as exc:
        drop_clone(clone)
        made.set_exception(exc)
        raise
    made.set_result(clone)
    return before


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


def drop_once_made(made: Future[Clone]) -> None:
    """Drop the copy being made (the caller failed meanwhile); its own failure is the caller's to tell."""
    from gtsd_tui.db.clone import drop_clone

    try:
        clone = made.result()
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
