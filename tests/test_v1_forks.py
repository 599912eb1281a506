"""Two git branches of a v1 project, each with a real `drizzle-kit generate` (rc.5), merged with git."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.helpers.git import git
from tests.helpers.node_v1 import check_v1, generate_v1, kit_v1, v1_migrate, v1_rows

pytestmark = [pytest.mark.pg, pytest.mark.node]

HEAD = 'import { pgTable, serial, text, integer } from "drizzle-orm/pg-core";\n'
BASE = HEAD + 'export const comments = pgTable("comments", { id: serial("id").primaryKey(), body: text("body") });\n'


def _commit(repo: Path, message: str) -> None:
    git(repo, "add", ".")
    git(repo, "commit", "-qm", message)


def forked_repo(root: Path, a: tuple[str, str, str], b: tuple[str, str, str]) -> Path:
    """main: one migration; branch a and branch b each write (file, text) and generate `name`; a merges b."""
    repo = root / "repo"
    (repo / "schema").mkdir(parents=True)
    (repo / ".gitignore").write_text("node_modules\n")
    (repo / "schema" / "base.ts").write_text(BASE)
    git(repo, "init", "-q")
    generate_v1(repo, "init", schema="./schema")
    _commit(repo, "base")
    for branch, (fname, text, name) in (("a", a), ("b", b)):
        git(repo, "checkout", "-q", "main")
        git(repo, "checkout", "-qb", branch)
        (repo / "schema" / fname).write_text(text)
        generate_v1(repo, name, schema="./schema")
        _commit(repo, branch)
    git(repo, "checkout", "-q", "a")
    merge = git(repo, "merge", "-q", "-X", "ours", "b", "--no-edit", check=False)  # schema: keep a's
    assert merge.returncode == 0, merge.stdout + merge.stderr
    return repo


@pytest.fixture(scope="module")
def conflicting(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both branches add comments.score, as integer on one and as text on the other."""
    return forked_repo(
        tmp_path_factory.mktemp("conflict"),
        ("base.ts", BASE.replace('body: text("body")', 'body: text("body"), score: integer("score")'), "score_int"),
        ("base.ts", BASE.replace('body: text("body")', 'body: text("body"), score: text("score")'), "score_text"),
    )


@pytest.fixture(scope="module")
def commuting(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The branches add two different tables."""
    return forked_repo(
        tmp_path_factory.mktemp("commute"),
        ("tags.ts", HEAD + 'export const tags = pgTable("tags", { id: serial("id").primaryKey() });\n', "tags"),
        ("likes.ts", HEAD + 'export const likes = pgTable("likes", { id: serial("id").primaryKey() });\n', "likes"),
    )


@pytest.fixture
def other_db(pg_server: str, pg_url: str) -> Iterator[str]:
    name = pg_url.rsplit("/", 1)[1] + "_b"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_url.rsplit("/", 1)[0] + "/" + name


def copy(repo: Path, tmp: Path) -> Path:
    dest = tmp / "drizzle"
    shutil.copytree(repo / "drizzle", dest)
    return dest


def test_non_commutative_branches_check_error_and_migrate_refuses(
    cli, conflicting: Path, pg_url: str, tmp_path: Path
) -> None:
    kit = check_v1(conflicting)
    assert kit.returncode == 1 and "score" in kit.stdout + kit.stderr  # the real drizzle-kit check agrees
    folder = copy(conflicting, tmp_path)
    r = cli("check", "--migrations", str(folder), "--offline", "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    found = [f for f in json.loads(r.stdout)["findings"] if f["code"] == "schema-conflict"]
    assert len(found) == 1 and "score on comments table" in found[0]["message"]
    assert {p.split("/")[0].split("_", 1)[1] for p in found[0]["files"]} == {"score_int", "score_text"}

    m = cli("migrate", "--migrations", str(folder), "--database-url", pg_url)
    assert m.returncode == 1, m.stdout + m.stderr
    assert "schema-conflict" in m.stderr and "score" in m.stderr
    with psycopg.connect(pg_url) as conn:  # nothing ran: not even drizzle's table
        found_rel = conn.execute("SELECT to_regclass('drizzle.__drizzle_migrations'), to_regclass('comments')")
        assert found_rel.fetchone() == (None, None)


def test_commutative_branches_warn_and_apply_both_as_drizzle(
    cli, commuting: Path, pg_url: str, other_db: str, tmp_path: Path
) -> None:
    kit = check_v1(commuting)
    assert kit.returncode == 0, kit.stdout + kit.stderr
    folder = copy(commuting, tmp_path)
    r = cli("check", "--migrations", str(folder), "--offline", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    codes = [(f["code"], f["severity"]) for f in json.loads(r.stdout)["findings"]]
    assert codes == [("fork", "warning")]
    m = cli("migrate", "--migrations", str(folder), "--database-url", pg_url)
    assert m.returncode == 0, m.stderr
    assert "fork" in m.stderr
    assert v1_migrate(other_db, folder).returncode == 0
    ours, theirs = v1_rows(pg_url), v1_rows(other_db)
    assert [(x["hash"], x["created_at"], x["name"]) for x in ours] == [
        (x["hash"], x["created_at"], x["name"]) for x in theirs
    ]
    assert len(ours) == 3


def test_renumber_joins_commuting_branches_and_drizzle_kit_agrees(cli, commuting: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(commuting, repo, symlinks=True)
    folder = repo / "drizzle"
    hashes = {p.name: (p / "migration.sql").read_bytes() for p in folder.iterdir()}
    r = cli("renumber", "--yes", "--offline", "--migrations", str(folder))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "re-parented" in r.stdout
    c = cli("check", "--offline", "--migrations", str(folder), "--json")
    assert c.returncode == 0 and json.loads(c.stdout)["findings"] == [], c.stdout
    kit = check_v1(repo)
    assert kit.returncode == 0, kit.stdout + kit.stderr
    gen = kit_v1(repo, "generate", "--dialect", "postgresql", "--schema", "./schema", "--out", "./drizzle")
    assert gen.returncode == 0 and "No schema changes" in gen.stdout, gen.stdout + gen.stderr
    assert {p.name: (p / "migration.sql").read_bytes() for p in folder.iterdir() if p.name[0] != "."} == hashes
    again = cli("renumber", "--yes", "--offline", "--migrations", str(folder))
    assert again.returncode == 0 and "nothing to renumber" in again.stdout


def test_renumber_explains_non_commuting_branches_and_writes_nothing(cli, conflicting: Path, tmp_path: Path) -> None:
    folder = copy(conflicting, tmp_path)
    before = {p.name: (p / "snapshot.json").read_bytes() for p in folder.iterdir()}
    r = cli("renumber", "--yes", "--offline", "--migrations", str(folder))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "do not commute" in r.stdout and "score on comments table" in r.stdout
    assert {p.name: (p / "snapshot.json").read_bytes() for p in folder.iterdir()} == before
