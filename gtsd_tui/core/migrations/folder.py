"""The migrations folder as drizzle-orm and drizzle-kit see it, with nothing dropped silently.

v0 layout: ``NNNN_tag.sql`` + ``meta/_journal.json`` + ``meta/NNNN_snapshot.json``.
v1 layout: ``<YYYYMMDDHHMMSS>_<name>/migration.sql`` (+ ``snapshot.json``), no journal.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Callable
from pathlib import Path
from stat import S_ISLNK as stat_is_link
from stat import S_ISREG as stat_is_reg

from gtsd_tui.core.merging.merge_markers import marker_lines
from gtsd_tui.core.migrations.digest_cache import JOURNAL_KEY, DigestCache, HeadCache, is_snapshot_file, stat_key
from gtsd_tui.core.migrations.hashing import FileDigest, read_file
from gtsd_tui.core.migrations.journal import Journal, journal_from_rows, journal_rows, parse_journal
from gtsd_tui.core.migrations.snapshots import (
    Snapshot,
    cacheable_head,
    cached_snapshot,
    parse_snapshot,
    snapshot_prefix,
)
from gtsd_tui.core.record import FrozenRecord, Record
from gtsd_tui.core.vocab import Layout
from gtsd_tui.errors import InputError

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported at start-up)
    from typing import Any

# compiled on first use, through re's own cache: a hook's check of a v0 folder whose files are all in its
# journal matches neither, and does not load ``re`` (gtsd_tui/start.py)
MIGRATION_FILE = r"^(\d+)_(.+)\.sql$"
V1_DIR = r"^(\d{14})_(.+)$"
WORK_DIR = ".gtsd-renumber"  # renumber's intent log and temporary files (ignored here)

# Reads the two sides of a conflicted file from git's index (stages 2 and 3), when mid-merge.
SideReader = Callable[[Path], "tuple[bytes, bytes] | None"]


class Migration(FrozenRecord):
    _fields = ("tag", "file", "idx", "when", "in_journal", "position", "digest", "side")

    tag: str
    file: str | None  # path relative to the folder; None when the journal lists a missing file
    idx: int | None
    when: int | None
    in_journal: bool
    position: int  # order in which drizzle-orm would run it (journal order; then orphans)
    digest: FileDigest | None
    side: str | None  # "ours" / "theirs" for an entry of a conflicted journal

    def __init__(
        self,
        tag: str,
        file: str | None,
        idx: int | None,
        when: int | None,
        in_journal: bool,
        position: int,
        digest: FileDigest | None = None,
        side: str | None = None,
    ) -> None:
        self.tag = tag
        self.file = file
        self.idx = idx
        self.when = when
        self.in_journal = in_journal
        self.position = position
        self.digest = digest
        self.side = side

    @property
    def hash(self) -> str | None:
        return self.digest.hash if self.digest else None

    @property
    def prefix(self) -> str:
        return self.tag.split("_", 1)[0]

    @property
    def suffix(self) -> str:
        parts = self.tag.split("_", 1)
        return parts[1] if len(parts) > 1 else ""

    @property
    def number(self) -> int | None:
        return int(self.prefix) if self.prefix.isdigit() else None


class Folder(Record):
    _fields = (
        "path",
        "layout",
        "migrations",
        "journal",
        "loaded_snapshots",
        "other_files",
        "file_markers",
        "links_outside",
        "side_reader",
        "v1_dirs",
        "loaded_last",
    )
    _no_repr = ("side_reader", "loaded_last")

    path: Path
    layout: Layout
    migrations: list[Migration]
    journal: Journal | None
    loaded_snapshots: list[Snapshot] | None  # read on first use (status does not need them)
    other_files: list[str]  # .sql files that are not migrations
    file_markers: dict[str, list[int]]  # .sql files with git markers
    links_outside: dict[str, str]  # migration file -> real path outside the folder
    side_reader: SideReader | None
    v1_dirs: list[str]  # v1 migration folders next to a v0 journal
    loaded_last: dict[str, Any] | None  # last snapshot's body, once read

    def __init__(
        self,
        path: Path,
        layout: Layout,
        migrations: list[Migration],
        journal: Journal | None = None,
        loaded_snapshots: list[Snapshot] | None = None,
        other_files: list[str] | None = None,
        file_markers: dict[str, list[int]] | None = None,
        links_outside: dict[str, str] | None = None,
        side_reader: SideReader | None = None,
        v1_dirs: list[str] | None = None,
        loaded_last: dict[str, Any] | None = None,
    ) -> None:
        self.path = path
        self.layout = layout
        self.migrations = migrations
        self.journal = journal
        self.loaded_snapshots = loaded_snapshots
        self.other_files = [] if other_files is None else other_files
        self.file_markers = {} if file_markers is None else file_markers
        self.links_outside = {} if links_outside is None else links_outside
        self.side_reader = side_reader
        self.v1_dirs = [] if v1_dirs is None else v1_dirs
        self.loaded_last = loaded_last

    @property
    def snapshots(self) -> list[Snapshot]:
        if self.loaded_snapshots is None:
            self.loaded_snapshots = _load_snapshots(self.path, self.side_reader)
        return self.loaded_snapshots

    @property
    def journal_path(self) -> Path:
        return self.path / "meta" / "_journal.json"

    def file_path(self, migration: Migration) -> Path:
        if migration.file is None:
            raise InputError(f"{self.path / (migration.tag + '.sql')}: file missing")
        return self.path / migration.file

    def read_bytes(self, migration: Migration) -> bytes:
        return self.file_path(migration).read_bytes()

    def by_tag(self, tag: str) -> Migration | None:
        for m in self.migrations:
            if m.tag == tag:
                return m
        return None

    @property
    def journal_migrations(self) -> list[Migration]:
        return [m for m in self.migrations if m.in_journal]


def _read_text(path: Path | str) -> str:
    try:
        raw = read_file(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 at byte {exc.start}") from None


def _conflict_text(path: Path | str, side_reader: SideReader | None) -> str:
    """File text; mid-merge, rebuilt from git's index stages as a marker block."""
    text = _read_text(path)
    if side_reader is not None and "<<<<<<<" in text:
        sides = side_reader(Path(path))
        if sides is not None:
            ours, theirs = (s.decode("utf-8", "replace") for s in sides)
            return f"<<<<<<< ours\n{ours}\n=======\n{theirs}\n>>>>>>> theirs\n"
    return text


