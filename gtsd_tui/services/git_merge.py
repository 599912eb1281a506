"""The merge of a migrations folder as ``git merge`` / ``git rebase`` make it with the gtsd-tui driver.

Both sides are read as folders from git's objects (ours: the branch merged into, or the rebase's
``onto``; theirs: the incoming commit; base: their merge base). The decision is the renumber
engine's (:func:`gtsd_tui.core.merging.renumber.plan_renumber` on the union of both sides, every migration
of ours kept): ours' migrations keep their names, bytes and ``when``; theirs' go after them, their
snapshots merged three-way. The resulting folder (the *model*) is computed once per
(folder, ours, theirs) and kept in ``$GIT_DIR/gtsd-merge/<key>/`` so that the driver, called once
per conflicted file, and the hooks read the same decision. Only git, the standard library and the
pure ``core`` modules are imported here, and what only the first call needs is imported there:
the driver must start fast.
"""

from __future__ import annotations

import marshal
import os

from gtsd_tui.errors import InputError

TYPE_CHECKING = False
if TYPE_CHECKING:  # the driver's path (a cached model) imports neither pathlib, typing nor subprocess
    from pathlib import Path

CACHE_DIR = "gtsd-merge"
# the decision in the cache entry, read by every driver call: marshal (builtin) rather than json, whose
# import (and re's) is a good part of the driver's start
MODEL = "model.marshal"


GIT_TIMEOUT = 120.0  # seconds


class Ran:
    """A finished git call: what ``subprocess.run`` gives (``args``, ``returncode``, ``stdout``, ``stderr``)."""

    __slots__ = ("args", "returncode", "stdout", "stderr")

    def __init__(self, args: list[str], returncode: int, stdout: bytes, stderr: bytes) -> None:
        self.args, self.returncode, self.stdout, self.stderr = args, returncode, stdout, stderr


def git(top: str | Path, *args: str, stdin: bytes | None = None) -> Ran:
    """``git ARGS`` in ``top``, its outputs captured, killed after GIT_TIMEOUT (``TimeoutExpired``).

    In the current directory and without input (the driver's calls: git starts it in the work tree),
    the child is started with ``os.posix_spawnp`` and read with ``select``: the driver's start does not
    import ``subprocess`` (with its threading, selectors and locale), a fifth of that start."""
    argv = ["git", *args]
    if stdin is None and hasattr(os, "posix_spawnp") and os.fspath(top) == os.getcwd():
        return _spawned(argv)
    import subprocess

    r = subprocess.run(argv, cwd=top, capture_output=True, input=stdin, timeout=GIT_TIMEOUT)
    return Ran(argv, r.returncode, r.stdout, r.stderr)


