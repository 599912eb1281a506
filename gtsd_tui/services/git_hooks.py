"""What the merge driver and the hooks do (``gtsd-tui git driver`` / ``gtsd-tui git hook NAME``).

The driver writes one conflicted file (the journal, a snapshot) as the model of the whole merge
says (:mod:`gtsd_tui.services.git_merge`); ``post-merge`` and ``post-rewrite`` then make the
work tree's folder equal to that model (the SQL renames a driver cannot do), and ``pre-commit``
refuses a commit whose folder is broken. Every function returns the lines to print and an exit code.
"""

from __future__ import annotations

import os
import posixpath

from gtsd_tui.core.vocab import Layout, Severity
from gtsd_tui.services.git_merge import Model, forget_models, git, git_out, git_path, model_for

TYPE_CHECKING = False
if TYPE_CHECKING:  # the driver's path (run_driver) imports neither pathlib nor typing; the hooks do
    from pathlib import Path

COMMIT_MESSAGE = "gtsd-tui: renumber migrations after {what}"
_KILL_ENV = "GTSD_TEST_KILL_DRIVER_AT"  # test hook: SIGKILL the driver at this step (ordinary, model, write)
# pre-commit refuses these (the list: markers, duplicate prefix, an entry without its file,
# a NUL byte, a schema conflict); the rest of `check` stays advice.
REFUSED = ("merge-markers", "duplicate-prefix", "missing-file", "nul-byte", "schema-conflict")


def _sides_now(top: str | Path) -> tuple[str, str] | None:
    """(ours, theirs) of the merge or rebase step git is making right now, as the driver sees it."""
    heads = [k[len("GITHEAD_") :] for k in os.environ if k.startswith("GITHEAD_")]
    if len(heads) == 1:  # git merge (and git pull) name the merged commit so
        return "HEAD", heads[0]
    rebase = git_path(top, "rebase-merge")
    if (rebase / "onto").is_file() and (rebase / "done").is_file():
        done = [ln.split() for ln in (rebase / "done").read_text().splitlines() if ln.strip()]
        picks = [ln for ln in done if len(ln) >= 2 and ln[0] in ("pick", "p", "reword", "r", "edit", "e")]
        if picks and done and done[-1] is picks[-1]:
            # a rebase step: ours is the branch rebased onto, theirs the original commit being picked
            return (rebase / "onto").read_text().strip(), picks[-1][1]
    return None