JOURNAL_MAX_BYTES = 8 * 1024 * 1024  # about 80,000 entries; a bigger journal is refused with its size


def load_folder(path: Path | str, *, side_reader: SideReader | None = None, allow_empty: bool = False) -> Folder:
    """Read a migrations folder. Raises InputError naming the path on anything unreadable (a symbolic
    link loop, a file that cannot be opened: its OS error, as the file's)."""
    try:
        return _load_folder(path, side_reader=side_reader, allow_empty=allow_empty)
    except OSError as exc:
        where = exc.filename if exc.filename is not None else path
        raise InputError(f"{where}: cannot read: {exc.strerror or exc}") from exc


_MISSING = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)  # what Path.exists() calls absent


def outline(path: Path | str) -> list[str] | None:
    """The folder's tags in the order drizzle-orm would run them, as ``load_folder`` lists them, without
    reading a migration's SQL (no digest, no snapshot): what the console's first frame shows while the
    rest is read. None where the folder needs more than a listing (git's markers in the journal) or
    cannot be read: ``load_folder`` then says why."""
    try:
        folder = _load_folder(path, side_reader=None, allow_empty=False, hashed=False)
    except (InputError, OSError):
        return None
    if folder.journal is not None and folder.journal.conflicted:
        return None
    return [m.tag for m in folder.migrations]


