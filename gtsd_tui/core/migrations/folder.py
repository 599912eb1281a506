"""The migrations folder as drizzle-orm and drizzle-kit see it, with nothing dropped silently.

v0 layout: ``NNNN_tag.sql`` + ``meta/_journal.json`` + ``meta/NNNN_snapshot.json``.
v1 layout: ``<YYYYMMDDHHMMSS>_<name>/migration.sql`` (+ ``snapshot.json``), no journal.
"""

from __future__ import annotations

import calendar
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gtsd_tui.core.merging.merge_markers import marker_lines
from gtsd_tui.core.migrations.digest_cache import DigestCache
from gtsd_tui.core.migrations.hashing import FileDigest, digest_file, read_file
from gtsd_tui.core.migrations.journal import Journal, parse_journal
from gtsd_tui.core.migrations.snapshots import Snapshot, parse_snapshot, snapshot_prefix
from gtsd_tui.core.vocab import Layout
from gtsd_tui.errors import InputError

MIGRATION_FILE = re.compile(r"^(\d+)_(.+)\.sql$")
V1_DIR = re.compile(r"^(\d{14})_(.+)$")
WORK_DIR = ".gtsd-renumber"  # renumber's intent log and temporary files (ignored here)

# Reads the two sides of a conflicted file from git's index (stages 2 and 3), when mid-merge.
SideReader = Callable[[Path], "tuple[bytes, bytes] | None"]


@dataclass(frozen=True)
class Migration:
    tag: str
    file: str | None  # path relative to the folder; None when the journal lists a missing file
    idx: int | None
    when: int | None
    in_journal: bool
    position: int  # order in which drizzle-orm would run it (journal order; then orphans)
    digest: FileDigest | None = None
    side: str | None = None  # "ours" / "theirs" for an entry of a conflicted journal

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


@dataclass
class Folder:
    path: Path
    layout: Layout
    migrations: list[Migration]
    journal: Journal | None = None
    loaded_snapshots: list[Snapshot] | None = None  # read on first use (status does not need them)
    other_files: list[str] = field(default_factory=list)  # .sql files that are not migrations
    file_markers: dict[str, list[int]] = field(default_factory=dict)  # .sql files with git markers
    links_outside: dict[str, str] = field(default_factory=dict)  # migration file -> real path outside the folder
    side_reader: SideReader | None = field(default=None, repr=False)
    v1_dirs: list[str] = field(default_factory=list)  # v1 migration folders next to a v0 journal
    loaded_last: dict[str, Any] | None = field(default=None, repr=False)  # last snapshot's body, once read

    @property
    def snapshots(self) -> list[Snapshot]:
        if self.loaded_snapshots is None:
            self.loaded_snapshots = _load_snapshots(self.path / "meta", self.side_reader)
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
    v1_dirs = [n for n in names if dir_entries[n].is_dir() and (root / n / "migration.sql").is_file()]
    if not journal_path.exists() and any(V1_DIR.match(n) for n in v1_dirs):
        return _load_v1(root, names, hashed=hashed)
    sql_names = [n for n in names if n.endswith(".sql") and not n.startswith(".") and dir_entries[n].is_file()]
    sql_set = set(sql_names)
    journal: Journal | None = None
    if journal_path.exists():
        size = journal_path.stat().st_size
        if size > JOURNAL_MAX_BYTES:
            raise InputError(
                f"{journal_path}: {size:,} bytes, over the {JOURNAL_MAX_BYTES:,} a journal may have; not read"
            )
        journal = parse_journal(_conflict_text(journal_path, side_reader), str(journal_path))
        if journal.conflicted:  # report the markers where the user sees them, not in the rebuilt text
            journal.conflict_lines = marker_lines(_read_text(journal_path)) or journal.conflict_lines
    elif not allow_empty:
        what = "no meta/_journal.json" + (f" ({len(sql_names)} .sql files without a journal)" if sql_names else "")
        raise InputError(f"{root}: {what}; not a Drizzle migrations folder (use --migrations DIR)")
    migrations: list[Migration] = []
    listed: set[str] = set()
    cache = DigestCache(str(root)) if hashed else None
    for position, entry in enumerate(journal.entries if journal else []):
        fname = entry.tag + ".sql"
        listed.add(fname)
        present = fname in sql_set
        migrations.append(
            Migration(
                tag=entry.tag,
                file=fname if present else None,
                idx=entry.idx,
                when=entry.when,
                in_journal=True,
                position=position,
                digest=cache.digest(dir_entries[fname]) if present and cache is not None else None,
                side=entry.side,
            )
        )
    other: list[str] = []
    for fname in sql_names:
        if fname in listed:
            continue
        if MIGRATION_FILE.match(fname):
            migrations.append(
                Migration(
                    tag=fname[:-4],
                    file=fname,
                    idx=None,
                    when=None,
                    in_journal=False,
                    position=len(migrations),
                    digest=cache.digest(dir_entries[fname]) if cache is not None else None,
                )
            )
        else:
            other.append(fname)
    folder = Folder(root, Layout.V0, migrations, journal, other_files=other, side_reader=side_reader, v1_dirs=v1_dirs)
    if cache is None:
        return folder
    cache.save()
    folder.file_markers = _sql_markers(folder)
    linked = [m.file for m in migrations if m.file and dir_entries[m.file].is_symlink()]
    folder.links_outside = _outside(root, linked)
    return folder


