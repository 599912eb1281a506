"""``gtsd-tui git install`` / ``uninstall`` and the hooks, with real git on the sample folder: chained
hooks, ``core.hooksPath``, hook managers, pre-commit refusals, restore byte for byte (the driver's
start-up imports: tests/test_import_sets.py)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.helpers.git import add_migration, base_repo, git


def tree_state(repo: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mode of every file install may touch: .gitattributes, the hooks, the clone's config."""
    out = {}
    for p in [repo / ".gitattributes", repo / ".git/config", *sorted((repo / ".git/hooks").glob("*"))]:
        if p.is_file():
            out[str(p.relative_to(repo))] = (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
    husky = repo / ".husky"
    if husky.is_dir():
        for p in sorted(husky.rglob("*")):
            if p.is_file():
                out[str(p.relative_to(repo))] = (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
    return out


def install(repo: Path, *extra: str):
    return run_cli("git", "install", "--migrations", str(repo / "migrations"), *extra, cwd=repo)


def uninstall(repo: Path):
    return run_cli("git", "uninstall", "--migrations", str(repo / "migrations"), cwd=repo)


def write_hook(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def test_install_then_uninstall_restores_every_byte(tmp_path: Path, sample: Path) -> None:
    repo = base_repo(tmp_path, sample)
    (repo / ".gitattributes").write_bytes(b"*.png binary\n*.sql text eol=lf")  # no final newline
    write_hook(repo / ".git/hooks/post-merge", "echo theirs >> ../post-merge-ran")
    git(repo, "config", "--local", "user.name", "someone")
    before = tree_state(repo)
    r = install(repo)
    assert r.returncode == 0, r.stdout + r.stderr
    after = tree_state(repo)
    assert after != before
    attrs = (repo / ".gitattributes").read_text()
    assert attrs.startswith("*.png binary\n*.sql text eol=lf\n")
    assert "/migrations/meta/_journal.json merge=gtsd-drizzle" in attrs
    assert "/migrations/meta/*_snapshot.json merge=gtsd-drizzle" in attrs
    meta = ("migrations/meta/_journal.json", "migrations/meta/0001_snapshot.json")
    check = git(repo, "check-attr", "merge", "--", *meta)
    assert check.stdout.count("merge: gtsd-drizzle") == 2
    assert git(repo, "check-attr", "merge", "--", "migrations/0001_onboarding.sql").stdout.endswith("unspecified\n")
    assert "%O %A %B %P" in git(repo, "config", "merge.gtsd-drizzle.driver").stdout
    for name in ("post-merge", "post-rewrite", "pre-commit"):
        assert os.access(repo / ".git/hooks" / name, os.X_OK)
    assert "the existing hook is kept and runs first" in r.stdout
    again = install(repo)  # twice: still one block, and uninstall still restores the first state
    assert again.returncode == 0 and (repo / ".gitattributes").read_text().count("merge=gtsd-drizzle") == 2
    r = uninstall(repo)
    assert r.returncode == 0, r.stdout + r.stderr
    assert tree_state(repo) == before
    assert not (repo / ".git/gtsd-git").exists()
    assert "not installed" in uninstall(repo).stdout


def test_an_existing_post_merge_hook_still_runs(tmp_path: Path, sample: Path) -> None:
    repo = base_repo(tmp_path, sample)
    write_hook(repo / ".git/hooks/post-merge", 'echo "ran with $1" >> post-merge-ran')
    assert install(repo).returncode == 0
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "install")
    git(repo, "checkout", "-qb", "a")
    add_migration(repo / "migrations", "a_streaks", 'CREATE TABLE "streaks" ("id" serial);', 1_900_000_000_000)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "a")
    git(repo, "checkout", "-q", "main")
    (repo / "notes.txt").write_text("main moved on\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "main")
    m = git(repo, "merge", "a", "--no-edit", check=False)
    assert m.returncode == 0, m.stdout + m.stderr
    assert (repo / "post-merge-ran").read_text() == "ran with 0\n"


def test_core_hooks_path_is_honoured(tmp_path: Path, sample: Path) -> None:
    repo = base_repo(tmp_path, sample)
    git(repo, "config", "core.hooksPath", ".husky/_")
    write_hook(repo / ".husky/_/pre-commit", 'echo husky >> "$(git rev-parse --show-toplevel)/husky-ran"')
    before = tree_state(repo)
    r = install(repo)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not (repo / ".git/hooks/post-merge").exists()
    assert (repo / ".husky/_/post-merge").is_file() and (repo / ".husky/_/post-rewrite").is_file()
    (repo / "x.txt").write_text("x\n")
    git(repo, "add", "x.txt")
    c = git(repo, "commit", "-qm", "x", check=False)
    assert c.returncode == 0, c.stdout + c.stderr
    assert (repo / "husky-ran").read_text() == "husky\n"  # the chained husky hook ran
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    assert uninstall(repo).returncode == 0
    assert tree_state(repo) == before


@pytest.mark.parametrize("config", [".pre-commit-config.yaml", "lefthook.yml"])
def test_a_hook_manager_gets_the_lines_instead(tmp_path: Path, sample: Path, config: str) -> None:
    repo = base_repo(tmp_path, sample)
    (repo / config).write_text("repos: []\n" if config.startswith(".pre") else "pre-commit:\n  commands: {}\n")
    r = install(repo)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not any((repo / ".git/hooks" / n).exists() for n in ("post-merge", "post-rewrite", "pre-commit"))
    assert "no hook written" in r.stdout
    assert "git()' hook post-merge --migrations migrations" in r.stdout
    assert "git()' hook post-rewrite --migrations migrations" in r.stdout
    assert "merge=gtsd-drizzle" in (repo / ".gitattributes").read_text()  # the driver is still installed
    yaml = pytest.importorskip("yaml")
    block = r.stdout.split("Add:\n", 1)[1]
    parsed = yaml.safe_load("\n".join(ln for ln in block.splitlines() if not ln.startswith("#")))
    if config.startswith(".pre"):  # what the user pastes is valid configuration for that tool
        stages = {h["stages"][0]: h["entry"] for h in parsed[0]["hooks"]}
        assert set(stages) == {"post-merge", "post-rewrite", "pre-commit"}
        assert stages["pre-commit"].endswith("hook pre-commit --migrations migrations")
    else:
        assert parsed["post-rewrite"]["commands"]["gtsd-tui"]["use_stdin"] is True
    assert uninstall(repo).returncode == 0
    assert not (repo / ".gitattributes").exists()


def _duplicate_prefix(folder: Path) -> str:
    (folder / "0003_again.sql").write_text("SELECT 1;\n")
    return "duplicate-prefix"


def _markers(folder: Path) -> str:
    j = folder / "meta/_journal.json"
    text = j.read_text()
    j.write_text("<<<<<<< ours\n" + text + "\n=======\n" + text + "\n>>>>>>> theirs\n")
    return "merge-markers"


def _missing_file(folder: Path) -> str:
    (folder / "0002_partners.sql").unlink()
    return "missing-file"


def _nul_byte(folder: Path) -> str:
    with open(folder / "0003_today_checklist.sql", "ab") as fh:
        fh.write(b"\0")
    return "nul-byte"


@pytest.mark.parametrize("breakage", [_duplicate_prefix, _markers, _missing_file, _nul_byte])
def test_pre_commit_refuses_a_broken_folder_naming_it(tmp_path: Path, sample: Path, breakage) -> None:
    repo = base_repo(tmp_path, sample)
    assert install(repo).returncode == 0
    code = breakage(repo / "migrations")
    git(repo, "add", "-A")
    c = git(repo, "commit", "-qm", "broken", check=False)
    assert c.returncode != 0
    refused = [ln for ln in c.stderr.splitlines() if f"refused: {code}:" in ln]
    assert refused and str(repo / "migrations") in refused[0], c.stderr
    assert git(repo, "commit", "-qm", "broken", "--no-verify", check=False).returncode == 0


def test_pre_commit_lets_a_sound_folder_through(tmp_path: Path, sample: Path) -> None:
    repo = base_repo(tmp_path, sample)
    assert install(repo).returncode == 0
    add_migration(repo / "migrations", "more", 'CREATE TABLE "more" ("id" serial);', 1_900_000_000_000)
    git(repo, "add", "-A")
    c = git(repo, "commit", "-qm", "more", check=False)
    assert c.returncode == 0, c.stderr


def test_a_hook_whose_python_is_gone_says_so_and_lets_the_commit_through(tmp_path: Path, sample: Path) -> None:
    repo = base_repo(tmp_path, sample)
    assert install(repo).returncode == 0
    hook = repo / ".git/hooks/pre-commit"
    hook.write_text(hook.read_text().replace(sys.executable, str(tmp_path / "moved-venv/bin/python")))
    (repo / "x.txt").write_text("x\n")
    git(repo, "add", "x.txt")
    c = git(repo, "commit", "-qm", "x", check=False)
    assert c.returncode == 0, c.stderr
    assert "pre-commit hook skipped" in c.stderr and "run gtsd-tui git install again" in c.stderr, c.stderr


def test_merge_no_commit_gets_its_renames_at_the_commit(tmp_path: Path, sample: Path) -> None:
    repo = base_repo(tmp_path, sample)
    assert install(repo).returncode == 0
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "install")
    for branch, suffix, when in (("a", "a_streaks", 1_900_000_000_000), ("b", "b_badges", 1_900_000_000_500)):
        git(repo, "checkout", "-q", "main")
        git(repo, "checkout", "-qb", branch)
        add_migration(repo / "migrations", suffix, f'CREATE TABLE "{suffix}" ("id" serial);', when)
        git(repo, "add", ".")
        git(repo, "commit", "-qm", branch)
    git(repo, "checkout", "-q", "a")
    m = git(repo, "merge", "--no-commit", "b", check=False)
    assert m.returncode == 0, m.stdout + m.stderr
    assert (repo / "migrations/0004_b_badges.sql").exists()  # not renamed yet: post-merge has not run
    c = git(repo, "commit", "--no-edit", check=False)
    assert c.returncode == 0, c.stdout + c.stderr
    assert "0004_b_badges -> 0005_b_badges (staged into this commit)" in c.stderr, c.stderr
    assert git(repo, "status", "--porcelain").stdout == ""
    tree = git(repo, "ls-tree", "--name-only", "HEAD", "migrations/").stdout
    assert "migrations/0005_b_badges.sql" in tree and "migrations/0004_b_badges.sql" not in tree
    assert run_cli("check", "--offline", "--migrations", str(repo / "migrations")).returncode == 0


def test_pre_commit_checks_only_commits_that_touch_the_folder(tmp_path: Path, sample: Path) -> None:
    repo = base_repo(tmp_path, sample)
    assert install(repo).returncode == 0
    _duplicate_prefix(repo / "migrations")
    git(repo, "add", "-A")
    assert git(repo, "commit", "-qm", "broken", "--no-verify", check=False).returncode == 0
    (repo / "x.txt").write_text("x\n")
    git(repo, "add", "x.txt")
    unrelated = git(repo, "commit", "-qm", "x", check=False)
    assert unrelated.returncode == 0 and "refused" not in unrelated.stderr, unrelated.stderr
    (repo / "migrations/0001_onboarding.sql").write_text("SELECT 2;\n")
    git(repo, "add", "-A")
    touching = git(repo, "commit", "-qm", "y", check=False)
    assert touching.returncode != 0 and "refused: duplicate-prefix:" in touching.stderr, touching.stderr


@pytest.mark.parametrize("folder", ["db/my migrations", 'db/odd "name" [v2]*', "db/tab\there"])
def test_a_folder_name_with_spaces_quotes_or_glob_characters_gets_the_driver(
    tmp_path: Path, sample: Path, folder: str
) -> None:
    """gitattributes splits a line at whitespace and reads ``*?[`` as wildcards: the folder's own name must
    match itself and nothing else (git check-attr answers, and a real merge of two new migrations gets
    the driver's journal without conflict markers)."""
    import shutil

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shutil.copytree(sample, repo / folder)
    (repo / "db/other").mkdir(parents=True)  # a sibling the pattern must not match (the `*` and `[v2]`)
    shutil.copytree(sample / "meta", repo / "db/other/meta")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    r = run_cli("git", "install", "--migrations", str(repo / folder), cwd=repo)
    assert r.returncode == 0, r.stdout + r.stderr
    journal = f"{folder}/meta/_journal.json"
    assert git(repo, "check-attr", "merge", "--", journal).stdout.rstrip().endswith("merge: gtsd-drizzle")
    other = git(repo, "check-attr", "merge", "--", "db/other/meta/_journal.json").stdout
    assert other.rstrip().endswith("unspecified"), other
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "install")
    for branch, suffix, when in (("a", "a_streaks", 1_900_000_000_000), ("b", "b_badges", 1_900_000_000_500)):
        git(repo, "checkout", "-q", "main")
        git(repo, "checkout", "-qb", branch)
        add_migration(repo / folder, suffix, f'CREATE TABLE "{suffix}" ("id" serial);', when)
        git(repo, "add", ".")
        git(repo, "commit", "-qm", branch)
    m = git(repo, "merge", "a", "--no-edit", check=False)
    assert m.returncode == 0, m.stdout + m.stderr
    assert "<<<<<<<" not in (repo / journal).read_text()
    assert run_cli("check", "--offline", "--migrations", str(repo / folder)).returncode == 0
    assert run_cli("git", "uninstall", "--migrations", str(repo / folder), cwd=repo).returncode == 0
    attrs = repo / ".gitattributes"  # install created it, so uninstall removes it
    assert not attrs.exists() or "gtsd-drizzle" not in attrs.read_text()