def _load_folder(path: Path | str, *, side_reader: SideReader | None, allow_empty: bool, hashed: bool = True) -> Folder:
    """``hashed=False``: the listing alone (``outline``): no digest, no marker scan, no snapshot."""
    root = Path(path)
    if not root.exists():
        raise InputError(f"{root}: migrations folder not found (use --migrations DIR)")
    if not root.is_dir():
        raise InputError(f"{root}: not a directory")
    with os.scandir(root) as it:
        dir_entries = {e.name: e for e in it}
    names = sorted(dir_entries)
    journal_path = root / "meta" / "_journal.json"
    try:
        journal_st: os.stat_result | None = os.stat(journal_path)
    except OSError as exc:
        if exc.errno not in _MISSING:
            raise
        journal_st = None
    v1_dirs = [n for n in names if dir_entries[n].is_dir() and (root / n / "migration.sql").is_file()]
    if journal_st is None and any(re.match(V1_DIR, n) for n in v1_dirs):
        return _load_v1(root, names, hashed=hashed)
    sql_names = [n for n in names if n.endswith(".sql") and not n.startswith(".") and dir_entries[n].is_file()]
    cache = DigestCache(str(root))
    journal: Journal | None = None
    if journal_st is not None:
        journal = _read_journal(journal_path, journal_st, cache, side_reader)
    elif not allow_empty:
        what = "no meta/_journal.json" + (f" ({len(sql_names)} .sql files without a journal)" if sql_names else "")
        raise InputError(f"{root}: {what}; not a Drizzle migrations folder (use --migrations DIR)")
    migrations, other = _migrations(root, journal, sql_names, cache if hashed else None)
    folder = Folder(root, Layout.V0, migrations, journal, other_files=other, side_reader=side_reader, v1_dirs=v1_dirs)
    if not hashed:
        return folder
    cache.save()
    folder.file_markers = _sql_markers(folder)
    linked = [m.file for m in migrations if m.file and dir_entries[m.file].is_symlink()]
    folder.links_outside = _outside(root, linked)
    return folder


def _read_journal(path: Path, st: os.stat_result, cache: DigestCache, side_reader: SideReader | None) -> Journal:
    """The journal; from the digest cache while its stat is unchanged (the same entries, not parsed)."""
    if st.st_size > JOURNAL_MAX_BYTES:
        raise InputError(f"{path}: {st.st_size:,} bytes, over the {JOURNAL_MAX_BYTES:,} a journal may have; not read")
    rows = cache.get(JOURNAL_KEY, stat_key(st)) if cache.enabled else None
    if rows is not None:
        try:
            return journal_from_rows(rows)
        except (ValueError, TypeError):  # not what this version stores: read the file
            pass
    text = _conflict_text(path, side_reader)
    journal = parse_journal(text, str(path))
    if journal.conflicted:  # report the markers where the user sees them, not in the rebuilt text
        journal.conflict_lines = marker_lines(_read_text(path)) or journal.conflict_lines
    elif cache.enabled and len(text.encode("utf-8")) == st.st_size:  # not rewritten since the stat
        learnt = journal_rows(journal)
        if learnt is not None:
            cache.put(JOURNAL_KEY, st, learnt)
    return journal


_NEW = object.__new__
_MIGRATION_FIELDS = ("tag", "file", "idx", "when", "in_journal", "position", "digest", "side")


def _migration(*values: object) -> Migration:
    """``Migration(*values)`` without the frozen dataclass's ``__init__`` (a third of its cost, on the
    hot loop of a 5,000-migration folder); equal to it, field for field."""
    m = _NEW(Migration)
    m.__dict__.update(zip(_MIGRATION_FIELDS, values, strict=True))
    return m


