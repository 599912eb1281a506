"""Drizzle 1.0 folders (a folder per migration, no journal) merge textually clean even when the
branches fork: with ``gtsd-tui git install`` the post-merge hook runs the commutativity check and
says loudly what does not commute. Real drizzle-kit 1.0 ``generate`` on two git branches."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.helpers.git import git
from tests.helpers.node_v1 import generate_v1

pytestmark = [pytest.mark.node]

HEAD = 'import { pgTable, serial, text, integer } from "drizzle-orm/pg-core";\n'
BASE = HEAD + 'export const comments = pgTable("comments", { id: serial("id").primaryKey(), body: text("body") });\n'


def _commit(repo: Path, message: str) -> None:
    git(repo, "add", ".")
    git(repo, "commit", "-qm", message)


def merged(root: Path, a: tuple[str, str, str], b: tuple[str, str, str]):
    repo = root / "repo"
    (repo / "schema").mkdir(parents=True)
    (repo / ".gitignore").write_text("node_modules\n")
    (repo / "schema" / "base.ts").write_text(BASE)
    git(repo, "init", "-q")
    generate_v1(repo, "init", schema="./schema")
    r = run_cli("git", "install", "--migrations", str(repo / "drizzle"), cwd=repo)
    assert r.returncode == 0, r.stdout + r.stderr
    _commit(repo, "base")
    for branch, (fname, text, name) in (("a", a), ("b", b)):
        git(repo, "checkout", "-q", "main")
        git(repo, "checkout", "-qb", branch)
        (repo / "schema" / fname).write_text(text)
        generate_v1(repo, name, schema="./schema")
        _commit(repo, branch)
    git(repo, "checkout", "-q", "a")
    m = git(repo, "merge", "-X", "ours", "b", "--no-edit", check=False)  # the TypeScript: keep a's
    assert m.returncode == 0, m.stdout + m.stderr
    assert git(repo, "ls-files", "-u").stdout == ""
    return m


def test_non_commuting_v1_branches_are_said_loudly(tmp_path: Path) -> None:
    m = merged(
        tmp_path,
        ("base.ts", BASE.replace('body: text("body")', 'body: text("body"), score: integer("score")'), "score_int"),
        ("base.ts", BASE.replace('body: text("body")', 'body: text("body"), score: text("score")'), "score_text"),
    )
    loud = [ln for ln in m.stderr.splitlines() if ln.startswith("gtsd-tui: ERROR:")]
    assert loud and any("score" in ln for ln in loud), m.stderr


def test_commuting_v1_branches_are_a_warning_only(tmp_path: Path) -> None:
    m = merged(
        tmp_path,
        ("tags.ts", HEAD + 'export const tags = pgTable("tags", { id: serial("id").primaryKey() });\n', "tags"),
        ("likes.ts", HEAD + 'export const likes = pgTable("likes", { id: serial("id").primaryKey() });\n', "likes"),
    )
    assert not [ln for ln in m.stderr.splitlines() if ln.startswith("gtsd-tui: ERROR:")], m.stderr
    assert "gtsd-tui: WARNING: fork" in m.stderr, m.stderr
