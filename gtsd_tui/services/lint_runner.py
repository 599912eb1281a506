"""Lint many files: in worker processes when there is enough SQL to pay for them (the parser is
CPU-bound and holds the GIL, so threads would not help)."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from gtsd_tui.core.hashing import NUL_MESSAGE, nul_position
from gtsd_tui.core.lint import LintFinding, lint_text
from gtsd_tui.errors import InputError

PARALLEL_BYTES = 4 << 20


def _lint_one(item: tuple[str, bool]) -> list[LintFinding]:
    path, hand = item
    raw = Path(path).read_bytes()
    nul = nul_position(raw)
    if nul is not None:
        raise InputError(f"{path}:{nul[0]}:{nul[1]}: {NUL_MESSAGE}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 at byte {exc.start}") from None
    return lint_text(path, text, hand_written=hand)


def lint_paths(items: list[tuple[Path, bool]], workers: int | None = None) -> list[LintFinding]:
    """Findings for (path, hand_written) pairs, in input order."""
    jobs = [(str(p), hand) for p, hand in items]
    total = sum(p.stat().st_size for p, _ in items)
    workers = workers or os.cpu_count() or 1
    if total < PARALLEL_BYTES or workers < 2 or len(jobs) < 2:
        return [f for job in jobs for f in _lint_one(job)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunk = max(1, len(jobs) // (workers * 4))
        return [f for found in pool.map(_lint_one, jobs, chunksize=chunk) for f in found]