class _NoFd:
    """``with``: no folder descriptor (contextlib's ``nullcontext`` without importing contextlib)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NO_FD = _NoFd()


def _migrations(
    root: Path, journal: Journal | None, sql_names: list[str], cache: DigestCache | None
) -> tuple[list[Migration], list[str]]:
    """The journal's entries in order, then the SQL files it does not list (the others: not migrations).
    ``cache`` None: the listing alone, no digest (``outline``)."""
    sql_set = set(sql_names)
    migrations: list[Migration] = []
    listed: set[str] = set()
    base = str(root)
    with _NO_FD if cache is None else cache.folder_fd(base) as fd:
        for position, entry in enumerate(journal.entries if journal else []):
            fname = entry.tag + ".sql"
            listed.add(fname)
            if fname in sql_set:
                digest = cache.digest(fname, base, fd) if cache is not None else None
                migrations.append(
                    _migration(entry.tag, fname, entry.idx, entry.when, True, position, digest, entry.side)
                )
            else:
                migrations.append(_migration(entry.tag, None, entry.idx, entry.when, True, position, None, entry.side))
        other: list[str] = []
        for fname in sql_names:
            if fname in listed:
                continue
            if re.match(MIGRATION_FILE, fname):
                digest = cache.digest(fname, base, fd) if cache is not None else None
                migrations.append(_migration(fname[:-4], fname, None, None, False, len(migrations), digest, None))
            else:
                other.append(fname)
    return migrations, other


def _outside(root: Path, files: list[str]) -> dict[str, str]:
    """Those of ``files`` (symbolic links, or inside linked folders) whose real path leaves ``root``.

    Only a file with a symbolic link among its components under ``root`` can leave it: each component is
    ``lstat``-ed once (a v1 folder's ``<migration>/migration.sql``: two), and only such a file's real path
    is worked out (``realpath`` walks every component of the whole path, from ``/``)."""
    if not files:
        return {}
    top: str | None = None
    base = str(root)
    linked: dict[str, bool] = {}  # relative path -> a symbolic link (or unreadable: asked the long way)
    out = {}
    for f in files:
        rel = ""
        for part in f.split("/"):
            rel = f"{rel}/{part}" if rel else part
            hit = linked.get(rel)
            if hit is None:
                try:
                    hit = stat_is_link(os.lstat(f"{base}/{rel}").st_mode)
                except OSError:
                    hit = True
                linked[rel] = hit
            if hit:
                break
        else:
            continue  # no link under root: the file is inside it
        if top is None:
            top = os.path.realpath(root)
        real = os.path.realpath(root / f)
        if os.path.commonpath([top, real]) != top:
            out[f] = real
    return out


def _load_snapshots(root: Path, side_reader: SideReader | None) -> list[Snapshot]:
    """Every ``meta/*.json`` but the journal, by name; a file whose stat matches the head cache is not
    opened (its text is read if something asks for it)."""
    meta = root / "meta"
    if not meta.is_dir():
        return []
    names = sorted(n for n in os.listdir(meta) if is_snapshot_file(n))
    return _read_snapshots(root, str(meta), names, side_reader)


def _read_snapshots(
    root: Path, base: str, names: list[str], side_reader: SideReader | None, *, missing_ok: bool = False
) -> list[Snapshot]:
    """The snapshots in ``base``'s files ``names`` (v0: ``meta/NNNN_snapshot.json``; v1:
    ``<migration>/snapshot.json`` under the folder), through the folder's head cache: a file whose stat
    matches is not opened. ``missing_ok``: a name that does not exist is no snapshot (v1: a migration
    without one), not an error."""
    cache = HeadCache(str(root))
    if not cache.enabled:
        paths = [(name, os.path.join(base, name)) for name in names]
        if missing_ok:
            paths = [(name, path) for name, path in paths if os.path.isfile(path)]
        return [s for name, path in paths for s in _snapshot_file(name, path, side_reader)]
    out: list[Snapshot] = []
    with cache.folder_fd(base) as fd:
        for name in names:
            path = f"{base}/{name}"
            try:
                st = os.stat(name, dir_fd=fd) if fd is not None else os.stat(path)
            except FileNotFoundError:
                if missing_ok:
                    continue
                out.extend(_snapshot_file(name, path, side_reader))  # a dangling link: the read says why
                continue
            except OSError:  # a name gone, unreadable: the read says why
                out.extend(_snapshot_file(name, path, side_reader))
                continue
            if missing_ok and not stat_is_reg(st.st_mode):
                continue
            key = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
            head = cache.get(name, key)
            if type(head) is tuple and len(head) == 4:
                out.append(cached_snapshot(name, head, path, key))
                continue
            snaps = _snapshot_file(name, path, side_reader)
            learnt = cacheable_head(snaps, st.st_size)
            if learnt is not None and cache.put(name, st, learnt):
                snaps[0].__dict__["source_key"] = key  # as a cached one's: its body's verdicts can be kept too
            out.extend(snaps)
    cache.save()
    return out


def _snapshot_file(name: str, path: str, side_reader: SideReader | None) -> list[Snapshot]:
    """The snapshot(s) in a file; an unreadable or non-UTF-8 file is a snapshot with an error (a finding
    of ``check``), not the end of the command."""
    try:
        text = _conflict_text(path, side_reader)
    except InputError as exc:
        why = str(exc).split(": ", 1)[-1]
        return [Snapshot(name, snapshot_prefix(name), None, None, None, None, why)]
    return parse_snapshot(name, text)


def _sql_markers(folder: Folder) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for m in folder.migrations:
        if m.file is None or m.digest is None or not m.digest.maybe_markers:
            continue
        lines = marker_lines((folder.path / m.file).read_bytes().decode("utf-8", "replace"))
        if lines:
            found[m.file] = lines
    return found


def v1_when(name: str) -> int | None:
    """``Date.UTC(name[0:14])`` in ms, as the v1 migrator computes created_at: what
    ``calendar.timegm`` gives for those six numbers (a month outside 1-12 or the year 0: None), worked
    out here without ``calendar``, which imports ``datetime`` and ``locale`` into a hook's check."""
    m = re.match(V1_DIR, name)
    if not m:
        return None
    s = m.group(1)
    year, month = int(s[0:4]), int(s[4:6])
    if not (1 <= year <= 9999 and 1 <= month <= 12):  # where datetime.date(year, month, 1) refuses
        return None
    days = _days_to_month(year, month) + int(s[6:8]) - 1
    return (((days * 24 + int(s[8:10])) * 60 + int(s[10:12])) * 60 + int(s[12:14])) * 1000


def _days_to_month(year: int, month: int) -> int:
    """Days from 1970-01-01 to the first of ``month`` in ``year``, proleptic Gregorian (the civil-from-days
    arithmetic of H. Hinnant's ``days_from_civil``, day 1)."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def _load_v1(root: Path, names: list[str], *, hashed: bool = True) -> Folder:
    """Every direct subfolder holding ``migration.sql``, in ``localeCompare`` (ICU) order, as drizzle-orm 1.0."""
    from gtsd_tui.core.drizzle_v1.v1 import icu_key

    dirs = [n for n in names if (root / n / "migration.sql").is_file()]
    dirs.sort(key=icu_key)
    cache = DigestCache(str(root)) if hashed else None
    with _NO_FD if cache is None else cache.folder_fd(str(root)) as fd:
        migrations = [
            Migration(
                tag=d,
                file=f"{d}/migration.sql",
                idx=None,
                when=v1_when(d),
                in_journal=True,
                position=i,
                digest=cache.digest(f"{d}/migration.sql", str(root), fd) if cache is not None else None,
            )
            for i, d in enumerate(dirs)
        ]
    if cache is not None:
        cache.save()
    if not hashed:
        return Folder(root, Layout.V1, migrations, None, [])
    snaps = _read_snapshots(root, str(root), [f"{d}/snapshot.json" for d in dirs], None, missing_ok=True)
    other = [n for n in names if n.endswith(".sql")]
    folder = Folder(root, Layout.V1, migrations, None, snaps, other)
    folder.links_outside = _outside(root, [m.file for m in migrations if m.file])
    return folder
