"""Lint migrations on pglast's parse tree: squawk's rules under squawk's ids, the guide's idempotency
rules and drizzle-aware ones under gtsd-tui's. Each finding has a rule id, severity, file:line:column,
message and the safe alternative.

Modules: ``rules`` (the registry), ``config`` (settings, ``.squawk.toml``), ``engine`` (parsing,
positions, ignore comments), ``clauses`` (where a clause starts: the scanner's tokens),
``state`` (what a file's run remembers), ``statements``/``tables``/``plpgsql`` (the rules), ``tree``
(the typed parse-tree views), ``report`` (text, json, github, sarif)."""

from __future__ import annotations

import sys

from gtsd_tui.core.lint import tree
from gtsd_tui.core.lint.config import Settings
from gtsd_tui.core.lint.engine import Linter, LintFinding
from gtsd_tui.core.lint.rules import ERROR, RULES, WARNING, Rule

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any


def _more_kinds() -> ModuleType:
    """The rarer statements' views (``tree_more``), imported when a parse tree first holds one."""
    from gtsd_tui.core.lint import tree_more

    return tree_more


tree.more_kinds = _more_kinds

__all__ = ["ERROR", "RULES", "WARNING", "LintFinding", "Rule", "Settings", "hand_written_tags", "line_marks"]


def lint_text(
    path: str, text: str, *, hand_written: bool = False, settings: Settings | None = None
) -> list[LintFinding]:
    return Linter(path, text, hand_written, settings or Settings()).run()


def line_marks(findings: list[LintFinding]) -> dict[int, str]:
    """line -> "severity rule: message" of its first finding, errors before warnings."""
    marks: dict[int, str] = {}
    for f in sorted(findings, key=lambda f: (f.line, f.severity != ERROR)):
        marks.setdefault(f.line, f"{f.severity} {f.rule}: {f.message}")
    return marks


_SNAPSHOT_IDS = ("id", "prevId", "prevIds")


HAND_WRITTEN = "hand-written"  # the verdict's entry in its cache file (digests/<key>.hand.marshal)
# the same verdict keyed by stats alone: the journal's and every meta/*.json's, taken before anything is read
HAND_BY_STATS = "hand-written-by-stats"
_HAND_FORMAT = ("gtsd-hand-written", 1, sys.version_info[:2])


def hand_written_tags(folder: Any, *, stats_key: tuple[Any, ...] | None = None) -> set[str]:
    """Migrations written by hand: no snapshot, or a snapshot that only copies the previous one
    (what ``drizzle-kit generate --custom`` and ``gtsd-tui new`` write). v0: ``meta/NNNN_snapshot.json``
    by prefix; v1 (Drizzle 1.0): ``<timestamp>_<name>/snapshot.json`` beside ``migration.sql``; a
    version 9 snapshot (drizzle-kit 1.0.0-rc.5) of a custom migration has no deltas or footprints.

    The answer needs every snapshot's whole body. Where each of a v0 folder's snapshots came from the
    head cache (its file's stat unchanged since its head was kept), the answer is kept beside it, keyed
    by those stat keys and the journal's tags in order (a v1 folder's migrations, in their order): the
    next run with the same files opens none of them. ``stats_key`` (from :func:`verdict_by_stats`, taken
    before the folder was read): the answer is kept under it too, when none of those files was written in
    the last moments, so that the next ``lint`` of one file from the project's root (a pre-commit hook)
    reads no file of the folder at all. Any other folder is read as before."""
    key = _verdict_key(folder)
    if key is None:
        return _hand_written(folder)
    from gtsd_tui.core.migrations.digest_cache import StatCache  # (not for a file outside a folder)

    cache = StatCache(str(folder.path), ".hand", _HAND_FORMAT)
    hit = cache.get(HAND_WRITTEN, key)
    out = set(hit) if type(hit) is tuple else _hand_written(folder)
    cache.keep(HAND_WRITTEN, key, tuple(sorted(out)))
    journal = getattr(folder, "journal", None)
    if stats_key is not None and journal is not None and not journal.conflicted and _settled(stats_key, cache):
        cache.keep(HAND_BY_STATS, stats_key, tuple(sorted(out)))
    elif HAND_BY_STATS in cache.old:  # (a run without one, the console's: the entry stays for lint's)
        cache.new.setdefault(HAND_BY_STATS, cache.old[HAND_BY_STATS])
    cache.save()
    return out