def _spawned(argv: list[str]) -> Ran:
    """``subprocess.run(argv, capture_output=True, timeout=GIT_TIMEOUT)`` on ``os.posix_spawnp``: the
    same environment and standard input, SIGPIPE (and SIGXFSZ) back to their defaults in the child as
    subprocess restores them, both outputs read as they come (no pipe fills up), the exit code or
    ``-signal``."""
    import _signal  # (builtin, loaded at every interpreter start)
    import select
    import time

    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        pid = os.posix_spawnp(
            argv[0],
            argv,
            os.environ,
            file_actions=[(os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)],
            setsigdef=[getattr(_signal, n) for n in ("SIGPIPE", "SIGXFSZ") if hasattr(_signal, n)],
        )
    except BaseException:
        os.close(out_r)
        os.close(err_r)
        raise
    finally:
        os.close(out_w)
        os.close(err_w)
    got: dict[int, list[bytes]] = {out_r: [], err_r: []}
    reading = [out_r, err_r]
    deadline = time.monotonic() + GIT_TIMEOUT
    try:
        while reading:
            left = deadline - time.monotonic()
            ready = select.select(reading, [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                os.kill(pid, _signal.SIGKILL)
                os.waitpid(pid, 0)
                import subprocess

                raise subprocess.TimeoutExpired(argv, GIT_TIMEOUT)
            for fd in ready:
                data = os.read(fd, 1 << 16)
                if data:
                    got[fd].append(data)
                else:
                    reading.remove(fd)
        status = os.waitpid(pid, 0)[1]
    finally:
        os.close(out_r)
        os.close(err_r)
    return Ran(argv, os.waitstatus_to_exitcode(status), b"".join(got[out_r]), b"".join(got[err_r]))


def git_out(top: str | Path, *args: str) -> str:
    r = git(top, *args)
    if r.returncode != 0:
        why = r.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"git {' '.join(args)}: {why[0] if why else 'failed'}")
    return r.stdout.decode("utf-8", "replace").strip()


def git_path(top: str | Path, name: str) -> Path:
    from pathlib import Path

    p = Path(git_out(top, "rev-parse", "--git-path", name))
    return p if p.is_absolute() else Path(top) / p


def folder_files(top: Path, commit: str, rel: str) -> dict[str, bytes]:
    """Every file of the folder ``rel`` in ``commit`` (paths relative to the folder)."""
    listing = git(top, "ls-tree", "-r", "-z", "--full-tree", commit, "--", rel)
    if listing.returncode != 0:
        return {}
    items: list[tuple[str, str]] = []
    for rec in listing.stdout.split(b"\0"):
        if not rec:
            continue
        meta, raw_path = rec.split(b"\t", 1)
        mode, kind, oid = meta.decode().split()
        if kind == "blob" and mode != "120000":
            items.append((raw_path.decode("utf-8", "surrogateescape"), oid))
    if not items:
        return {}
    batch = git(top, "cat-file", "--batch", stdin="".join(f"{oid}\n" for _, oid in items).encode())
    out: dict[str, bytes] = {}
    data, pos = batch.stdout, 0
    prefix = rel.rstrip("/") + "/"
    for name, _ in items:
        nl = data.index(b"\n", pos)
        size = int(data[pos:nl].split()[2])
        out[name[len(prefix) :] if name.startswith(prefix) else name] = data[nl + 1 : nl + 1 + size]
        pos = nl + 1 + size + 1
    return out


def _markers(ours: bytes, theirs: bytes) -> bytes:
    return b"<<<<<<< ours\n" + ours + b"\n=======\n" + theirs + b"\n>>>>>>> theirs\n"


class Model:
    """The folder after the merge, and what the decision says about it (a plain class: the
    driver's start-up does not import dataclasses)."""

    def __init__(
        self,
        files: dict[str, bytes] | None = None,
        renamed: list[tuple[str, str]] | None = None,
        clashes: list[str] | None = None,
        problem: str | None = None,
        layout: str = "v0",
    ) -> None:
        from gtsd_tui.core.vocab import Layout  # a StrEnum: the cached decision's "v1" compares as Layout.V1

        self.files = files if files is not None else {}
        self.renamed = renamed if renamed is not None else []  # theirs' file -> its new name
        self.clashes = clashes if clashes is not None else []  # one line per clashing object
        self.problem = problem  # why no decision could be made (an ordinary conflict then)
        self.layout = Layout(layout)

    @property
    def merged(self) -> bool:
        return self.problem is None and not self.clashes

    def to_json(self) -> dict[str, object]:
        """The decision as kept in the cache (plain values: ``marshal`` writes only those)."""
        return {"renamed": self.renamed, "clashes": self.clashes, "problem": self.problem, "layout": str(self.layout)}


def _union(base: dict[str, bytes], ours: dict[str, bytes], theirs: dict[str, bytes]) -> tuple[dict[str, bytes], str]:
    """The two folders side by side, as the renumber engine reads a conflicted merge; '' or a problem."""
    out: dict[str, bytes] = {}
    for name in sorted(set(ours) | set(theirs)):
        o, t, b = ours.get(name), theirs.get(name), base.get(name)
        if o == t or t == b or (t is None and o is not None and "/" not in name):
            pick = o  # (a migration of ours stays even where theirs renamed or deleted it)
        elif o == b:
            pick = t
        elif o is not None and t is not None and name.startswith("meta/") and name.endswith(".json"):
            pick = _markers(o, t)  # journal, snapshots: both sides, read as such by the engine
        else:
            return out, f"{name} changed differently on both branches"
        if pick is not None:
            out[name] = pick
    return out, ""


def _without_copies(ours: dict[str, bytes], theirs: dict[str, bytes]) -> dict[str, bytes]:
    """Theirs without its renamed copies of ours' migrations (a branch that merged ours' branch
    earlier holds them under the numbers it gave them then): ours' names stay, the copies go, with
    their journal entries and snapshots."""
    from gtsd_tui.core.migrations.journal import Journal, parse_journal
    from gtsd_tui.errors import GtsdError

    mine = {data for name, data in ours.items() if name.endswith(".sql") and "/" not in name}
    copies = {n for n, d in theirs.items() if n.endswith(".sql") and "/" not in n and n not in ours and d in mine}
    if not copies or "meta/_journal.json" not in theirs:
        return theirs
    try:
        journal = parse_journal(theirs["meta/_journal.json"].decode())
    except (UnicodeDecodeError, GtsdError):
        return theirs
    gone = {n[:-4] for n in copies}
    kept = [e for e in journal.entries if e.tag not in gone]
    out = {n: d for n, d in theirs.items() if n not in copies}
    still = {e.tag.split("_", 1)[0] for e in kept}
    for tag in gone:
        prefix = tag.split("_", 1)[0]
        if prefix not in still:
            out.pop(f"meta/{prefix}_snapshot.json", None)
    new = Journal(kept, journal.version, journal.dialect, [], journal.extra)
    out["meta/_journal.json"] = new.dumps().encode()
    return out


MAINLINE_KEY = "merge.gtsd-drizzle.mainline"  # refs whose migrations never move (install --mainline)


def _tags(files: dict[str, bytes]) -> set[str]:
    return {n[:-4] for n in files if n.endswith(".sql") and "/" not in n}


def mainline_refs(top: Path) -> list[str]:
    r = git(top, "config", "--get-all", MAINLINE_KEY)
    return r.stdout.decode().split() if r.returncode == 0 else []


def _mainline_comes_in(
    top: Path, rel: str, base: dict[str, bytes], ours: dict[str, bytes], theirs: dict[str, bytes]
) -> bool:
    """True when the incoming side brings the mainline's migrations into a branch (``git merge main``
    on a feature branch): then the mainline's keep their names (they may be applied in production;
    a fast-forward of main to the branch later must not rename them) and the branch's move."""
    theirs_new, ours_new = _tags(theirs) - _tags(base), _tags(ours) - _tags(base)
    if not theirs_new or not ours_new:
        return False
    on_mainline: set[str] = set()
    for ref in mainline_refs(top):
        listing = git(top, "ls-tree", "--name-only", f"{ref}:{rel}")
        if listing.returncode == 0:
            on_mainline |= {n[:-4] for n in listing.stdout.decode().splitlines() if n.endswith(".sql")}
    return theirs_new <= on_mainline and not ours_new <= on_mainline


def compute_model(top: Path, rel: str, ours: str, theirs: str) -> Model:
    """The decision for the folder ``rel`` (relative to the work tree ``top``) when merging theirs into ours."""
    from gtsd_tui.core.merging.renumber import plan_renumber
    from gtsd_tui.core.merging.renumber_text import clash_lines
    from gtsd_tui.core.migrations.folder import load_folder
    from gtsd_tui.core.migrations.journal import parse_journal
    from gtsd_tui.errors import GtsdError

    base_rev = git(top, "merge-base", ours, theirs)
    base = base_rev.stdout.decode().strip() if base_rev.returncode == 0 else ""
    o_files, t_files = folder_files(top, ours, rel), folder_files(top, theirs, rel)
    b_files = folder_files(top, base, rel) if base else {}
    if _mainline_comes_in(top, rel, b_files, o_files, t_files):
        o_files, t_files = t_files, o_files  # the mainline's migrations are the ones kept
    union, problem = _union(b_files, o_files, _without_copies(o_files, t_files))
    if problem:
        return Model(problem=problem)
    if "meta/_journal.json" not in union:  # a drizzle 1.0 folder (or none): git's text merge is right
        return Model(files=union, layout="v1")
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="gtsd-merge-") as tmp:
        root = Path(tmp) / "m"
        for name, data in union.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        try:
            kept = {e.tag for e in parse_journal(o_files["meta/_journal.json"].decode()).entries}
        except (KeyError, UnicodeDecodeError, GtsdError):
            kept = set()
        try:
            folder = load_folder(root)
            plan = plan_renumber(folder, pinned=kept, now_ms=0)
        except GtsdError as exc:
            return Model(problem=str(exc).replace(str(root) + "/", "").replace(str(root), rel))
        if plan.clashes:
            return Model(clashes=clash_lines(plan))
        files = dict(union)
        for src, dst in plan.sql_moves:
            files[dst] = files.pop(src)
        for name in plan.deletes:
            files.pop(name, None)
        files.update(plan.writes)
        return Model(files=files, renamed=list(plan.sql_moves))


