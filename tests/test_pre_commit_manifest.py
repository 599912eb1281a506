"""The manifest for the pre-commit framework (``.pre-commit-hooks.yaml``), run by the real
``pre-commit try-repo`` from this repository on a broken folder: it fails and names the problem.
The hooks are ``language: system``: nothing is fetched (no index needed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers.git import ENV, base_repo, git

pytest.importorskip("pre_commit")


def hooks_clone(tmp: Path) -> Path:
    """A local clone of this repository's manifest as it is in the work tree (edits included)."""
    clone = tmp / "hooks-clone"
    if not clone.exists():
        clone.mkdir()
        git(clone, "init", "-q")
        shutil.copy(ROOT / ".pre-commit-hooks.yaml", clone / ".pre-commit-hooks.yaml")
        git(clone, "add", ".")
        git(clone, "commit", "-qm", "manifest")
    return clone


def try_repo(repo: Path, hook: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **ENV, "PRE_COMMIT_HOME": str(tmp / "pc-home")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # the gtsd-tui under test
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hooks_clone(tmp)), hook, "--all-files"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_hook_fails_on_a_broken_folder(tmp_path: Path, sample: Path) -> None:
    repo = base_repo(tmp_path, sample)
    ok = try_repo(repo, "gtsd-check", tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    shutil.copy(repo / "migrations/0003_today_checklist.sql", repo / "migrations/0003_again.sql")
    git(repo, "add", "-A")
    bad = try_repo(repo, "gtsd-check", tmp_path)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "duplicate-prefix" in bad.stdout and "0003_again.sql" in bad.stdout, bad.stdout


def test_lint_hook_fails_on_an_unsafe_migration(tmp_path: Path, sample: Path) -> None:
    repo = base_repo(tmp_path, sample)
    (repo / "migrations/0004_drop.sql").write_text('ALTER TABLE "users" ADD COLUMN "n" integer NOT NULL;\n')
    git(repo, "add", "-A")
    bad = try_repo(repo, "gtsd-lint", tmp_path)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "0004_drop.sql" in bad.stdout, bad.stdout
