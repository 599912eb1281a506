"""The rehearsal's copy: made (and its schema read) beside the rest of the work, dropped always.

Split from :mod:`gtsd_tui.services.rehearse`, which runs these in its thread pool.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # nothing heavy at import: start_early_copy runs before the rest of the command loads
    from concurrent.futures import Future

    from gtsd_tui.config import Settings
    from gtsd_tui.db.catalog import Catalog
    from gtsd_tui.db.clone import Clone
    from gtsd_tui.db.early_copy import EarlyCopy
    from gtsd_tui.services.project import Project


def start_early_copy(settings: Settings) -> EarlyCopy | None:
    """The template copy asked for before psycopg is imported (:mod:`gtsd_tui.db.early_copy`), for a
    command that is about to rehearse: when the URL is configured (not the embedded default) and names
    a local server. None otherwise, or with ``GTSD_EARLY_COPY=0``: the rehearsal then copies as usual.
    Whatever it gives, :func:`finish_early_copy` must follow the rehearsal."""
    from gtsd_tui.config import is_local_host, parse_target

    url = settings.database_url
    if not url or settings.env.get("GTSD_EARLY_COPY", os.environ.get("GTSD_EARLY_COPY")) == "0":
        return None
    try:
        target = parse_target(url)
    except Exception:  # malformed: the rehearsal says so, exit 2
        return None
    if not is_local_host(target.host):
        return None
    from gtsd_tui.db.early_copy import start

    return start(url, target.dbname)


def finish_early_copy(early: EarlyCopy | None) -> None:
    """Drop the early copy unless the rehearsal took it (nothing pending, a refusal, an error, Ctrl-C)."""
    if early is None or early.taken:
        return
    interrupted = False
    while True:  # Ctrl-C while the server still copies: the copy is waited for and dropped all the same
        try:
            made = early.made()
            break
        except KeyboardInterrupt:
            interrupted = True
    early.taken = True
    if made:
        from gtsd_tui.db.clone import adopt_template_copy, drop_clone

        drop_clone(adopt_template_copy(early.url, early.name, None))
    if interrupted:
        raise KeyboardInterrupt


def read_schema(url: str, skip: str) -> Catalog:
    from gtsd_tui.db.catalog import read_catalog
    from gtsd_tui.db.connect import connect

    with connect(url) as conn:
        return read_catalog(conn, skip_table=skip)


def open_admin(url: str) -> Any:
    """The maintenance session the copy will be made on, opened while the plan is made."""
    from gtsd_tui.db.clone import open_admin

    return open_admin(url)


def close_quietly(*openings: Future[Any] | None) -> None:
    """Close the sessions opened for a copy that is not made or not run on (their failures told by nobody)."""
    for opening in openings:
        try:
            conn = opening.result() if opening is not None else None
            if conn is not None:
                conn.close()
        except Exception:
            continue


def copy_then_read(
    project: Project,
    url: str,
    skip: str,
    asked: Any,
    made: Future[Clone],
    opening: Future[Any],
    early: EarlyCopy | None = None,
) -> Catalog:
    """Make the copy (``made`` gets it, or the failure; ``asked`` is set once the server has been asked
    for it), then return its schema before the migrations.

    A template copy is a byte copy of the target, and once CREATE DATABASE is over the target may be
    read again: its schema is read there right away, while the migrations run on the copy (off the path
    the user waits on; the window for someone to change the target in between is the connection's
    time, as it was between a read made before the copy and the copy). A schema-only copy is read on
    itself before ``made`` is told, so before anything runs on it (dropped again if that read fails).
    ``early``: a copy asked for at the command's start; taken over when it was made of this target.
    """
    from gtsd_tui.db.catalog import read_catalog
    from gtsd_tui.db.clone import TEMPLATE, drop_clone, make_clone
    from gtsd_tui.db.connect import connect

    s = project.settings
    try:
        session = opening.result()  # its failure (the maintenance database refused us) is the copy's
        clone = _taken_over(url, early, session) or make_clone(
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


def _taken_over(url: str, early: EarlyCopy | None, session: Any) -> Clone | None:
    from gtsd_tui.db.admin import dbname_of
    from gtsd_tui.db.clone import adopt_template_copy

    if early is None or early.url != url or not early.made() or early.target != dbname_of(url):
        return None  # not made, or not of this database as libpq names it: finish_early_copy drops it
    early.taken = True
    return adopt_template_copy(url, early.name, session)


def open_run_session(url: str, early: EarlyCopy | None) -> Any:
    """The session the migrations will run on, opened on an early copy as soon as the server has made it
    (while the plan is still made on the target) and warmed with the probes' preparation: a new
    session on a new database starts with cold caches, 25-60 ms before the first migration could go.
    None when there is no such copy of ``url``'s database (the run opens its own session then), or
    opening failed (the run opens its own and tells why)."""
    if early is None or early.url != url or not early.made():
        return None
    from gtsd_tui.db.admin import dbname_of
    from gtsd_tui.db.clone import copy_url

    if early.target != dbname_of(url):
        return None
    return _warm_session(copy_url(url, early.name))


def open_run_session_on(made: Future[Clone]) -> Any:
    """:func:`open_run_session` for a copy made by the rehearsal itself: opened once ``made`` has it, while
    the rest of the rehearsal gets ready to run (None when the copy failed: the rehearsal says why)."""
    try:
        clone = made.result()
    except BaseException:
        return None
    return _warm_session(clone.url)


def _warm_session(url: str) -> Any:
    from gtsd_tui.db.probe import prepare_probe
    from gtsd_tui.db.runner import open_session

    try:
        conn = open_session(url)
    except Exception:
        return None
    try:
        prepare_probe(conn)
    except Exception:
        conn.close()
        return None
    return conn


def take_run_session(opening: Future[Any] | None, clone: Clone) -> Any:
    """The session :func:`open_run_session` opened, when it is on ``clone`` (else closed: None)."""
    if opening is None:
        return None
    try:
        conn = opening.result()
    except Exception:
        return None
    if conn is None or conn.info.dbname == clone.name:
        return conn
    conn.close()
    return None


def read_schema_after(clone: Clone, skip: str, after: Catalog | None) -> Catalog:
    """The copy's schema after the run: ``after`` when the run's session read it, else read on the copy
    (the copy is dropped once this is over)."""
    if after is not None:
        return after
    return read_schema(clone.url, skip)


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
