"""Small git helpers: index stages of a conflicted file, files on a base ref, renames."""

from __future__ import annotations

from pathlib import Path

TYPE_CHECKING = False  # (typing is not imported at start-up)
if TYPE_CHECKING:  # subprocess (and its threading, selectors) loads at the first git call: a folder
    # without conflict markers never calls git (`check --offline` from a hook)
    import subprocess
    from typing import Any


def _git(cwd: Path, *args: str, text: bool = True) -> subprocess.CompletedProcess[Any]:
    import subprocess

    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=text, timeout=30)


def work_tree(path: Path) -> Path | None:
    import subprocess

    try:
        out = _git(path if path.is_dir() else path.parent, "rev-parse", "--show-toplevel")
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None


def index_sides(path: Path) -> tuple[bytes, bytes] | None:
    """Stages 2 (ours) and 3 (theirs) of a conflicted file, when the repository is mid-merge."""
    top = work_tree(path.parent)
    if top is None:
        return None
    rel = str(path.resolve().relative_to(top.resolve()))
    stages = _git(top, "ls-files", "-u", "--", rel)
    if stages.returncode != 0 or not stages.stdout.strip():
        return None
    found = {line.split()[2] for line in stages.stdout.splitlines() if len(line.split()) >= 3}
    if not {"2", "3"} <= found:
        return None
    ours = _git(top, "show", f":2:{rel}", text=False)
    theirs = _git(top, "show", f":3:{rel}", text=False)
    if ours.returncode or theirs.returncode:
        return None
    return ours.stdout, theirs.stdout


def tracked(top: Path, paths: list[Path]) -> set[Path]:
    if not paths:
        return set()
    rels = [str(p.resolve().relative_to(top.resolve())) for p in paths]
    out = _git(top, "ls-files", "--", *rels)
    return {(top / line).resolve() for line in out.stdout.splitlines() if line}


def stage_paths(top: Path, remove: list[str], add: list[str]) -> None:
    """Update the index for changes already made on disk (what ``git mv`` / ``git add`` do); idempotent.

    Paths are relative to ``top``; ``add`` paths that do not exist are skipped."""
    if remove:
        _git(top, "rm", "--cached", "--quiet", "--ignore-unmatch", "--", *remove)
    present = [a for a in add if (top / a).exists()]
    if present:
        _git(top, "add", "--", *present)


def base_tags(top: Path, ref: str, folder: Path) -> set[str]:
    """Tags of the ``.sql`` migrations present in ``folder`` on ``ref``."""
    rel = str(folder.resolve().relative_to(top.resolve()))
    out = _git(top, "ls-tree", "--name-only", f"{ref}:{rel}")
    if out.returncode != 0:
        from gtsd_tui.errors import InputError

        raise InputError(f"--base {ref}: {out.stderr.strip().splitlines()[0] if out.stderr.strip() else 'unknown'}")
    return {n[:-4] for n in out.stdout.splitlines() if n.endswith(".sql")}


def merged_tree_folder(top: Path, ref: str, folder: Path, dest: Path) -> Path | None:
    """The folder as it would be after merging ``ref`` into HEAD (``git merge-tree``), extracted to dest.

    Conflicted files come out with their conflict markers, which the folder model reads as both sides.
    """
    import io
    import tarfile

    rel = str(folder.resolve().relative_to(top.resolve()))
    merged = _git(top, "merge-tree", "--write-tree", "--no-messages", ref, "HEAD")
    if merged.returncode not in (0, 1) or not merged.stdout.strip():
        return None
    tree = merged.stdout.split()[0]
    archive = _git(top, "archive", "--format=tar", tree, rel, text=False)
    if archive.returncode != 0:
        return None
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        _extract_data(tar, dest)
    return dest / rel


def find_version(path: Path, want_hash: str, hasher: Any, limit: int = 300) -> tuple[str, bytes] | None:
    """(commit, bytes) of the newest version of ``path`` in git history whose drizzle hash is ``want_hash``."""
    top = work_tree(path.parent)
    if top is None:
        return None
    rel = str(path.resolve().relative_to(top.resolve()))
    log = _git(top, "log", f"-{limit}", "--format=%H", "--all", "--", rel)
    for commit in log.stdout.split():
        blob = _git(top, "show", f"{commit}:{rel}", text=False)
        if blob.returncode == 0 and hasher(blob.stdout) == want_hash:
            return commit, blob.stdout
    return None


def _extract_data(tar: Any, dest: Path) -> None:
    """``extractall(filter="data")``: plain files and folders inside ``dest``, nothing else. Python
    3.11.0-3.11.3 have no extraction filters (3.11.4 added them): the same rule is applied by hand."""
    import tarfile

    if hasattr(tarfile, "data_filter"):
        tar.extractall(dest, filter="data")
        return
    root = dest.resolve()
    safe = []
    for member in tar.getmembers():
        target = (root / member.name).resolve()
        if not (member.isfile() or member.isdir()) or not target.is_relative_to(root):
            continue  # links, devices and paths leaving dest are not ours to write
        member.mode = (member.mode | 0o600) & 0o755 if member.isfile() else 0o755
        safe.append(member)
    tar.extractall(dest, members=safe)
