"""Branch findings without the console: SQL overlap (pglast) and renumber --force through a clash."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.git import add_migration, base_repo, git


def add_index(folder: Path, suffix: str, when: int) -> None:
    sql = 'CREATE INDEX "users_created_idx" ON "users" USING btree ("created_at");'
    tag = add_migration(folder, suffix, sql, when)
    path = folder / "meta" / f"{tag.split('_', 1)[0]}_snapshot.json"
    snap = json.loads(path.read_text())
    col = {"expression": "created_at", "isExpression": False, "asc": True, "nulls": "last"}
    idx = {"name": "users_created_idx", "columns": [col], "isUnique": False, "concurrently": False}
    snap["tables"]["public.users"]["indexes"]["users_created_idx"] = {**idx, "method": "btree", "with": {}}
    path.write_text(json.dumps(snap, indent=2))


def test_the_same_index_on_both_branches_is_an_overlap(cli, sample: Path, tmp_path: Path) -> None:
    """Identical snapshots (no clash), but applying both CREATE INDEX fails: overlap, error."""
    repo = base_repo(tmp_path, sample)
    for branch, when in (("a", 1_800_000_000_000), ("b", 1_800_000_100_000)):
        git(repo, "checkout", "-q", "main")
        git(repo, "checkout", "-qb", branch)
        add_index(repo / "migrations", f"index_{branch}", when)
        git(repo, "add", ".")
        git(repo, "commit", "-qm", branch)
    git(repo, "checkout", "-q", "a")
    git(repo, "merge", "-q", "b", "--no-edit", check=False)
    r = cli("check", "--json", "--offline", "--migrations", str(repo / "migrations"))
    findings = json.loads(r.stdout)["findings"]
    assert not [f for f in findings if f["code"] == "schema-conflict"]
    (overlap,) = [f for f in findings if f["code"] == "overlap"]
    assert overlap["severity"] == "error" and overlap["detail"]["object"] == "users_created_idx"
    assert overlap["files"] == ["0004_index_a.sql", "0004_index_b.sql"]
    assert "CREATE INDEX" in overlap["detail"]["ours"][0] and "CREATE INDEX" in overlap["detail"]["theirs"][0]
    plan = cli("renumber", "--dry-run", "--offline", "--migrations", str(repo / "migrations"))
    assert "overlap: index users_created_idx changed on both branches (applying both fails)" in plan.stdout
    assert "independent" not in plan.stdout


def test_force_merges_a_clash_keeping_the_kept_side(cli, sample: Path, tmp_path: Path) -> None:
    from tests.test_tui_conflicts import clashing_repo

    folder = clashing_repo(tmp_path, sample) / "migrations"
    r = cli("renumber", "--yes", "--force", "--offline", "--migrations", str(folder))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "clashes merged anyway (--force)" in r.stdout
    moved = json.loads((folder / "meta/0005_snapshot.json").read_text())
    assert moved["tables"]["public.users"]["columns"]["status"]["type"] == "text"
    assert (folder / "0005_status_integer.sql").exists()
