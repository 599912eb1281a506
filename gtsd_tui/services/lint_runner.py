"""Lint many files: in worker processes when there is enough SQL to pay for them (the parser is
CPU-bound and holds the GIL, so threads would not help). Settings come from ``.squawk.toml``."""

from __future__ import annotations

import os
from pathlib import Path

from gtsd_tui.core.lint import LintFinding, Settings, lint_text
from gtsd_tui.core.lint.config import from_toml
from gtsd_tui.core.lint.tree import expect
from gtsd_tui.core.migrations.hashing import NUL_MESSAGE, nul_position
from gtsd_tui.core.sql.pglast_load import lint_parser
from gtsd_tui.core.vocab import Severity
from gtsd_tui.errors import InputError

PARALLEL_BYTES = 4 << 20
# Measured on 2 cores (7,480 real files, 30 MB): one process 7.5 s, two workers 8.9 s (and 15.1 s
# against 15.9 s under heavier load): the pool's start and the findings sent back eat the second core.
# Workers start from 3 idle cores (not measured here: no such machine).
MIN_WORKERS = 3
CONFIG_NAME = ".squawk.toml"


def find_config(*starts: Path) -> Path | None:
    """``.squawk.toml`` in the first start directory or a parent (squawk walks up from the working
    directory; the migrations folder's project is tried next). A directory is looked in once: the
    folder's walk stops where it joins the working directory's (usually at once: the folder is in it)."""
    seen: set[str] = set()
    for start in starts:
        d = os.path.realpath(start)
        while d not in seen:
            seen.add(d)
            p = os.path.join(d, CONFIG_NAME)
            if os.path.isfile(p):
                return Path(p)
            d = os.path.dirname(d)
    return None


def load_settings(config: Path | None, *starts: Path) -> Settings:
    path = config or find_config(*starts)
    if path is None:
        return Settings()
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    return from_toml(text, str(path))


def decode(path: str, raw: bytes) -> str:
    nul = nul_position(raw)
    if nul is not None:  # PostgreSQL would end the text there: refused, as by status, check and migrate
        raise InputError(f"{path}:{nul[0]}:{nul[1]}: {NUL_MESSAGE}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 at byte {exc.start}") from None


def _lint_one(item: tuple[str, bool, Settings]) -> list[LintFinding]:
    path, hand, settings = item
    return lint_text(path, decode(path, Path(path).read_bytes()), hand_written=hand, settings=settings)


def _lint_packed(item: tuple[str, bool, Settings]) -> bytes:
    """In a worker: findings as msgpack, much cheaper to send back than pickled objects."""
    import msgspec

    return msgspec.msgpack.encode([[getattr(f, name) for name in LintFinding._fields] for f in _lint_one(item)])


def _unpacked(packed: bytes) -> list[LintFinding]:
    import msgspec

    return [LintFinding(*f) for f in msgspec.msgpack.decode(packed, type=list[_PACKED])]


# a finding's fields in LintFinding._fields' order, as msgpack sends them
_PACKED = tuple[str, Severity, str, int, int, str, str]


def idle_cores() -> int:
    """Cores no other process is using (this process's cores less the load average): workers pay only
    there, and only from ``MIN_WORKERS`` of them."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        return cores
    return max(1, min(cores, int(cores - load + 0.5)))


def lint_paths(
    items: list[tuple[Path, bool]],
    workers: int | None = None,
    settings: Settings | None = None,
    plain: frozenset[Path] = frozenset(),
) -> list[LintFinding]:
    """Findings for (path, hand_written) pairs, in input order. Paths in ``plain`` are not migrations of
    the folder: linted with squawk's transaction default unless one was set (``Settings.plain``)."""
    s = settings or Settings()
    jobs = [(str(p), hand, s.plain() if p in plain else s) for p, hand in items]
    total = sum(p.stat().st_size for p, _ in items)
    expect(total)
    workers = workers or idle_cores()
    if total < PARALLEL_BYTES or workers < MIN_WORKERS or len(jobs) < 2:
        return [f for job in jobs for f in _lint_one(job)]
    from concurrent.futures import ProcessPoolExecutor

    lint_parser()  # (loaded once here: forked workers inherit it)

    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunk = max(1, len(jobs) // (workers * 4))
        return [f for packed in pool.map(_lint_packed, jobs, chunksize=chunk) for f in _unpacked(packed)]
