"""A real git repository for merge tests."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "merge.conflictstyle=merge", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=check,
        env={**os.environ, **ENV},
    )


def add_migration(folder: Path, suffix: str, sql: str, when: int) -> str:
    """What drizzle-kit generate does on a branch: next number, journal entry, chained snapshot."""
    journal = json.loads((folder / "meta/_journal.json").read_text())
    idx = journal["entries"][-1]["idx"] + 1
    tag = f"{idx:04d}_{suffix}"
    (folder / f"{tag}.sql").write_text(sql)
    snaps = sorted(p for p in (folder / "meta").glob("*_snapshot.json"))
    prev = json.loads(snaps[-1].read_text())
    snap = {
        "id": str(uuid.uuid4()),
        "prevId": prev["id"],
        **{k: v for k, v in prev.items() if k not in ("id", "prevId")},
    }
    (folder / "meta" / f"{idx:04d}_snapshot.json").write_text(json.dumps(snap, indent=2))
    journal["entries"].append({"idx": idx, "version": "7", "when": when, "tag": tag, "breakpoints": True})
    (folder / "meta/_journal.json").write_text(json.dumps(journal, indent=2))
    return tag


def base_repo(tmp: Path, sample: Path) -> Path:
    """A git repo at ``tmp/repo`` whose first commit, on main, holds the sample as ``migrations/``."""
    import shutil

    repo = tmp / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    shutil.copytree(sample, repo / "migrations")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    return repo


def merged_repo(tmp: Path, sample: Path, a_when: int, b_when: int) -> Path:
    """main with the sample folder; branches a and b each add a 0004; a merges b, leaving conflicts."""
    repo = base_repo(tmp, sample)
    git(repo, "checkout", "-qb", "a")
    add_migration(repo / "migrations", "a_streaks", 'CREATE TABLE IF NOT EXISTS "streaks" ("id" serial);', a_when)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "a")
    git(repo, "checkout", "-q", "main")
    git(repo, "checkout", "-qb", "b")
    add_migration(repo / "migrations", "b_badges", 'CREATE TABLE IF NOT EXISTS "badges" ("id" serial);', b_when)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "b")
    git(repo, "checkout", "-q", "a")
    merge = git(repo, "merge", "-q", "b", "--no-edit", check=False)
    assert merge.returncode != 0, "the merge was expected to conflict"
    return repo
