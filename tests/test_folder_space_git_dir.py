"""Where renumber's workspace lives in a git work tree, worked out without starting git (every command
that opens the folder asks, from ``recover`` and ``read_stable``): the same path as
``git rev-parse --git-path`` in a plain repository, its subfolders, a nested repository and no
repository; git itself is asked for a linked work tree, a submodule-style ``.git`` file and when git's
discovery variables are set."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from gtsd_tui.services import folder_space as fl
from tests.helpers.git import git


def by_git(folder: Path) -> Path | None:
    return fl._git_dir_by_git(str(folder.resolve()))


def repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    (path / "f.txt").write_text("x\n")
    git(path, "add", ".")
    git(path, "commit", "-qm", "first")
    return path


def test_plain_repository_and_its_subfolders(tmp_path: Path) -> None:
    top = repo(tmp_path / "app")
    for folder in (top, top / "drizzle", top / "packages" / "db" / "drizzle"):
        folder.mkdir(parents=True, exist_ok=True)
        found = fl._plain_git_dir(folder)
        assert found is not False and found == by_git(folder) is not None, folder
        assert found == (top / ".git" / "gtsd-renumber" / fl.folder_hash(folder)).resolve()


def test_nested_repository_is_the_nearer_one(tmp_path: Path) -> None:
    repo(tmp_path / "outer")
    inner = repo(tmp_path / "outer" / "vendor" / "inner")
    folder = inner / "drizzle"
    folder.mkdir()
    assert fl._plain_git_dir(folder) == by_git(folder) == (inner / ".git/gtsd-renumber" / fl.folder_hash(folder))


def test_no_repository(tmp_path: Path) -> None:
    folder = tmp_path / "drizzle"
    folder.mkdir()
    if by_git(folder) is not None:
        pytest.skip(f"{tmp_path} is inside a git work tree")
    assert fl._plain_git_dir(folder) is None


def test_a_linked_work_tree_and_a_submodule(tmp_path: Path) -> None:
    top = repo(tmp_path / "app")
    git(top, "worktree", "add", "-q", str(tmp_path / "wt"))
    folder = tmp_path / "wt" / "drizzle"
    folder.mkdir()
    assert fl._plain_git_dir(folder) == by_git(folder) is not None  # the work tree's own git directory
    assert "worktrees" in str(by_git(folder))
    lib = repo(tmp_path / "lib")
    git(top, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "vendor/lib")
    sub = top / "vendor" / "lib" / "drizzle"
    sub.mkdir()
    assert (top / "vendor/lib/.git").is_file()
    assert fl._plain_git_dir(sub) == by_git(sub) is not None
    assert "modules" in str(by_git(sub))


def test_a_dot_git_file_naming_nothing_asks_git(tmp_path: Path) -> None:
    top = repo(tmp_path / "app")
    (top / "sub").mkdir()
    (top / "sub" / ".git").write_text("gitdir: /nonexistent/place\n")
    assert fl._plain_git_dir(top / "sub") is False


def test_git_variables_make_it_ask_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    top = repo(tmp_path / "app")
    monkeypatch.setenv("GIT_DIR", str(top / ".git"))
    assert fl._plain_git_dir(top) is False


def test_an_empty_dot_git_directory_asks_git(tmp_path: Path) -> None:
    top = repo(tmp_path / "app")
    inner = tmp_path / "app" / "sub"
    (inner / ".git").mkdir(parents=True)  # not a repository: git walks on up to app/.git
    assert fl._plain_git_dir(inner) is False
    assert by_git(inner) == (top / ".git/gtsd-renumber" / fl.folder_hash(inner)).resolve()


def test_check_starts_no_git_in_a_plain_repository(tmp_path: Path, sample: Path) -> None:
    """``check --offline`` on a folder of a plain repository, with ``git`` on PATH a script that records
    its calls: none (the folder has no conflict markers, and the workspace path needs no git)."""
    import shutil
    import sys

    top = repo(tmp_path / "app")
    shutil.copytree(sample, top / "migrations")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "git-calls"
    real = shutil.which("git")
    (bin_dir / "git").write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec {real} "$@"\n')
    (bin_dir / "git").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("GIT_")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    r = subprocess.run(
        [sys.executable, "-m", "gtsd_tui", "check", "--offline", "--migrations", str(top / "migrations")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert not calls.exists(), calls.read_text()
