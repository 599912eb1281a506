"""Folder states for the renumber crash tests: whole-tree bytes, forked CLI runs, kill-at-step loops."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.git import git

UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FUTURE = 2_000_000_000_000  # whens above the clock: renumber's re-stamps are then floor + 1, deterministic


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under the folder (hidden ones included), by relative path."""
    out: dict[str, bytes] = {}
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            p = Path(dirpath) / name
            out[str(p.relative_to(folder))] = p.read_bytes()
    for dirpath, dirs, _files in os.walk(folder):  # empty folders count too
        for d in dirs:
            p = Path(dirpath) / d
            if not any(p.iterdir()):
                out[str(p.relative_to(folder)) + "/"] = b""
    return out


def sql_texts(state: dict[str, bytes]) -> Counter[bytes]:
    return Counter(v for k, v in state.items() if k.endswith(".sql"))


def normalized(state: dict[str, bytes], known: set[bytes]) -> dict[str, bytes]:
    """Snapshot ids renumber made up (uuid4) replaced by tokens in order of first appearance."""
    tokens: dict[bytes, bytes] = {}

    def sub(m: re.Match[bytes]) -> bytes:
        u = m.group(0)
        if u in known:
            return u
        return tokens.setdefault(u, b"<new-id-%d>" % len(tokens))

    return {k: UUID.sub(sub, state[k]) for k in sorted(state)}


def uuids(state: dict[str, bytes]) -> set[bytes]:
    return {u for v in state.values() for u in UUID.findall(v)}


def only_migrations(state: dict[str, bytes]) -> list[str]:
    """Paths that are neither a top-level .sql file nor under meta/ (must be none)."""
    return [k for k in state if not ((k.endswith(".sql") and "/" not in k) or k.startswith("meta/"))]


def run_forked(argv: list[str], env: dict[str, str] | None = None) -> int:
    """``gtsd-tui ARGV`` in a forked child (fast, and killable by the kill hook); -N for signal N."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 70
        try:
            os.environ.pop("DATABASE_URL", None)
            os.environ.update(env or {})
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            from gtsd_tui.cli import main

            code = main(argv)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def git_status(repo: Path | None) -> str | None:
    return None if repo is None else git(repo, "status", "--porcelain").stdout


def workspaces(folder: Path) -> list[Path]:
    """Where renumber's workspace may be: under .git/ (any folder's) and next to the folder."""
    found = [p for p in folder.parent.iterdir() if p.name.startswith(".") and "gtsd-renumber" in p.name]
    top = subprocess.run(["git", "rev-parse", "--git-common-dir"], cwd=folder, capture_output=True, text=True)
    if top.returncode == 0:
        gd = (folder / top.stdout.strip()).resolve()
        found += [p for p in gd.rglob("gtsd-renumber*")]
    return found + [p for p in folder.rglob(".*")]


@dataclass
class Shape:
    root: Path  # copied whole for each run (a git repo or a plain folder's parent)
    folder_rel: str  # the migrations folder under root
    git: bool


@dataclass
class Outcome:
    step: int
    code: int
    which: str  # "before" or "after"


def states_of(shape: Shape, dest: Path) -> tuple[Path, Path | None]:
    shutil.copytree(shape.root, dest, symlinks=True)
    return dest / shape.folder_rel, (dest if shape.git else None)


def reference(shape: Shape, scratch: Path) -> tuple[dict[str, bytes], dict[str, bytes], set[bytes], tuple]:
    """(before, after normalized, uuids of before, (git status before, after)) of an uninterrupted run."""
    folder, repo = states_of(shape, scratch / "reference")
    before = tree(folder)
    status_before = git_status(repo)
    code = run_forked(["renumber", "--yes", "--offline", "--migrations", str(folder)])
    assert code == 0, f"uninterrupted renumber exited {code}"
    after = tree(folder)
    assert after != before, "the plan changed nothing"
    assert only_migrations(after) == [], only_migrations(after)
    assert sql_texts(after) == sql_texts(before)
    assert workspaces(folder) == []
    known = uuids(before)
    return before, normalized(after, known), known, (status_before, git_status(repo))


def kill_every_step(shape: Shape, scratch: Path, max_steps: int = 200) -> list[Outcome]:
    """Kill renumber after step 1, 2, ... until it finishes; after each, recover with ``check``."""
    before, after, known, (git_before, git_after) = reference(shape, scratch)
    outcomes: list[Outcome] = []
    for step in range(1, max_steps):
        folder, repo = states_of(shape, scratch / f"k{step}")
        code = run_forked(
            ["renumber", "--yes", "--offline", "--migrations", str(folder)], {"GTSD_TEST_KILL_AFTER_STEP": str(step)}
        )
        assert code in (0, -9), (step, code)
        run_forked(["check", "--offline", "--migrations", str(folder)])  # any command recovers
        got = tree(folder)
        assert sql_texts(got) == sql_texts(before), f"step {step}: SQL text lost or duplicated"
        if got == before:
            which = "before"
            assert git_status(repo) == git_before, step
        else:
            assert normalized(got, known) == after, f"step {step}: neither before nor after"
            which = "after"
            assert git_status(repo) == git_after, step
        assert workspaces(folder) == [], (step, workspaces(folder))
        outcomes.append(Outcome(step, code, which))
        shutil.rmtree(scratch / f"k{step}")
        if code == 0:
            break
    assert outcomes[-1].code == 0, "renumber never finished"
    return outcomes