def verdict_by_stats(folder_path: str) -> tuple[set[str] | None, tuple[Any, ...] | None]:
    """A v0 folder's hand-written verdict found from stats alone: the journal's and every snapshot's
    (``meta/*.json``, as the folder model lists them), taken now. Returns (the verdict kept for exactly
    these stats, or None; the stats, to pass to :func:`hand_written_tags` after reading the folder, or
    None for a folder without a journal)."""
    import os

    from gtsd_tui.core.migrations.digest_cache import StatCache, is_snapshot_file, stat_key

    meta = os.path.join(folder_path, "meta")
    try:
        journal = stat_key(os.stat(os.path.join(meta, "_journal.json")))
        with os.scandir(meta) as entries:
            found = [(e.name, stat_key(e.stat())) for e in entries if is_snapshot_file(e.name)]
    except OSError:
        return None, None
    key: tuple[Any, ...] = (journal, tuple(sorted(found)))
    cache = StatCache(folder_path, ".hand", _HAND_FORMAT)
    hit = cache.get(HAND_BY_STATS, key)
    return (set(hit) if type(hit) is tuple else None), key


def _settled(stats_key: tuple[Any, ...], cache: Any) -> bool:
    """No file of the key written so recently that a later write could keep its timestamps (the digest
    cache's rule): a file changed after the stats were taken then has other stats."""
    from gtsd_tui.core.migrations.digest_cache import RACY_NS

    journal, snaps = stats_key
    latest = max(max(k[1], k[2]) for k in (journal, *(k for _, k in snaps)))
    return bool(latest < cache.now_ns - RACY_NS)


def _verdict_key(folder: Any) -> tuple[Any, ...] | None:
    """What :func:`hand_written_tags` reads, as stat keys: each snapshot's (name, stat key) when every one
    of them came from the head cache, and the journal's (tag, prefix) in order (v1: the migrations'); None
    otherwise (a snapshot read in this run: conflicted, written just now, not cached)."""
    if not hasattr(folder, "path"):
        return None
    snaps = []
    for s in folder.snapshots:
        stat_key = s.__dict__.get("source_key")
        if stat_key is None:
            return None
        snaps.append((s.name, stat_key))
    return (tuple(snaps), tuple((m.tag, m.prefix) for m in folder.journal_migrations))


def _hand_written(folder: Any) -> set[str]:
    from gtsd_tui.core.vocab import Layout

    v1 = getattr(folder, "layout", Layout.V0) == Layout.V1
    by_key = {
        (s.name.split("/", 1)[0] if v1 else s.prefix): s
        for s in folder.snapshots
        if s.data is not None and s.side in (None, "ours")
    }
    out: set[str] = set()
    previous: dict[str, Any] | None = None
    for m in folder.journal_migrations:
        snap = by_key.get(m.tag if v1 else m.prefix)
        if snap is None:
            out.add(m.tag)
            continue
        body = {k: v for k, v in snap.data.items() if k not in _SNAPSHOT_IDS}
        if (previous is not None and body == previous) or _custom_v9(snap.data):
            out.add(m.tag)
        previous = body
    return out


def _custom_v9(data: dict[str, Any]) -> bool:
    """drizzle-kit 1.0.0-rc.5 ``generate --custom``: ``{"type": "diff", "deltas": [], "footprints": []}``
    (its own test for a custom migration is ``type === "diff" && deltas.length === 0``), or, as the
    first migration, a ``base`` snapshot with an empty ``ddl``."""
    if "footprints" not in data or data["footprints"]:
        return False
    kind = data.get("type")
    return (kind == "diff" and data.get("deltas") == []) or (kind == "base" and data.get("ddl") == [])


def lint_text_json(findings: list[LintFinding]) -> list[dict[str, Any]]:
    return [f.to_json() for f in findings]
