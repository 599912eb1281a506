"""``status``'s database side, read by a forked child while the parent reads the folder.

In one process, ``status`` imported psycopg (about 0.15 s of CPU), connected and read the tracking
table, then connected twice more (the INVALID indexes, the drift fingerprint), each after the
folder was read: one after the other. Forked before the folder is read (``services/prefetch.py``,
as the console's first refresh), the child imports psycopg, connects once and sends back the rows,
the INVALID indexes and the catalog's fingerprint; the parent reads the folder meanwhile and never
imports psycopg when the fingerprint matches a clean comparison it recorded.

Only with a configured URL (without one, the embedded server may have to be started: in-process,
as before), where ``os.fork`` exists and no other thread runs. An error the child meets that the
user acts on (a refused connection, a bad URL, a table that cannot be read) comes back as its
message and exit code and is raised again in the parent, word for word; anything else (the child
killed, a payload that does not unpickle, an unexpected exception) and the parent reads
in-process, as before, and meets the same error itself. ``GTSD_NO_FORK=1`` turns the child off.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from gtsd_tui.config import Settings
from gtsd_tui.core.migrations.status import HistoryRow
from gtsd_tui.errors import DatabaseError, GtsdError, InputError, LockTimeout
from gtsd_tui.services.prefetch import ChildRead
from gtsd_tui.services.project import Project

_ERRORS: dict[str, type[GtsdError]] = {c.__name__: c for c in (GtsdError, InputError, DatabaseError, LockTimeout)}


@dataclass(frozen=True)
class DbSide:
    """What status reads from the database: the tracking rows, the INVALID indexes (schema, name),
    the drift fingerprint (None: not taken, or it failed: the drift flag connects itself)."""

    url: str
    rows: list[HistoryRow] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)
    fingerprint: str | None = None
    error: tuple[str, str, int] | None = None  # (class name, message, exit code) of a GtsdError

    def raise_error(self) -> None:
        if self.error is not None:
            kind, message, code = self.error
            raise _ERRORS.get(kind, GtsdError)(message, exit_code=code)


def read_db_side(project: Project) -> DbSide:
    """One connection: the rows, then the INVALID indexes, then the fingerprint (when a row exists).
    Through the bundled libpq when it can (:func:`read_lite`), else over psycopg."""
    side = read_lite(project)
    if side is not None:
        return side
    from gtsd_tui.db.drift_catalog import fingerprint
    from gtsd_tui.db.history import read_rows
    from gtsd_tui.db.probe import invalid_indexes

    settings = project.settings
    try:
        url = project.resolve_url()
        with project.connect() as conn:
            rows = read_rows(conn, settings.schema, settings.table)
            invalid = invalid_indexes(conn)
            fp: str | None = None
            if rows:
                try:
                    fp = fingerprint(conn, settings.schema, settings.table)
                except Exception:  # noqa: BLE001 - the drift flag connects again and words the failure
                    fp = None
    except GtsdError as exc:
        return DbSide(project.url or "", error=(type(exc).__name__, str(exc), exc.exit_code))
    return DbSide(url, rows, invalid, fp)


def read_lite(project: Project) -> DbSide | None:
    """The same read without importing psycopg (``db/status_lite.py``): a configured URL only (none
    may mean starting the embedded server), and None at the least doubt (the psycopg read then runs
    and meets the error itself, in today's words). The URL is not parsed first: libpq connected with
    it, so psycopg's parse of it (``resolve_url``) passes too."""
    url = project.url or project.settings.database_url
    if not url:
        return None
    from gtsd_tui.db.libpq_lite import Unreached
    from gtsd_tui.db.status_lite import read_status

    got = read_status(url, project.settings.schema, project.settings.table)
    if got is None:
        return None
    if isinstance(got, Unreached):  # final: psycopg would wait for the same host again, and say the same
        from gtsd_tui.db.conn_words import describe_error

        exc = DatabaseError(describe_error(url, Exception(got.text)))
        return DbSide(url, error=(type(exc).__name__, str(exc), exc.exit_code))
    project.url = url
    return DbSide(url, *got)


def _is_side(got: object) -> bool:
    return isinstance(got, DbSide)


@dataclass
class EarlyRead:
    """A child started by the command line before ``status``'s modules loaded, and the settings it
    read with (status takes it only when its own settings are these)."""

    settings: Settings
    child: ChildRead[DbSide]

    def close(self) -> None:
        self.child.close()


def _forkable(settings: Settings) -> bool:
    return bool(settings.database_url) and not os.environ.get("GTSD_NO_FORK")


def start_early(settings: Settings) -> EarlyRead | None:
    """The database side of a project of these settings, read by a forked child from now on."""
    if not _forkable(settings):
        return None
    from gtsd_tui.services.prefetch import fork_read

    child = fork_read(None, lambda: read_db_side(Project(settings)), accept=_is_side)
    return EarlyRead(settings, child) if child is not None else None


def start(project: Project) -> ChildRead[DbSide] | None:
    """The database side read in a forked child (the one the command line started, when it read with
    the same settings); None when it is read in-process (no configured URL, no fork, other threads,
    ``GTSD_NO_FORK``)."""
    early, project.early_status = project.early_status, None
    if isinstance(early, EarlyRead):
        if early.settings == project.settings and not project.url:
            return early.child
        early.close()
    if not _forkable(project.settings) or project.url:
        return None
    from gtsd_tui.services.prefetch import fork_read

    return fork_read(None, lambda: read_db_side(project), accept=_is_side)


def take(project: Project, child: ChildRead[DbSide] | None) -> DbSide | None:
    """The child's read (its error raised here), or None: the caller reads in-process."""
    if child is None:
        return None
    side = child.take()
    if side is None:
        return None
    side.raise_error()
    project.url = side.url  # what resolve_url set in the child (the URL parsed, so valid)
    return side
