"""``gtsd-tui git install`` / ``uninstall``: the merge driver, the hooks, and nothing lost.

What install writes (documented in docs/git.md):

* ``.gitattributes`` (work tree top): a block giving ``<folder>/meta/_journal.json`` and
  ``<folder>/meta/*_snapshot.json`` the driver ``merge=gtsd-drizzle``;
* the clone's git config: ``merge.gtsd-drizzle.name`` and ``merge.gtsd-drizzle.driver``;
* one script per entry of :data:`HOOKS` in the hooks directory (``core.hooksPath`` honoured); a hook
  that was there is kept byte for byte in ``$GIT_DIR/gtsd-git/chained/<name>`` and runs first; in a
  hooks folder inside the work tree (tracked, so shared by every clone) it is kept beside ours as
  ``<name>.before-gtsd-tui``, so that it travels with the folder and runs first in every clone;
* ``$GIT_DIR/gtsd-git/state.json``: every file's original bytes and mode, and the config values
  that were there, so that uninstall restores every byte.

Where a hook manager owns the hooks (the pre-commit framework, lefthook), no hook is written: the
lines to add to its configuration are returned instead. Adding a hook is one more :data:`HOOKS` entry.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from gtsd_tui.errors import InputError
from gtsd_tui.services.git_merge import git, git_out, git_path

DRIVER = "gtsd-drizzle"
STATE_DIR = "gtsd-git"
BLOCK_START = "# >>> gtsd-tui merge driver (gtsd-tui git install; every developer runs it once per clone)"
BLOCK_END = "# <<< gtsd-tui merge driver"
HOOK_MARK = "# gtsd-tui git hook"


@dataclass(frozen=True)
class HookSpec:
    name: str
    stdin: bool = False  # git gives the hook data on stdin (post-rewrite): passed to the chained hook too
    why: str = ""


HOOKS: tuple[HookSpec, ...] = (
    HookSpec("post-merge", why="renames the incoming SQL files as the driver decided"),
    HookSpec("post-rewrite", stdin=True, why="the same after a rebase"),
    HookSpec("pre-commit", why="refuses a commit whose migrations folder is broken"),
)

POST_CHECKOUT = HookSpec("post-checkout", why="the local database follows the checked-out branch (--branch-db)")


def hooks_for(branch_db: bool) -> tuple[HookSpec, ...]:
    """The hooks install writes: :data:`HOOKS`, and ``post-checkout`` with ``--branch-db``."""
    return (*HOOKS, POST_CHECKOUT) if branch_db else HOOKS


MANAGERS = {
    ".pre-commit-config.yaml": "pre-commit",
    "lefthook.yml": "lefthook",
    "lefthook.yaml": "lefthook",
    ".lefthook.yml": "lefthook",
    ".lefthook.yaml": "lefthook",
}


ENTRY = "from gtsd_tui.start import git; git()"


def python_command() -> str:
    """``'<python>' -c '...entry()'``: what git runs (the `-m gtsd_tui` start-up, ~0.1 s more, saved)."""
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(ENTRY)}"


def driver_command() -> str:
    return f"{python_command()} driver %O %A %B %P %L"


def hook_command(spec: HookSpec, rel: str) -> str:
    return f"{python_command()} hook {spec.name} --migrations {shlex.quote(rel)}"


def _is_ours(script: bytes) -> bool:
    """A hook :func:`hook_script` wrote: found by an install in another clone of a repository whose hooks
    folder is tracked (``core.hooksPath``), it is not an existing hook to chain: chained, ours ran twice
    at every merge, the second time through a path into the other clone's git folder."""
    return script.startswith(f"#!/bin/sh\n{HOOK_MARK} (".encode())


BESIDE = ".before-gtsd-tui"  # the suffix of a hook kept beside ours in a hooks folder of the work tree


def hook_script(spec: HookSpec, rel: str, chained: Path | None) -> str:
    """``chained``: where the hook that was there is kept; None: beside the script (``<name>.before-gtsd-tui``
    in the script's own folder, wherever the clone is)."""
    feed = 'printf "%s" "$input" | ' if spec.stdin else ""
    where = f'"$(dirname "$0")/{spec.name}{BESIDE}"' if chained is None else shlex.quote(str(chained))
    lines = [
        "#!/bin/sh",
        f"{HOOK_MARK} ({spec.name}: {spec.why}). `gtsd-tui git uninstall` puts back what was here.",
        f"chained={where}",
    ]
    if spec.stdin:
        lines.append("input=$(cat; echo x); input=${input%x}")
    python = shlex.quote(sys.executable)
    lines += [
        "status=0",
        f'if [ -x "$chained" ]; then {feed}"$chained" "$@" || status=$?; fi',
        f"if [ ! -x {python} ]; then",
        f'  echo "gtsd-tui: {spec.name} hook skipped: {python} is gone; run gtsd-tui git install again" >&2',
        "  exit $status",
        "fi",
        f'{feed}{hook_command(spec, rel)} "$@" || status=$?',
        "exit $status",
        "",
    ]
    return "\n".join(lines)


