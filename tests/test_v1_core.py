"""Pure v1 logic: folder order, the v0-table upgrade match, nameless rows, footprint commutativity."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from gtsd_tui.core.drizzle_v1.v1 import V1Snapshot, icu_key, plan_upgrade
from gtsd_tui.core.merging.forks import analyse
from gtsd_tui.core.migrations.folder import load_folder
from gtsd_tui.core.migrations.status import PENDING, HistoryRow, compute_status


def v1_folder(root: Path, names: dict[str, str]) -> Path:
    for name, sql in names.items():
        (root / name).mkdir(parents=True)
        (root / name / "migration.sql").write_text(sql)
    return root


@pytest.mark.node
def test_folder_order_is_javascript_localecompare(tmp_path: Path) -> None:
    if not shutil.which("node"):
        pytest.skip("node not on PATH")
    rng = random.Random(13)
    alphabet = "abcAB_-.019z"
    names = ["20240301000000_" + "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(300)]
    names += ["20240301000000_b", "20240301000000_B_same_second", "20240301000000_a_2", "20240301000000_a2"]
    script = (
        "const n = JSON.parse(process.argv[1]); n.sort((a, b) => a.localeCompare(b)); console.log(JSON.stringify(n))"
    )
    js = json.loads(subprocess.run(["node", "-e", script, json.dumps(names)], capture_output=True, text=True).stdout)
    assert sorted(names, key=icu_key) == js
    assert sorted(names, key=icu_key) != sorted(names)  # byte order differs: the key matters
    folder = load_folder(v1_folder(tmp_path / "d", {n: "" for n in set(names[-4:])}))
    assert [m.tag for m in folder.migrations] == list(dict.fromkeys(n for n in js if n in set(names[-4:])))


def test_upgrade_matches_by_second_then_hash_and_names_unmatched(tmp_path: Path) -> None:
    folder = load_folder(
        v1_folder(
            tmp_path / "d",
            {
                "20240101000000_a": "select 1;",
                "20240101000001_b": "select 2;",
                "20240101000001_c": "select 3;",  # same second as b: the hash decides
                "20240101000009_d": "select 4;",
            },
        )
    )
    h = {m.tag: m.hash for m in folder.migrations}
    rows = [
        HistoryRow(1, h["20240101000000_a"], 1704067200123, legacy=True),  # ms dropped: matches a
        HistoryRow(2, h["20240101000001_c"], 1704067201999, legacy=True),  # tie at the second: c by hash
        HistoryRow(3, h["20240101000009_d"], 1600000000000, legacy=True),  # no migration at that second: by hash
        HistoryRow(4, "f" * 64, 1500000000000, legacy=True),  # nothing: unmatched
    ]
    up = plan_upgrade(folder, rows)
    assert up.names == [(1, "20240101000000_a"), (2, "20240101000001_c"), (3, "20240101000009_d")]
    assert up.unmatched == [4]
    report = compute_status(folder, rows)
    assert report.upgrade is not None and "ids: 4" in report.warnings[0]
    assert [s.state for s in report.items] == ["applied", PENDING, "applied", "applied"]


def test_rows_without_a_name_in_a_v1_table_are_ignored_and_reported(tmp_path: Path) -> None:
    folder = load_folder(v1_folder(tmp_path / "d", {"20240101000000_a": "select 1;"}))
    m = folder.migrations[0]
    report = compute_status(folder, [HistoryRow(1, m.hash or "", m.when)])  # a v0 writer's row, no name
    assert report.items[0].state == PENDING
    assert report.upgrade is None
    assert any("without a name (ids: 1)" in w for w in report.warnings)


def fp(kind: str, writes: list[str], reads: list[str] | None = None, sql_hash: str | None = None) -> dict:
    out: dict = {"statementType": kind, "statementTarget": ["column", "public", "users", "x"], "writes": writes}
    if reads is not None:
        out["reads"] = reads
    if sql_hash is not None:
        out["sqlHash"] = sql_hash
    return out


def snap(name: str, sid: str, prev: str, *prints: dict) -> V1Snapshot:
    return V1Snapshot(name, sid, (prev,), tuple(prints))


def test_commutativity_follows_drizzle_kit_footprints() -> None:
    base = snap("1_base", "p", "00000000-0000-0000-0000-000000000000")
    same = fp("alter_column", ["s|colprop|public.users.x.default"], sql_hash="abc")
    report = analyse([base, snap("2_a", "a", "p", same), snap("3_b", "b", "p", same)])
    assert report.conflicts == [] and len(report.forks) == 1  # the same idempotent change on both sides

    other = fp("alter_column", ["s|colprop|public.users.x.default"], sql_hash="def")
    report = analyse([base, snap("2_a", "a", "p", same), snap("3_b", "b", "p", other)])
    assert [c.a.description for c in report.conflicts] == ["alter_column: x on users table"]

    drop = fp("drop_column", ["s|col|public.users.x", "n|col|public.users.x"])
    index = fp("create_index", ["s|idx|public.i"], reads=["n|col|public.users.x"])
    report = analyse([base, snap("2_a", "a", "p", drop), snap("3_b", "b", "p", index)])
    assert len(report.conflicts) == 1 and report.conflicts[0].parent == "1_base"  # a write meets a read

    a = fp("create_table", ["s|tbl|public.a", "n|rel|public.a"], reads=["n|sch|public"])
    b = fp("create_table", ["s|tbl|public.b", "n|rel|public.b"], reads=["n|sch|public"])
    assert analyse([base, snap("2_a", "a", "p", a), snap("3_b", "b", "p", b)]).conflicts == []


def write_snap(folder: Path, name: str, sid: str, prev: str, prints: list[dict], sql: str, custom: bool) -> None:
    (folder / name).mkdir(parents=True)
    (folder / name / "migration.sql").write_text(sql)
    body = {"type": "diff", "version": "9", "dialect": "postgres", "id": sid, "prevIds": [prev], "footprints": prints}
    (folder / name / "snapshot.json").write_text(json.dumps({**body, "deltas": [] if custom else [{"x": 1}]}))


@pytest.mark.parametrize(
    ("custom_sql", "codes"),
    [
        ('ALTER TABLE "comments" ADD COLUMN "score" text;', [("overlap", "warning")]),
        ("UPDATE comments SET body = 'x';", [("fork", "warning")]),  # reads comments and body: no write meets it
        ('ALTER TABLE "comments" DROP COLUMN "body";', [("overlap", "warning")]),  # a's index reads body
    ],
)
def test_hand_written_sql_on_a_branch_is_read_with_pglast(tmp_path: Path, custom_sql: str, codes: list) -> None:
    from gtsd_tui.core.merging.conflicts import check_folder

    root = tmp_path / "d"
    origin = "00000000-0000-0000-0000-000000000000"
    table = fp("create_table", ["s|tbl|public.comments", "n|tbl|public.comments"], reads=["n|sch|public"])
    write_snap(root, "20240101000000_init", "p", origin, [table], "CREATE TABLE comments (body text);", False)
    add = fp(
        "add_column", ["s|col|public.comments.score", "n|col|public.comments.score", "e|col|public.comments.score"]
    )
    idx = fp("create_index", ["s|idx|public.i"], reads=["n|col|public.comments.body"])
    write_snap(root, "20240101000001_a", "a", "p", [add, idx], "ALTER TABLE comments ADD COLUMN score int;", False)
    write_snap(root, "20240101000002_b", "b", "p", [], custom_sql, True)
    found = [(f.code, f.severity) for f in check_folder(load_folder(root))]
    assert found == codes


def test_history_shows_applied_at_of_a_v1_table_and_created_at_of_a_v0_one(tmp_path: Path) -> None:
    from gtsd_tui.tui.render import when_text
    from gtsd_tui.tui.widgets.history_pane import history_rows, time_label

    folder = load_folder(v1_folder(tmp_path / "d", {"20240101000000_a": "select 1;"}))
    m = folder.migrations[0]
    applied = 1_800_000_000_000
    v1 = compute_status(folder, [HistoryRow(1, m.hash or "", m.when, m.tag, applied)])
    assert history_rows(v1, "")[0][1][2] == when_text(applied) != when_text(m.when)
    assert time_label(v1) == "Applied"
    v0 = compute_status(folder, [HistoryRow(1, m.hash or "", 1704067200123, None, None, legacy=True)])
    assert history_rows(v0, "")[0][1][2] == when_text(1704067200123)  # v0 table: only created_at
    assert time_label(v0) == "Created"
