"""The console's folder watch (``services/files.folder_signature``): a ``git checkout`` changes the
signature even when the migrations are the same on both branches, in the main work tree and in a
linked one (``git worktree add``: its ``.git`` is a file naming its own HEAD and index), where a
branch database's switch must be seen too."""

from __future__ import annotations

import shutil
from pathlib import Path

from gtsd_tui.services.files import folder_signature
from tests.helpers.git import git


def _repo(tmp_path: Path, sample: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shutil.copytree(sample, repo / "migrations")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    git(repo, "branch", "other")
    return repo


def test_a_checkout_changes_the_signature_in_the_main_work_tree(tmp_path: Path, sample: Path) -> None:
    repo = _repo(tmp_path, sample)
    before = folder_signature(repo / "migrations")
    git(repo, "checkout", "-q", "other")
    assert folder_signature(repo / "migrations") != before


def test_a_checkout_changes_the_signature_in_a_linked_work_tree(tmp_path: Path, sample: Path) -> None:
    repo = _repo(tmp_path, sample)
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "-b", "third", str(linked))
    assert (linked / ".git").is_file()
    before = folder_signature(linked / "migrations")
    git(linked, "checkout", "-q", "other")
    assert folder_signature(linked / "migrations") != before