def attr_pattern(literal_dir: str, glob_tail: str) -> str:
    """A gitattributes pattern for the folder ``literal_dir`` (taken literally: its ``*?[\\`` are escaped
    for git's wildmatch) followed by ``glob_tail``. A pattern with whitespace, a quote or a control
    character is written C-quoted, as gitattributes(5) reads it ("Patterns that begin with a double
    quote are quoted in C style"); a bare one otherwise, so the common case reads as people write it."""
    pattern = re.sub(r"([*?\[\\])", r"\\\1", literal_dir) + glob_tail
    if not re.search(r'[\s"\x00-\x1f\x7f]', pattern):
        return pattern
    escapes = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n", "\r": "\\r"}
    body = "".join(escapes.get(c, f"\\{ord(c):03o}" if ord(c) < 32 or ord(c) == 127 else c) for c in pattern)
    return f'"{body}"'


def attributes_block(rel: str) -> str:
    rel = rel.replace(os.sep, "/").strip("/")
    prefix = "/" if rel in ("", ".") else f"/{rel}/"
    journal = attr_pattern(prefix, "meta/_journal.json")
    snapshots = attr_pattern(prefix, "meta/*_snapshot.json")
    return f"{BLOCK_START}\n{journal} merge={DRIVER}\n{snapshots} merge={DRIVER}\n{BLOCK_END}\n"


def _top(folder: Path) -> Path:
    start = folder if folder.is_dir() else folder.parent
    while not start.exists():
        start = start.parent
    r = git(start, "rev-parse", "--show-toplevel")
    if r.returncode != 0 or not r.stdout.strip():
        raise InputError(f"{folder}: not in a git work tree (gtsd-tui git install runs in a repository)")
    return Path(r.stdout.decode().strip())


def _manager(top: Path, hooks_dir: Path) -> str | None:
    for name, manager in MANAGERS.items():
        if (top / name).is_file():
            return manager
    for spec in hooks_for(True):
        p = hooks_dir / spec.name
        if p.is_file():
            head = p.read_bytes()[:4096]
            if b"File generated by pre-commit" in head:
                return "pre-commit"
            if b"lefthook" in head:
                return "lefthook"
    return None


def manager_lines(manager: str, rel: str, hooks: tuple[HookSpec, ...] = HOOKS) -> list[str]:
    if manager == "pre-commit":
        types = " ".join(f"-t {s.name}" for s in hooks)
        out = [f"# add to .pre-commit-config.yaml (then `pre-commit install {types}`)"]
        out += ["- repo: local", "  hooks:"]
        for spec in hooks:
            out += [
                f"    - id: gtsd-tui-{spec.name}",
                f"      name: gtsd-tui {spec.name}",
                f"      entry: {hook_command(spec, rel)}",
                "      language: system",
                "      pass_filenames: false",
                "      always_run: true",
                f"      stages: [{spec.name}]",
            ]
        return out
    out = ["# add to lefthook.yml"]
    for spec in hooks:
        out += [f"{spec.name}:", "  commands:", "    gtsd-tui:", f"      run: {hook_command(spec, rel)} {{0}}"]
        if spec.stdin:
            out.append("      use_stdin: true")
    return out


def _snapshot(path: Path) -> dict[str, object]:
    if not path.exists() and not path.is_symlink():
        return {"bytes": None, "mode": None}
    return {"bytes": base64.b64encode(path.read_bytes()).decode(), "mode": path.stat().st_mode & 0o7777}


def _config_get(top: Path, key: str) -> str | None:
    r = git(top, "config", "--local", "--get", key)
    return r.stdout.decode().rstrip("\n") if r.returncode == 0 else None


def default_mainline(top: Path) -> list[str]:
    """The branches whose migrations never move: origin's HEAD branch, else main / master (and their
    remote-tracking refs), those that exist."""
    found = []
    head = git(top, "symbolic-ref", "-q", "--short", "refs/remotes/origin/HEAD")
    names = [head.stdout.decode().strip().split("/", 1)[-1]] if head.returncode == 0 else ["main", "master"]
    for name in names:
        for ref in (name, f"origin/{name}"):
            if git(top, "rev-parse", "-q", "--verify", f"{ref}^{{commit}}").returncode == 0:
                found.append(ref)
    return found