def _outside(root: Path, files: list[str]) -> dict[str, str]:
    """Those of ``files`` (symbolic links, or inside linked folders) whose real path leaves ``root``."""
    if not files:
        return {}
    top = os.path.realpath(root)
    out = {}
    for f in files:
        real = os.path.realpath(root / f)
        if os.path.commonpath([top, real]) != top:
            out[f] = real
    return out


def _load_snapshots(meta: Path, side_reader: SideReader | None) -> list[Snapshot]:
    if not meta.is_dir():
        return []
    out: list[Snapshot] = []
    base = str(meta)
    for name in sorted(os.listdir(meta)):
        if name.startswith(("_", ".")) or not name.endswith(".json"):
            continue
        out.extend(_snapshot_file(name, os.path.join(base, name), side_reader))
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
    """``Date.UTC(name[0:14])`` in ms, as the v1 migrator computes created_at."""
    m = V1_DIR.match(name)
    if not m:
        return None
    s = m.group(1)
    try:
        secs = calendar.timegm((int(s[0:4]), int(s[4:6]), int(s[6:8]), int(s[8:10]), int(s[10:12]), int(s[12:14])))
    except (ValueError, OverflowError):
        return None
    return secs * 1000


def _load_v1(root: Path, names: list[str], *, hashed: bool = True) -> Folder:
    """Every direct subfolder holding ``migration.sql``, in ``localeCompare`` (ICU) order, as drizzle-orm 1.0."""
    from gtsd_tui.core.drizzle_v1.v1 import icu_key

    dirs = [n for n in names if (root / n / "migration.sql").is_file()]
    dirs.sort(key=icu_key)
    migrations = [
        Migration(
            tag=d,
            file=f"{d}/migration.sql",
            idx=None,
            when=v1_when(d),
            in_journal=True,
            position=i,
            digest=digest_file(str(root / d / "migration.sql")) if hashed else None,
        )
        for i, d in enumerate(dirs)
    ]
    if not hashed:
        return Folder(root, Layout.V1, migrations, None, [])
    snaps: list[Snapshot] = []
    for d in dirs:
        snap = root / d / "snapshot.json"
        if snap.is_file():
            snaps.extend(_snapshot_file(f"{d}/snapshot.json", str(snap), None))
    other = [n for n in names if n.endswith(".sql")]
    folder = Folder(root, Layout.V1, migrations, None, snaps, other)
    folder.links_outside = _outside(root, [m.file for m in migrations if m.file])
    return folder