def cache_key(rel: str, ours: str, theirs: str) -> str:
    import zlib  # (hashlib loads OpenSSL: too slow a start for a key made of two commit ids)

    return f"{ours[:20]}-{theirs[:20]}-{zlib.crc32(rel.encode()):08x}"


def model_for(top: str | Path, rel: str, ours: str, theirs: str, only: str | None = None) -> Model:
    """The model, computed once per (folder, ours, theirs) and kept under ``$GIT_DIR/gtsd-merge/``.

    The cache entry is built in a temporary directory and renamed into place: a reader finds it
    whole or not at all (a driver killed while building it leaves nothing that is read). ``only``: the
    one file the caller needs (the driver's), read alone from the cache. A cached model is read with
    ``os.path`` alone: the driver's start imports no pathlib."""
    # one git call: both commits and the cache's place (the driver runs once per conflicted file)
    said = git_out(top, "rev-parse", "--git-path", CACHE_DIR, f"{ours}^{{commit}}", f"{theirs}^{{commit}}")
    cache_line, ours, theirs = said.splitlines()
    root = os.path.join(top, cache_line)  # (an absolute cache_line stays as it is)
    entry = os.path.join(root, cache_key(rel, ours, theirs))
    if os.path.isfile(os.path.join(entry, MODEL)):
        return _read_entry(entry, only)
    import shutil
    import tempfile
    from pathlib import Path

    model = compute_model(Path(top), rel, ours, theirs)
    os.makedirs(root, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    try:
        for name, data in model.files.items():
            (tmp / "files" / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / "files" / name).write_bytes(data)
        (tmp / MODEL).write_bytes(marshal.dumps(model.to_json()))
        try:
            os.rename(tmp, entry)
        except OSError:  # another driver call made it meanwhile: the same decision
            pass
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return model


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _read_entry(entry: str, only: str | None) -> Model:
    meta = marshal.loads(_read_bytes(os.path.join(entry, MODEL)))
    files: dict[str, bytes] = {}
    base = os.path.join(entry, "files")
    if only is not None:
        if os.path.isfile(os.path.join(base, only)):
            files[only] = _read_bytes(os.path.join(base, only))
    else:
        for dirpath, _, names in os.walk(base):
            for n in names:
                p = os.path.join(dirpath, n)
                files[os.path.relpath(p, base)] = _read_bytes(p)
    return Model(
        files=files,
        renamed=[(a, b) for a, b in meta["renamed"]],
        clashes=list(meta["clashes"]),
        problem=meta["problem"],
        layout=meta["layout"],
    )


def forget_models(top: Path) -> None:
    """Drop every cached decision (the hooks call this once the merge is finished)."""
    import shutil

    shutil.rmtree(git_path(top, CACHE_DIR), ignore_errors=True)