def install(folder: Path, mainline: list[str] | None = None, *, branch_db: bool = False) -> list[str]:
    """Install driver, attributes and hooks for ``folder`` (``branch_db``: and ``post-checkout``, the
    database per branch); the lines to print."""
    hooks = hooks_for(branch_db)
    top = _top(folder)
    rel = os.path.relpath(folder.resolve() if folder.exists() else folder.absolute(), top.resolve())
    if rel.startswith(".."):
        raise InputError(f"{folder}: outside the git work tree {top}")
    out: list[str] = []
    state_dir = git_path(top, STATE_DIR)
    if (state_dir / "state.json").is_file():
        uninstall(folder)
        out.append("gtsd-tui: already installed: reinstalled")
    hooks_dir = git_path(top, "hooks")
    manager = _manager(top, hooks_dir)
    keys = [f"merge.{DRIVER}.name", f"merge.{DRIVER}.driver", f"merge.{DRIVER}.mainline"]
    section_existed = git(top, "config", "--local", "--get-regexp", rf"^merge\.{DRIVER}\.").returncode == 0
    files: dict[str, Path] = {"gitattributes": top / ".gitattributes"}
    in_tree = _in_work_tree(top, hooks_dir)
    if manager is None:
        files.update({f"hook:{s.name}": hooks_dir / s.name for s in hooks})
        if in_tree:
            files.update({f"kept:{s.name}": hooks_dir / f"{s.name}{BESIDE}" for s in hooks})
    state = {
        "folder": rel,
        "files": {str(p): _snapshot(p) for p in files.values()},
        "config": {k: _config_get(top, k) for k in keys},
        "section_existed": section_existed,
        "manager": manager,
        "branch_db": branch_db,
    }
    (state_dir / "chained").mkdir(parents=True, exist_ok=True)
    (state_dir / "state.json").write_text(json.dumps(state, indent=1))  # before anything changes
    attrs = files["gitattributes"]
    old = attrs.read_text() if attrs.exists() else ""
    sep = "" if not old or old.endswith("\n") else "\n"
    attrs.write_text(old + sep + attributes_block(rel))
    git_out(top, "config", "--local", keys[0], "gtsd-tui: drizzle migrations journal and snapshots")
    git_out(top, "config", "--local", keys[1], driver_command())
    refs = mainline if mainline is not None else default_mainline(top)
    if refs:
        git_out(top, "config", "--local", keys[2], " ".join(refs))
    out.append(f"gtsd-tui: merge driver {DRIVER} set for {rel}/meta/ in .gitattributes and this clone's git config")
    if refs:
        out.append(f"gtsd-tui: migrations on {', '.join(refs)} never move (merged into a branch, the branch's do)")
    if manager is not None:
        out.append(f"gtsd-tui: {manager} manages this repository's hooks; no hook written. Add:")
        out += manager_lines(manager, rel, hooks)
        return out
    hooks_dir.mkdir(parents=True, exist_ok=True)
    for spec in hooks:
        path = hooks_dir / spec.name
        chained = hooks_dir / f"{spec.name}{BESIDE}" if in_tree else state_dir / "chained" / spec.name
        existing = path.read_bytes() if path.exists() else None
        ours = existing is not None and _is_ours(existing)
        if existing is not None and not ours:
            chained.write_bytes(existing)
            chained.chmod(path.stat().st_mode & 0o7777)
        path.write_text(hook_script(spec, rel, None if in_tree else chained))
        path.chmod(0o755)
        kept = " (the existing hook is kept and runs first)" if chained.exists() else ""
        if in_tree and chained.exists():
            kept = f" (the existing hook is kept beside it as {chained.name} and runs first: commit both)"
        kept = " (replaces a gtsd-tui hook another clone wrote; uninstall puts it back)" if ours else kept
        out.append(f"gtsd-tui: hook {path}{kept}")
    if branch_db:
        out.append("gtsd-tui: the local database now follows the checked-out branch (docs/local-database.md)")
    return out


def _in_work_tree(top: Path, hooks_dir: Path) -> bool:
    """The hooks folder is one of the work tree's (``core.hooksPath`` such as ``.githooks``): tracked or
    trackable, shared by every clone; not ``.git/hooks`` nor a folder outside the work tree."""
    rel = os.path.relpath(os.path.realpath(hooks_dir), os.path.realpath(top))
    return not rel.startswith("..") and rel.split(os.sep)[0] not in (".", ".git")


def uninstall(folder: Path) -> list[str]:
    top = _top(folder)
    state_dir = git_path(top, STATE_DIR)
    try:
        state = json.loads((state_dir / "state.json").read_text())
    except FileNotFoundError:
        return ["gtsd-tui: not installed in this clone; nothing changed"]
    except (OSError, ValueError) as exc:
        raise InputError(f"{state_dir / 'state.json'}: unreadable: {exc}") from None
    for name, snap in state["files"].items():
        path = Path(name)
        if snap["bytes"] is None:
            if path.exists() or path.is_symlink():
                path.unlink()
        else:
            path.write_bytes(base64.b64decode(snap["bytes"]))
            path.chmod(int(snap["mode"]))
    if not state["section_existed"]:
        git(top, "config", "--local", "--remove-section", f"merge.{DRIVER}")
    else:
        for key, value in state["config"].items():
            if value is None:
                git(top, "config", "--local", "--unset", key)
            else:
                git(top, "config", "--local", key, value)
    import shutil

    shutil.rmtree(state_dir, ignore_errors=True)
    return [f"gtsd-tui: uninstalled: {len(state['files'])} file(s) and the git config restored"]
