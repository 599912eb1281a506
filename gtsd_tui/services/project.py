"""A project: settings, the resolved database URL (embedded if none), the folder and its status."""

from __future__ import annotations

from pathlib import Path

from gtsd_tui.config import Settings, mask_url, missing_folder_message
from gtsd_tui.core.record import Record
from gtsd_tui.errors import DatabaseError, GtsdError, InputError
from gtsd_tui.services.notify import stderr_notify

TYPE_CHECKING = False  # (typing is not imported at start-up)
if TYPE_CHECKING:  # loaded when used: `lint FILES` starts without the folder and status modules
    from collections.abc import Callable
    from typing import Any

    from gtsd_tui.core.migrations.folder import Folder
    from gtsd_tui.core.migrations.status import HistoryRow, StatusReport
    from gtsd_tui.services.notify import Notify


class Project(Record):
    _fields = ("settings", "url", "embedded", "notify", "_folder", "db_error", "early_copy", "early_status")
    _no_repr = ("_folder", "db_error", "early_copy", "early_status")

    settings: Settings
    url: str | None
    embedded: bool
    notify: Notify
    _folder: Folder | None
    db_error: GtsdError | None  # why the last try_rows read nothing
    early_copy: Any  # a rehearsal's copy asked for at start (rehearse_copy)
    early_status: Any  # status's database side, read since start (status_read)

    def __init__(
        self,
        settings: Settings,
        url: str | None = None,
        embedded: bool = False,
        notify: Notify = stderr_notify,
        _folder: Folder | None = None,
        db_error: GtsdError | None = None,
        early_copy: Any = None,
        early_status: Any = None,
    ) -> None:
        self.settings = settings
        self.url = url
        self.embedded = embedded
        self.notify = notify
        self._folder = _folder
        self.db_error = db_error
        self.early_copy = early_copy
        self.early_status = early_status

    @property
    def masked_url(self) -> str:
        """The URL in use, masked; before it is resolved, the configured one (masked); with none
        configured, the embedded server's (not started yet)."""
        url = self.url or self.settings.database_url
        return mask_url(url) if url else "(embedded, not started)"

    @property
    def folder_path(self) -> Path:
        return self.settings.migrations_dir

    def resolve_url(self, parse: Callable[[str, str], object] | None = None) -> str:
        """The database URL; starts (or reuses) the embedded server when none is configured. ``parse``:
        how a configured URL is checked (default psycopg's ``parse_conninfo``; reset passes
        ``local_guard.parse_url``, which spares it the import of psycopg)."""
        if self.url:
            return self.url
        if self.settings.database_url:
            if parse is None:
                from gtsd_tui.db.connect import parse_conninfo

                parse = parse_conninfo
            parse(self.settings.database_url, self.url_source)  # malformed: exit 2, password masked
            self.url = self.settings.database_url
            return self.url
        from gtsd_tui.db.embedded import ensure_server

        base = self.settings.cwd / ".gtsd"
        server = ensure_server(base)
        self.url, self.embedded = server.url(), True
        verb = "started" if server.started else "reusing"
        if server.note:
            self.notify(server.note)
        self.notify(f"no DATABASE_URL configured: {verb} embedded PostgreSQL in {base} ({self.url})")
        return self.url

    @property
    def url_source(self) -> str:
        """Where the configured URL comes from, as the user wrote it."""
        src = self.settings.database_source
        return {"flag": "--database-url", "environment": "DATABASE_URL"}.get(src, f"DATABASE_URL in {src}")

    def require_folder(self) -> None:
        """InputError (exit 2) naming what was tried when the migrations folder is not there."""
        if not self.folder_path.exists():
            raise InputError(missing_folder_message(self.settings))

    def load_folder(self, *, allow_empty: bool = False, refresh: bool = False) -> Folder:
        if self._folder is None or refresh:
            self.require_folder()
            from gtsd_tui.core.migrations.folder import load_folder
            from gtsd_tui.services.renumber_log import read_stable, recover

            recover(self.folder_path, self.notify)
            path = self.folder_path
            self._folder = read_stable(
                path, lambda: load_folder(path, side_reader=_index_sides, allow_empty=allow_empty), self.notify
            )
        return self._folder

    def outline(self) -> list[str] | None:
        """The folder's tags in run order without reading their SQL (``core...folder.outline``); None when
        another process is changing the folder, or anything needs ``load_folder`` to say why."""
        from gtsd_tui.core.migrations.folder import outline
        from gtsd_tui.services.renumber_log import read_if_stable

        path = self.folder_path
        return read_if_stable(path, lambda: outline(path)) if path.is_dir() else None

    def connect(self, **kwargs: Any) -> Any:
        from gtsd_tui.db.connect import connect

        return connect(self.resolve_url(), **kwargs)

    def read_rows(self) -> list[HistoryRow]:
        from gtsd_tui.db.history import read_rows

        with self.connect() as conn:
            return read_rows(conn, self.settings.schema, self.settings.table)

    def status(self, folder: Folder | None = None) -> StatusReport:
        from gtsd_tui.core.migrations.status import compute_status

        folder = folder or self.load_folder()
        return compute_status(folder, self.read_rows())

    def try_rows(self, *, start_embedded: bool = True) -> tuple[list[HistoryRow] | None, str | None]:
        """Rows, or None and the reason when the database cannot be read (offline-first commands).

        Without ``start_embedded``, an embedded server is used only if it is already running.
        """
        if not start_embedded and not self.url and not self.settings.database_url:
            from gtsd_tui.db.embedded import running_url

            self.url = running_url(self.settings.cwd / ".gtsd")
            if self.url is None:
                return None, "no database configured (embedded server not running)"
            self.embedded = True
        try:
            return self.read_rows(), None
        except (DatabaseError, GtsdError) as exc:
            self.db_error = exc
            return None, str(exc)

    def database_json(self, connected: bool, error: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "url": self.masked_url,
            "connected": connected,
            "table": self.settings.table_label,
            "embedded": self.embedded,
        }
        if error:
            out["error"] = error
        return out


def _index_sides(path: Path) -> tuple[bytes, bytes] | None:
    """``gitutil.index_sides``, its module loaded when a conflicted file asks (a clean folder never does)."""
    from gtsd_tui.services.gitutil import index_sides

    return index_sides(path)
