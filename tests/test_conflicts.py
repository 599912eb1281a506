"""check / renumber / new on real git merges, verified with the real drizzle-kit and drizzle-orm."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gtsd_tui.core.migrations.folder import load_folder
from tests.helpers.git import git, merged_repo
from tests.helpers.node import drizzle_kit_check, drizzle_migrate, drizzle_rows

A_WHEN, B_WHEN = 1_800_000_000_000, 1_800_000_100_000


def hashes(folder: Path) -> dict[str, str]:
    return {m.tag.split("_", 1)[1]: m.hash for m in load_folder(folder).migrations}  # type: ignore[misc]


def test_check_reports_a_conflicted_merge(cli, sample: Path, tmp_path: Path) -> None:
    repo = merged_repo(tmp_path, sample, A_WHEN, B_WHEN)
    r = cli("check", "--json", "--offline", "--migrations", str(repo / "migrations"))
    assert r.returncode == 1, r.stderr
    codes = {f["code"] for f in json.loads(r.stdout)["findings"]}
    assert {"merge-markers", "duplicate-prefix", "snapshot-fork"} <= codes
    status = cli(
        "status", "--json", "--migrations", str(repo / "migrations"), "--database-url", "postgresql://x@127.0.0.1:1/x"
    )
    assert status.returncode == 3  # the folder itself is readable: the union was built, the database is not


@pytest.mark.pg
@pytest.mark.node
def test_renumber_after_a_real_merge(cli, sample: Path, tmp_path: Path, pg_url: str) -> None:
    repo = merged_repo(tmp_path, sample, A_WHEN, B_WHEN)
    folder = repo / "migrations"
    before = {"a_streaks": None, "b_badges": None}
    r = cli("renumber", "--yes", "--offline", "--migrations", str(folder))
    assert r.returncode == 0, r.stderr + r.stdout
    after = hashes(folder)
    tags = [m.tag for m in load_folder(folder).migrations]
    assert tags[-2:] == ["0004_a_streaks", "0005_b_badges"]
    assert set(before) <= set(after)
    kit = drizzle_kit_check(folder)
    assert kit.returncode == 0, kit.stdout + kit.stderr
    assert "Everything's fine" in kit.stdout + kit.stderr
    assert drizzle_migrate(pg_url, folder).returncode == 0
    rows = drizzle_rows(pg_url)
    assert len(rows) == 6 and {r["hash"] for r in rows} == set(after.values())
    again = cli("renumber", "--yes", "--offline", "--migrations", str(folder))
    assert again.returncode == 0 and "nothing to renumber" in again.stdout
    assert cli("check", "--offline", "--migrations", str(folder)).returncode == 0
    staged = git(repo, "status", "--porcelain").stdout
    assert "UU" not in staged and "AA" not in staged  # conflicts resolved in the index too


def test_sql_bytes_never_change(cli, sample: Path, tmp_path: Path) -> None:
    repo = merged_repo(tmp_path, sample, A_WHEN, B_WHEN)
    folder = repo / "migrations"
    raw = {p.name.split("_", 1)[1]: p.read_bytes() for p in folder.glob("*.sql")}
    assert cli("renumber", "--yes", "--offline", "--migrations", str(folder)).returncode == 0
    assert {p.name.split("_", 1)[1]: p.read_bytes() for p in folder.glob("*.sql")} == raw


@pytest.mark.pg
@pytest.mark.node
def test_hand_written_files_are_registered_and_run(cli, sample: Path, pg_url: str) -> None:
    for n, name in ((8, "add_streaks"), (9, "add_badges"), (10, "seed_badges")):
        (sample / f"{n:04d}_{name}.sql").write_text(f"CREATE TABLE IF NOT EXISTS t_{n} (id int);\n")
    r = cli("check", "--json", "--offline", "--migrations", str(sample))
    found = [(f["code"], f["files"]) for f in json.loads(r.stdout)["findings"]]
    assert [f for c, f in found if c == "not-in-journal"] == [
        ["0008_add_streaks.sql"],
        ["0009_add_badges.sql"],
        ["0010_seed_badges.sql"],
    ]
    assert cli("renumber", "--yes", "--offline", "--migrations", str(sample)).returncode == 0
    assert [m.tag for m in load_folder(sample).migrations][4:] == [
        "0004_add_streaks",
        "0005_add_badges",
        "0006_seed_badges",
    ]
    assert cli("check", "--offline", "--migrations", str(sample)).returncode == 0
    assert drizzle_kit_check(sample).returncode == 0
    assert drizzle_migrate(pg_url, sample).returncode == 0
    assert len(drizzle_rows(pg_url)) == 7


@pytest.mark.pg
def test_an_applied_migration_is_never_moved(cli, sample: Path, tmp_path: Path, pg_url: str) -> None:
    repo = merged_repo(tmp_path, sample, A_WHEN, B_WHEN)
    folder = repo / "migrations"
    theirs = tmp_path / "theirs"  # the database that ran branch b: 0000-0003 and 0004_b_badges
    git(repo, "worktree", "add", "-q", str(theirs), "b")
    assert cli("migrate", "--migrations", str(theirs / "migrations"), "--database-url", pg_url).returncode == 0
    r = cli("renumber", "--yes", "--migrations", str(folder), "--database-url", pg_url)
    assert r.returncode == 0, r.stderr
    assert "kept in place (database)" in r.stdout
    tags = [m.tag for m in load_folder(folder).migrations]
    assert tags[-2:] == ["0004_b_badges", "0005_a_streaks"]
    st = json.loads(cli("status", "--json", "--migrations", str(folder), "--database-url", pg_url).stdout)
    assert [m["state"] for m in st["migrations"]] == ["applied"] * 5 + ["pending"]
    assert cli("migrate", "--migrations", str(folder), "--database-url", pg_url).returncode == 0


def test_when_order_is_fixed_by_restamping(cli, sample: Path) -> None:
    from tests.helpers.git import add_migration

    first = load_folder(sample).migrations[-1].when
    add_migration(sample, "late_merge", "SELECT 1;", first - 10)  # merged with an older timestamp
    r = cli("check", "--json", "--offline", "--migrations", str(sample))
    assert "when-order" in {f["code"] for f in json.loads(r.stdout)["findings"]}
    h = load_folder(sample).migrations[-1].hash
    assert cli("renumber", "--yes", "--offline", "--migrations", str(sample)).returncode == 0
    last = load_folder(sample).migrations[-1]
    assert last.when == first + 1 and last.hash == h
    assert cli("check", "--offline", "--migrations", str(sample)).returncode == 0


def test_killed_renumber_leaves_before_or_after_never_between(cli, sample: Path, tmp_path: Path) -> None:
    outcomes = []
    for step in range(1, 40):
        base = tmp_path / f"k{step}"
        base.mkdir()
        folder = merged_repo(base, sample, A_WHEN, B_WHEN) / "migrations"
        r = cli(
            "renumber", "--yes", "--offline", "--migrations", str(folder), env={"GTSD_TEST_KILL_AFTER_STEP": str(step)}
        )
        killed = r.returncode == -9
        check = cli("check", "--json", "--offline", "--migrations", str(folder))
        codes = {f["code"] for f in json.loads(check.stdout)["findings"]}
        tags = [m.tag for m in load_folder(folder).migrations]
        if check.returncode == 0:
            assert tags[-2:] == ["0004_a_streaks", "0005_b_badges"], (step, tags)
            outcomes.append("after")
        else:
            assert {"merge-markers", "duplicate-prefix", "snapshot-fork"} <= codes, (step, codes)
            assert tags[-2:] == ["0004_a_streaks", "0004_b_badges"], (step, tags)
            outcomes.append("before")
        if not killed:
            break
    assert outcomes[-1] == "after" and "before" in outcomes and len(outcomes) > 5


@pytest.mark.pg
@pytest.mark.node
def test_new_creates_a_migration_drizzle_runs(cli, sample: Path, pg_url: str) -> None:
    r = cli("new", "add user streaks", "-d", "Streak counter per user", "--json", "--migrations", str(sample))
    assert r.returncode == 0, r.stderr
    made = json.loads(r.stdout)
    assert made["tag"] == "0004_add_user_streaks"
    text = (sample / made["file"]).read_text()
    assert text.startswith("-- Migration: 0004_add_user_streaks\n-- Created: ")
    assert "-- Description: Streak counter per user\n" in text
    (sample / made["file"]).write_text(text + 'CREATE TABLE IF NOT EXISTS "streaks" ("id" serial);\n')
    assert drizzle_kit_check(sample).returncode == 0
    assert drizzle_migrate(pg_url, sample).returncode == 0
    assert len(drizzle_rows(pg_url)) == 5
    with __import__("psycopg").connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('public.streaks') IS NOT NULL").fetchone() == (True,)


def test_check_base_labels_and_checks_the_merge_with_a_moved_base(cli, sample: Path, tmp_path: Path) -> None:
    from tests.helpers.git import add_migration, base_repo

    repo = base_repo(tmp_path, sample)
    git(repo, "checkout", "-qb", "feature")
    add_migration(repo / "migrations", "feature_x", "SELECT 1;", A_WHEN)
    git(repo, "commit", "-qam", "feature", "--allow-empty")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "feature files")
    r = cli("check", "--json", "--offline", "--base", "main", "--migrations", str(repo / "migrations"))
    data = json.loads(r.stdout)
    assert r.returncode == 0, r.stdout
    assert data["base"]["0003_today_checklist"] == "base" and data["base"]["0004_feature_x"] == "branch"
    git(repo, "checkout", "-q", "main")  # meanwhile the base gets its own 0004
    add_migration(repo / "migrations", "main_y", "SELECT 2;", B_WHEN)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "main moved")
    git(repo, "checkout", "-q", "feature")
    r = cli("check", "--json", "--offline", "--base", "main", "--migrations", str(repo / "migrations"))
    assert r.returncode == 1
    merged = [f for f in json.loads(r.stdout)["findings"] if f["message"].startswith("after merging main")]
    assert {"merge-markers", "duplicate-prefix"} <= {f["code"] for f in merged}


def test_check_names_unreadable_snapshots(cli, sample: Path, tmp_path: Path) -> None:
    folder = sample  # a copy of migrations/
    meta = folder / "meta"
    (meta / "0001_snapshot.json").write_text('{\n  "id": "x",\n  "prevId": \n}\n')
    (meta / "0002_snapshot.json").write_text("[1, 2]")
    good = json.loads((meta / "0003_snapshot.json").read_text())
    r = cli("check", "--json", "--offline", "--migrations", str(folder))
    assert r.returncode == 1, r.stderr
    found = {
        tuple(f["files"]): f["message"] for f in json.loads(r.stdout)["findings"] if f["code"] == "snapshot-invalid"
    }
    assert found == {
        ("meta/0001_snapshot.json",): "invalid JSON at line 4",
        ("meta/0002_snapshot.json",): "not a JSON object",
    }
    snap = next(s for s in load_folder(folder).snapshots if s.name == "0003_snapshot.json")
    assert (snap.id, snap.prev_id, snap.data) == (good["id"], good["prevId"], good)