def _step(name: str) -> None:
    if os.environ.get(_KILL_ENV) == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def _write_atomic(path: str, data: bytes) -> None:
    head, name = os.path.split(path)
    tmp = os.path.join(head, f".{name}.gtsd-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
    _step("write")
    try:
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def run_driver(base: str, ours_file: str, theirs_file: str, path: str, marker_size: str = "7") -> tuple[int, list[str]]:
    """git's merge driver call (%O %A %B %P %L): the result goes to ``ours_file``; 0 merged, 1 conflict.

    Git's ordinary merge is written first, so a driver killed at any later point leaves git's ordinary
    conflict (and the final file is put in place by one rename: never a half-written journal)."""
    top = os.getcwd()  # (strings, not pathlib: the driver starts once per conflicted file)
    with open(ours_file, "rb") as fh:
        mine = fh.read()
    ordinary = git(
        top, "merge-file", f"--marker-size={marker_size}", "-L", "ours", "-L", "base", "-L", "theirs",
        ours_file, base, theirs_file,
    )  # fmt: skip
    conflicted = 1 if ordinary.returncode != 0 else 0
    _step("ordinary")
    parent = posixpath.dirname(path)
    if posixpath.basename(parent) != "meta":
        return conflicted, []
    rel, name = posixpath.dirname(parent) or ".", f"meta/{posixpath.basename(path)}"
    sides = _sides_now(top)
    if sides is None:
        return conflicted, []  # a cherry-pick, a merge-tree: git's ordinary merge
    model = model_for(top, rel, *sides, only=name)
    _step("model")
    if model.layout == Layout.V1:
        return conflicted, []
    journal = name == "meta/_journal.json"  # said once per merge, with the journal
    if model.problem:
        return conflicted, [f"gtsd-tui: {path}: not merged by gtsd-tui: {model.problem}"] if journal else []
    if model.clashes:  # a conflict even where git's text merge was clean: the path stays unmerged
        lines = []
        if journal:
            lines = [f"gtsd-tui: {rel}: the branches' schemas clash; merge stopped (ordinary conflict):"]
            lines += [f"gtsd-tui:   {c}" for c in model.clashes]
        return 1, lines
    result = model.files.get(name, mine)
    _write_atomic(ours_file, result)
    return 0, []


def _folder_scope(folder: Path) -> dict[str, bytes]:
    """The files of the folder the model speaks for: top-level files and meta/ (dot files left out)."""
    out: dict[str, bytes] = {}
    for sub in ("", "meta"):
        d = folder / sub if sub else folder
        if not d.is_dir():
            continue
        for e in os.scandir(d):
            if e.is_file(follow_symlinks=False) and not e.name.startswith("."):
                with open(e.path, "rb") as fh:
                    out[f"{sub}/{e.name}" if sub else e.name] = fh.read()
    return out


def _materialize(top: Path, folder: Path, model: Model) -> list[tuple[str, str]]:
    """Make the work tree's folder equal to the model (renames, writes, deletions, index updated);
    crash-safe through the renumber commit log. Returns the renames made."""
    from gtsd_tui.services import renumber_log

    now = _folder_scope(folder)
    gone = {n: d for n, d in now.items() if n not in model.files}
    moves: list[tuple[str, str]] = []
    writes: dict[str, bytes] = {}
    for name, data in model.files.items():
        if now.get(name) == data:
            continue
        src = next((n for n, d in gone.items() if d == data and n.endswith(".sql") and name.endswith(".sql")), None)
        if src is not None and name not in now:
            moves.append((src, name))
            del gone[src]
        else:
            writes[name] = data
    deletes = sorted(gone)
    if moves or writes or deletes:
        renumber_log.commit(folder, moves=moves, writes=writes, deletes=deletes, git_top=top)
    return moves


def _commutativity(folder: Path) -> list[str]:
    """Drizzle 1.0 folders merge textually clean even when they fork: say loudly what does not commute."""
    from gtsd_tui.core.merging.conflicts import check_folder
    from gtsd_tui.core.migrations.folder import load_folder

    out = []
    for f in check_folder(load_folder(folder, allow_empty=True)):
        if f.code in ("overlap", "schema-conflict", "fork", "merge-markers"):
            loud = "WARNING" if f.severity != Severity.ERROR else "ERROR"
            out.append(f"gtsd-tui: {loud}: {f.code}: {', '.join(f.files)}: {f.message}")
    return out


def finish(
    top: Path, folder: Path, ours: str, theirs: str, what: str, committing: bool = False, squash: bool = False
) -> tuple[int, list[str]]:
    """After a merge or rebase: the folder made equal to the model, and one line saying what moved.
    ``committing``: run by pre-commit (the renames go into that commit); ``squash``: after ``git merge
    --squash`` (no commit made yet: the squash's own commit takes them).

    Only while the journal is still the driver's (the model's): a folder someone resolved otherwise
    (``renumber --force``, by hand), or merged without the driver, is left as it is."""
    rel = os.path.relpath(folder.resolve(), top.resolve())
    model = model_for(top, rel, ours, theirs)
    try:
        if model.layout == Layout.V1:
            return 0, _commutativity(folder)
        if committing and (model.problem or model.clashes):
            return 0, []  # resolved by hand meanwhile, or not: pre-commit's own check says which
        if model.problem:
            return 1, [f"gtsd-tui: {rel}: not renumbered: {model.problem}; run `gtsd-tui renumber`"]
        if model.clashes:
            return 1, [f"gtsd-tui: {rel}: schema clash: {c}" for c in model.clashes]
        journal = folder / "meta" / "_journal.json"
        if not journal.is_file() or journal.read_bytes() != model.files.get("meta/_journal.json"):
            return 0, []  # not the driver's journal: not ours to finish
        moves = _materialize(top, folder, model)
    finally:
        forget_models(top)
    if not moves and not _dirty(top, folder):
        return 0, []
    said = ", ".join(f"{a[:-4]} -> {b[:-4]}" for a, b in model.renamed) or "snapshots and journal re-linked"
    lines = [f"gtsd-tui: {rel}: renumbered after the {what}: {said}"]
    if committing:
        lines[0] += " (staged into this commit)"
    elif squash:  # no commit made yet: the squash's own commit takes them
        lines.append("gtsd-tui: the renames are staged with the squashed changes: the squash's commit takes them")
    elif _dirty(top, folder):
        msg = COMMIT_MESSAGE.format(what=what)
        import shlex

        lines.append(f"gtsd-tui: the renames are staged; commit them: git commit -m {shlex.quote(msg)}")
    return 0, lines


def _dirty(top: Path, folder: Path) -> bool:
    return bool(git_out(top, "status", "--porcelain", "--", str(folder.resolve())))


def post_merge(top: Path, folder: Path, squash: str) -> tuple[int, list[str]]:
    if squash == "1":
        return _post_squash(top, folder)
    parents = git_out(top, "rev-list", "--parents", "-n1", "HEAD").split()
    orig = git(top, "rev-parse", "-q", "--verify", "ORIG_HEAD").stdout.decode().strip()
    if len(parents) == 3 and parents[1] == orig:
        return finish(top, folder, parents[1], parents[2], "merge")
    merge_head = git_path(top, "MERGE_HEAD")
    if merge_head.is_file():
        return finish(top, folder, "HEAD", merge_head.read_text().split()[0], "merge")
    return 0, _commutativity(folder) if (folder.is_dir() and not (folder / "meta" / "_journal.json").exists()) else []


def _squashed_head() -> str | None:
    """The commit ``git merge --squash`` merged: git names each merged commit to the merge's processes in
    ``GITHEAD_<commit>`` (its driver and its hooks); None unless exactly one (an octopus squash)."""
    heads = [k[len("GITHEAD_") :] for k in os.environ if k.startswith("GITHEAD_")]
    if len(heads) != 1 or len(heads[0]) not in (40, 64) or not all(c in "0123456789abcdef" for c in heads[0]):
        return None
    return heads[0]


def _post_squash(top: Path, folder: Path) -> tuple[int, list[str]]:
    """``git merge --squash``: no commit is made and no ``MERGE_HEAD`` written, but the driver merged the
    journal and snapshots all the same. The renames are made and staged now, with the squashed changes,
    as after a merge; they go into the commit that concludes the squash (whose pre-commit checks them)."""
    theirs = _squashed_head()
    if theirs is None or not (folder / "meta" / "_journal.json").is_file():
        return 0, [f"gtsd-tui: squash merge: run `gtsd-tui check --migrations {folder}` before committing"]
    return finish(top, folder, "HEAD", theirs, "squash merge", squash=True)


def post_rewrite(top: Path, folder: Path, kind: str, stdin: str) -> tuple[int, list[str]]:
    if kind != "rebase":
        return 0, []
    pairs = [ln.split()[:2] for ln in stdin.splitlines() if len(ln.split()) >= 2]
    if not pairs:
        return 0, []
    first_new = pairs[0][1]
    onto = git(top, "rev-parse", "-q", "--verify", f"{first_new}^").stdout.decode().strip()
    if not onto:
        return 0, []
    return finish(top, folder, onto, pairs[-1][0], "rebase")


def pre_commit(top: Path, folder: Path, merge_head: Path | None = None) -> tuple[int, list[str]]:
    """Refuse a broken folder. When the commit concludes a merge that stopped on another conflict (a
    TypeScript schema, say) or ran with ``--no-commit``, post-merge never ran: its renames are made
    and staged into this commit first. ``merge_head``: where ``MERGE_HEAD`` is, when the caller
    already asked git (else asked here)."""
    from gtsd_tui.core.merging.conflicts import check_folder
    from gtsd_tui.core.migrations.folder import load_folder
    from gtsd_tui.errors import GtsdError

    if not folder.is_dir():
        return 0, []
    said: list[str] = []
    if merge_head is None:
        merge_head = git_path(top, "MERGE_HEAD")
    if merge_head.is_file() and (folder / "meta" / "_journal.json").is_file():
        _, said = finish(top, folder, "HEAD", merge_head.read_text().split()[0], "merge", committing=True)
    elif git(top, "diff", "--cached", "--quiet", "--", str(folder.resolve())).returncode == 0:
        return 0, []  # the commit does not touch the folder: nothing of it to refuse
    try:
        found = check_folder(load_folder(folder, allow_empty=True))
    except GtsdError as exc:
        return 1, [f"gtsd-tui pre-commit: refused: {exc} (git commit --no-verify skips this check)"]
    bad = [f for f in found if f.code in REFUSED and f.severity == Severity.ERROR or f.code == "nul-byte"]
    lines = [f"gtsd-tui pre-commit: refused: {f.code}: {_named(folder, f.files)}: {f.message}" for f in bad]
    if lines:
        lines.append("gtsd-tui pre-commit: fix the folder (`gtsd-tui renumber`), or git commit --no-verify skips this")
    return (1 if bad else 0), said + lines


def _named(folder: Path, files: tuple[str, ...] | list[str]) -> str:
    return ", ".join(str(folder / f) for f in files) if files else str(folder)