def test_a_clone_of_a_tracked_hooks_folder_does_not_chain_our_own_hook(tmp_path: Path, sample: Path) -> None:
    """``core.hooksPath`` in the work tree, install, hooks committed; a clone's own install found our hook
    there and chained it as an existing one: at every merge the renumbering ran twice, the second time
    through the path to the first clone's git folder. Now it is replaced, and uninstall puts it back.
    The team's own hook, kept beside ours in the tracked folder (``post-merge.before-gtsd-tui``), runs
    first in the clone too (it was kept in the first clone's git folder, which no other clone has)."""
    repo = base_repo(tmp_path, sample)
    git(repo, "config", "core.hooksPath", ".githooks")
    write_hook(repo / ".githooks/post-merge", 'echo "team hook" >> "$(git rev-parse --show-toplevel)/team-ran"')
    assert install(repo).returncode == 0
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "install")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    git(clone, "config", "core.hooksPath", ".githooks")
    git(clone, "config", "user.email", "c@example.com")
    git(clone, "config", "user.name", "c")
    committed = (clone / ".githooks/post-merge").read_bytes()
    kept = (clone / ".githooks/post-merge.before-gtsd-tui").read_bytes()
    assert b"team hook" in kept  # committed with the hooks
    r = install(clone)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "replaces a gtsd-tui hook another clone wrote" in r.stdout
    assert not (clone / ".git/gtsd-git/chained/post-merge").exists()
    hook = (clone / ".githooks/post-merge").read_text()
    assert str(repo / ".git") not in hook and str(clone / ".git") not in hook
    assert 'chained="$(dirname "$0")/post-merge.before-gtsd-tui"' in hook
    git(clone, "commit", "-qam", "install in the clone")
    git(clone, "checkout", "-qb", "a")
    add_migration(clone / "migrations", "a_streaks", 'CREATE TABLE "streaks" ("id" serial);', 1_900_000_000_000)
    git(clone, "add", ".")
    git(clone, "commit", "-qm", "a")
    git(clone, "checkout", "-q", "main")
    add_migration(clone / "migrations", "m_badges", 'CREATE TABLE "badges" ("id" serial);', 1_900_000_000_001)
    git(clone, "add", ".")
    git(clone, "commit", "-qm", "main")
    m = git(clone, "merge", "a", "--no-edit", check=False)
    assert m.returncode == 0, m.stdout + m.stderr
    assert (m.stdout + m.stderr).count("renumbered after the merge") == 1, m.stdout + m.stderr
    assert (clone / "team-ran").read_text() == "team hook\n"  # the team's hook ran in the clone, once
    git(clone, "reset", "-q", "--hard", "HEAD~1")
    assert uninstall(clone).returncode == 0
    assert (clone / ".githooks/post-merge").read_bytes() == committed
    assert (clone / ".githooks/post-merge.before-gtsd-tui").read_bytes() == kept
    # and in the first clone, uninstall puts the team's hook back where it was, and nothing beside it
    assert uninstall(repo).returncode == 0
    assert (repo / ".githooks/post-merge").read_bytes() == kept  # the team's, as written before install
    assert not (repo / ".githooks/post-merge.before-gtsd-tui").exists()
