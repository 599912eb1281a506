"""The console's file work, done in its workers: a migration's preview and the folder's signature."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gtsd_tui.core.migrations.folder import Folder, Migration
from gtsd_tui.core.migrations.hashing import split_chunks
from gtsd_tui.core.migrations.lines import LazyLines
from gtsd_tui.core.migrations.modes import TxMode
from gtsd_tui.core.vocab import Severity
from gtsd_tui.services.project import Project

if TYPE_CHECKING:
    from gtsd_tui.services.console import ConsoleState

LARGE = 4 << 20
Signature = bytes  # a digest of the folder's (name, size, mtime) entries: compared, never read back


@dataclass
class Preview:
    """A migration file for the preview: its lines (not widgets), chunk starts, plan notes, lint findings."""

    tag: str
    path: str
    lines: Sequence[str]
    chunk_lines: list[int]  # 1-based lines where a chunk starts
    notes: list[str]
    marks: dict[int, str] = field(default_factory=dict)  # line -> "severity rule: message" (core.lint.line_marks)
    findings: list[tuple[int, Severity, str]] = field(default_factory=list)  # (line, severity, "rule: message")
    error_line: int | None = None


def folder_signature(folder: Path) -> Signature:
    """(name, size, mtime) of the folder's entries, ``meta/`` and git's HEAD and index: a change to any
    of them (an editor save, ``gtsd-tui new``, ``git merge``/``checkout``) changes the signature.
    Returned as a 16-byte BLAKE2b digest of those entries: the console only compares signatures, and
    the first one travels from the prefetch child with the state (on 5,000 migrations the entries
    themselves were 0.9 MB of the pickle, a third of it)."""
    out: list[tuple[str, int, int]] = []
    for d in (folder, folder / "meta"):
        try:
            with os.scandir(d) as it:
                for e in it:
                    try:
                        st = e.stat()
                    except OSError:
                        continue
                    out.append((e.path, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((str(d), -1, -1))
    gitdir = _work_tree_git_dir(folder)
    if gitdir is not None:
        for name in ("HEAD", "index"):
            try:
                st = (gitdir / name).stat()
                out.append((name, st.st_size, st.st_mtime_ns))
            except OSError:
                pass
    import marshal
    from hashlib import blake2b  # here, not at the module's import: not on the console's first-screen path

    out.sort()
    return blake2b(marshal.dumps(out), digest_size=16).digest()


def _work_tree_git_dir(folder: Path) -> Path | None:
    """Where this work tree's HEAD and index are: ``.git`` itself, or the directory a ``.git`` file
    names (``gitdir: PATH``: a linked work tree of ``git worktree add``, or a submodule)."""
    top = next((p for p in (folder, *folder.parents) if (p / ".git").exists()), None)
    if top is None:
        return None
    dotgit = top / ".git"
    if dotgit.is_dir():
        return dotgit
    try:
        line = dotgit.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return top / line[len("gitdir: ") :] if line.startswith("gitdir: ") else None


def preview_of(project: Project, folder: Folder, tag: str) -> Preview:
    """The file, its chunk starts, plan notes and lint findings. A file deleted since the folder was read
    raises OSError naming it (the console shows that, never the previous file)."""
    m = folder.by_tag(tag)
    if m is None or m.file is None:
        return Preview(tag, "", [f"-- {tag}: file missing"], [], [])
    path = folder.file_path(m)
    raw = path.read_bytes()
    if len(raw) > LARGE:  # lines decoded only when they scroll into view
        mb = len(raw) / 1e6
        return Preview(tag, str(path), LazyLines(raw), [], [f"{mb:.1f} MB: chunk marks and plan notes skipped"])
    text = raw.decode("utf-8", "replace")
    chunks = split_chunks(text)
    from gtsd_tui.core.lint import hand_written_tags, line_marks, lint_text

    found = lint_text(str(path), text, hand_written=m.tag in hand_written_tags(folder))
    notes = _plan_notes(project, folder, m, text)
    listed = [(f.line, f.severity, f"{f.rule}: {f.message}") for f in found]
    marks = line_marks(found)  # line -> "severity rule: message"; an error on a line outranks a warning
    return Preview(tag, str(path), text.split("\n"), [c.line for c in chunks], notes, marks, listed)


def _plan_notes(project: Project, folder: Folder, m: Migration, text: str) -> list[str]:
    from gtsd_tui.core.migrations.plan import PlanRefused, step_for

    chunks = len(split_chunks(text))
    try:
        step = step_for(folder, m, TxMode.PER_FILE)
    except PlanRefused as exc:
        return [f"refused: {exc}"]
    mode = (
        "one transaction with its row" if step.transactional else "autocommit: " + ", ".join(r for r, _ in step.non_tx)
    )
    return [f"{chunks} chunk(s); {mode}; advisory lock on {project.settings.table_label}"]


def file_view(project: Project, state: ConsoleState, tag: str) -> tuple[str, Sequence[str]]:
    """Title and lines for the console's ``enter``: the file, or for a modified one the diff from its
    applied version (found in git history by its hash)."""
    import difflib

    from gtsd_tui.core.migrations.hashing import drizzle_hash
    from gtsd_tui.core.migrations.status import MODIFIED
    from gtsd_tui.services.gitutil import find_version

    if state.folder is None:
        return tag, [state.folder_error or "the folder could not be read"]
    preview = preview_of(project, state.folder, tag)
    item = next((s for s in (state.report.items if state.report else []) if s.migration.tag == tag), None)
    if item is None or item.state != MODIFIED or item.row is None:
        return f"{tag}  ({preview.path})", preview.lines
    found = find_version(state.folder.file_path(item.migration), item.row.hash, drizzle_hash)
    if found is None:
        note = f"-- applied version (hash {item.row.hash[:12]}) not found in git history; current file:"
        return f"{tag}  (modified)", [note, *preview.lines]
    commit, old = found
    diff = difflib.unified_diff(
        old.decode("utf-8", "replace").split("\n"),
        list(preview.lines),
        f"applied ({commit[:10]})",
        "current file",
        lineterm="",
    )
    return f"{tag}  (modified: applied version from {commit[:10]} vs file)", list(diff)
