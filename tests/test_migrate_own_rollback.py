"""A migration's own ``ROLLBACK``: ``migrate`` leaves what drizzle-orm's migrator leaves, and says so.

drizzle-orm (0.45 and 1.0.0-rc.5, postgres-js) runs every pending migration in one ``begin`` ...
``commit``, each chunk a query of its own. A migration's ``ROLLBACK`` ends that transaction and undoes
everything sent in it so far: the earlier migrations of the run *and their tracking rows*, and its own
statements above it. Every later chunk runs on its own in autocommit, the migration's own tracking row
too (drizzle writes it after its last chunk), and drizzle's closing ``commit`` only warns; drizzle-orm
exits 0. Measured here with the real packages on a twin database; ``migrate`` must leave the same
tables, rows and tracking rows, and report what the database holds afterwards: the migrations whose
rows were undone are not applied (exit 1), and a warning names the ``ROLLBACK`` at ``file:line:col``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gtsd_tui.core.sql.txcontrol import undoing_statement
from tests.helpers.kit_project import KitProject, base_project
from tests.helpers.node import drizzle_migrate
from tests.helpers.node_v1 import v1_migrate, v1_rows
from tests.test_migrate_own_tx import BP, USERS, _twin, add_customs, project, state, v1_project

pytestmark = [pytest.mark.pg, pytest.mark.node]

T1 = "CREATE TABLE t1 (id int);\n"
ALONE = BP.join([T1, "ROLLBACK;\n"])  # line 3
IN_BLOCK = BP.join(["BEGIN;\n", T1, "ROLLBACK;\n"])  # line 5
MORE_AFTER = BP.join([T1, "ROLLBACK;\n", "CREATE TABLE t2 (id int);\n", "INSERT INTO t2 VALUES (1);\n"])
FAILS_AFTER = BP.join([T1, "ROLLBACK;\n", "CREATE TABLE t2 (id int);\n", "INSERT INTO t2 VALUES (1);\n"]) + (
    BP + "INSERT INTO t2 SELECT 1 / 0;\n"
)
SAME_CHUNK = T1 + "ROLLBACK;\nCREATE TABLE t2 (id int);\n"  # one query: t2 in its implicit transaction
LATER = BP.join(["CREATE TABLE t4 (id int);\n", "INSERT INTO t4 VALUES (1);\n"])
LATER_FAILS = LATER + BP + "INSERT INTO t4 SELECT 1 / 0;\n"

# (migrations after init, drizzle-orm 0.45's tables (measured), the line of the ROLLBACK, tracking rows)
CASES = {
    "alone": ([("rb", ALONE)], {}, 3, ["0001_rb"]),
    "begin-rollback": ([("rb", IN_BLOCK)], {}, 5, ["0001_rb"]),
    "more-after": ([("rb", MORE_AFTER)], {"t2": 1}, 3, ["0001_rb"]),
    "same-chunk": ([("rb", SAME_CHUNK)], {"t2": 0}, 2, ["0001_rb"]),
    "later-migration": ([("rb", ALONE), ("later", LATER)], {"t4": 1}, 3, ["0001_rb", "0002_later"]),
}


def tags_of(p: KitProject, url: str) -> list[str]:
    """The tracking rows as tags (v0 rows hold hash and created_at: matched to the journal's when)."""
    entries = json.loads((p.folder / "meta" / "_journal.json").read_text())["entries"]
    by_when = {e["when"]: e["tag"] for e in entries}
    return [by_when.get(int(when), str(when)) for _, when in state(url)["rows"]]  # type: ignore[attr-defined]


def run_both(cli, p: KitProject, pg_server: str, pg_url: str, *extra: str):
    twin = _twin(pg_server, pg_url, "_drizzle")
    d = drizzle_migrate(twin, p.folder)
    r = cli("migrate", "--migrations", str(p.folder), "--database-url", pg_url, *extra)
    assert state(pg_url) == state(twin), (r.stdout, r.stderr, d.stderr)
    return twin, d, r


def applied_lines(stdout: str) -> list[str]:
    return [line.split()[1] for line in stdout.splitlines() if line.startswith("✓")]


@pytest.mark.parametrize("case", list(CASES))
def test_tx_all_rollback_undoes_the_earlier_migrations_as_under_drizzle_orm(
    cli, tmp_path: Path, pg_server: str, pg_url: str, case: str
) -> None:
    customs, tables, line, rows = CASES[case]
    p = project(tmp_path, customs)
    twin, d, r = run_both(cli, p, pg_server, pg_url, "--tx", "all")
    assert d.returncode == 0, d.stderr  # drizzle-orm says nothing: its run "succeeded"
    assert state(twin)["tables"] == tables  # users went with init's row
    assert tags_of(p, pg_url) == rows
    # what migrate says is what the table holds: init rolled back, out-of-order now (drizzle-orm 0.x
    # reads the newest created_at, 0001's, and will never run it), exit 1
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert applied_lines(r.stdout) == [t for t in rows]
    assert "↶ 0000_init rolled back (out-of-order)" in r.stdout, r.stdout
    assert (
        f"0001_rb.sql:{line}:1: ROLLBACK undid what ran before it in the transaction: 0000_init and its tracking row"
        in (r.stderr)
    ), r.stderr
    st = cli("status", "--migrations", str(p.folder), "--database-url", pg_url, "--json")
    states = {m["tag"]: m["state"] for m in json.loads(st.stdout)["migrations"]}
    assert states["0000_init"] == "out-of-order" and states["0001_rb"] == "applied"


def test_tx_all_rollback_json(cli, tmp_path: Path, pg_server: str, pg_url: str) -> None:
    p = project(tmp_path, [("rb", ALONE), ("later", LATER)])
    _, _, r = run_both(cli, p, pg_server, pg_url, "--tx", "all", "--json")
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert [a["tag"] for a in out["applied"]] == ["0001_rb", "0002_later"]
    assert out["rolled_back"] == [{"tag": "0000_init", "state": "out-of-order"}]
    assert any("0001_rb.sql:3:1: ROLLBACK undid" in w for w in out["warnings"]), out["warnings"]
    assert out["error"] is None


@pytest.mark.parametrize(
    ("customs", "tables", "where"),
    [
        ([("rb", FAILS_AFTER)], {"t2": 1}, "0001_rb.sql:9:1: 22012"),
        ([("rb", ALONE), ("later", LATER_FAILS)], {"t4": 1}, "0002_later.sql:5:1: 22012"),
        ([("rb", SAME_CHUNK.replace("CREATE TABLE t2 (id int);", "SELECT 1 / 0;"))], {}, "0001_rb.sql: 22012"),
    ],
    ids=["fails-after", "later-fails", "same-chunk-fails"],
)
def test_tx_all_rollback_then_a_failure(
    cli, tmp_path: Path, pg_server: str, pg_url: str, customs, tables, where: str
) -> None:
    """drizzle-orm exits 1; what ran after the ROLLBACK stays (autocommit), init's row does not: the
    failure names init among the rolled back, never as applied (text and JSON)."""
    p = project(tmp_path, customs)
    twin, d, r = run_both(cli, p, pg_server, pg_url, "--tx", "all")
    assert d.returncode == 1 and r.returncode == 3, (d.stderr, r.stderr)
    assert state(twin)["tables"] == tables
    assert "0000_init" not in applied_lines(r.stdout), r.stdout
    assert where in r.stderr and "rolled back: 0000_init" in r.stderr, r.stderr
    assert "ROLLBACK undid what ran before it in the transaction: 0000_init and its tracking row" in r.stderr
    held = tags_of(p, pg_url)
    assert applied_lines(r.stdout) == held  # 0001_rb's row stays when it ran to its end


def test_tx_all_rollback_then_a_failure_json(cli, tmp_path: Path, pg_server: str, pg_url: str) -> None:
    p = project(tmp_path, [("rb", ALONE), ("later", LATER_FAILS)])
    _, _, r = run_both(cli, p, pg_server, pg_url, "--tx", "all", "--json")
    assert r.returncode == 3, r.stderr
    out = json.loads(r.stdout)
    assert [a["tag"] for a in out["applied"]] == ["0001_rb"]
    assert out["error"]["rolled_back"] == ["0000_init"] and out["error"]["tag"] == "0002_later"


@pytest.mark.parametrize("case", ["alone", "more-after", "same-chunk", "later-migration"])
def test_per_file_rollback_undoes_only_its_own_migration(
    cli, tmp_path: Path, pg_server: str, pg_url: str, case: str
) -> None:
    """``--tx per-file`` commits each migration with its row, so a ROLLBACK can undo only its own
    migration's statements above it: what drizzle-orm leaves when each migration is the only one
    pending (compared so). Every row is there; exit 0 and the warning at the ROLLBACK's line."""
    customs, tables, line, _ = CASES[case]
    p = base_project(tmp_path, {"users.ts": USERS})
    twin = _twin(pg_server, pg_url, "_drizzle")
    assert drizzle_migrate(twin, p.folder).returncode == 0
    add_customs(p, customs[:1])
    assert drizzle_migrate(twin, p.folder).returncode == 0
    add_customs(p, customs[1:])
    d = drizzle_migrate(twin, p.folder)
    assert d.returncode == 0, d.stderr
    r = cli("migrate", "--migrations", str(p.folder), "--database-url", pg_url)
    assert state(pg_url) == state(twin), (r.stdout, r.stderr)
    assert state(twin)["tables"] == {"users": 0, **tables}
    assert r.returncode == 0, r.stderr
    assert applied_lines(r.stdout) == ["0000_init", *(f"000{i + 1}_{n}" for i, (n, _) in enumerate(customs))]
    assert f"0001_rb.sql:{line}:1: ROLLBACK undid what ran before it in this migration's transaction" in r.stderr


@pytest.mark.parametrize("case", ["alone", "later-migration"])
def test_v1_tx_all_rollback_as_drizzle_orm_1_leaves_it(
    cli, tmp_path: Path, pg_server: str, pg_url: str, case: str
) -> None:
    """drizzle-orm 1.0.0-rc.5: the same, with names in the rows; init is pending again afterwards (1.0
    decides by name, and would run it on its next run)."""
    customs, tables, line, _ = CASES[case]
    folder = v1_project(tmp_path, customs)
    twin = _twin(pg_server, pg_url, "_drizzle")
    d = v1_migrate(twin, folder)
    r = cli("migrate", "--migrations", str(folder), "--database-url", pg_url, "--tx", "all")
    ours = {**state(pg_url), "names": [x["name"] for x in v1_rows(pg_url)]}
    theirs = {**state(twin), "names": [x["name"] for x in v1_rows(twin)]}
    assert ours == theirs, (r.stdout, r.stderr, d.stderr)
    assert d.returncode == 0 and theirs["tables"] == tables and len(theirs["names"]) == len(customs)
    assert r.returncode == 1, r.stderr
    init = next(x.name for x in folder.iterdir() if x.name.endswith("_init"))
    assert f"↶ {init} rolled back (pending)" in r.stdout, r.stdout
    assert init not in applied_lines(r.stdout)
    assert f"migration.sql:{line}:1: ROLLBACK undid what ran before it in the transaction: {init}" in r.stderr


def test_commit_only_is_not_read_back(cli, tmp_path: Path, pg_server: str, pg_url: str) -> None:
    """A migration's own COMMIT undoes nothing: no rolled-back line, no warning, exit 0 (dittofeed's shape)."""
    own = BP.join(["BEGIN;\n", T1, "COMMIT;\n"])
    p = project(tmp_path, [("own_tx", own), ("later", LATER)])
    _, d, r = run_both(cli, p, pg_server, pg_url, "--tx", "all")
    assert d.returncode == 0 and r.returncode == 0, r.stderr
    assert applied_lines(r.stdout) == ["0000_init", "0001_own_tx", "0002_later"]
    assert "undid" not in r.stderr and "rolled back" not in r.stdout


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("ROLLBACK;", "ROLLBACK"),
        ("CREATE TABLE a (id int);\nrollback work;", "rollback"),
        ("SELECT 'ROLLBACK'; abort;", "abort"),
        ("PREPARE TRANSACTION 'x';", "PREPARE"),
        ("/* not plain */ ROLLBACK;", "ROLLBACK"),
        ("/* é */ SELECT 1; ROLLBACK AND NO CHAIN;", "ROLLBACK"),
        ("COMMIT;", None),
        ("END;", None),
        ("ROLLBACK TO SAVEPOINT s;", None),
        ("/* x */ ROLLBACK AND CHAIN;", None),
        ("ROLLBACK AND CHAIN;", None),
        ('CREATE TABLE "rollback" (id int);', None),
        ("/* x */ PREPARE p AS SELECT 1;", None),
    ],
)
def test_undoing_statement(text: str, word: str | None) -> None:
    at = undoing_statement(text)
    assert (None if at is None else text[at:].split()[0].rstrip(";")) == word


def test_corpus_untouched() -> None:
    """The dittofeed folder has a COMMIT and no ROLLBACK: nothing here changes how it applies."""
    corpus = Path("/work/shared/corpus/dittofeed/drizzle")
    if not corpus.is_dir():
        pytest.skip("no corpus")
    texts = [f.read_text() for f in sorted(corpus.glob("*.sql"))]
    assert not any(undoing_statement(c) is not None for t in texts for c in t.split("--> statement-breakpoint"))


def test_rehearse_tx_all_reports_the_rolled_back(cli, tmp_path: Path, pg_url: str) -> None:
    """``rehearse`` runs the ROLLBACK's migration statement by statement on the copy: the same truth,
    from the copy's table read back (applied, rolled back with its state, the ROLLBACK's line), exit 1."""
    p = project(tmp_path, [("rb", ALONE), ("later", LATER)])
    args = ("rehearse", "--migrations", str(p.folder), "--database-url", pg_url, "--tx", "all")
    r = cli(*args, "--json")
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert out["applied"] == ["0001_rb", "0002_later"] and out["error"] is None
    assert out["rolled_back"] == [{"tag": "0000_init", "state": "out-of-order"}]
    assert len(out["undone"]) == 1 and "0001_rb.sql:3:1: ROLLBACK undid" in out["undone"][0]
    text = cli(*args)
    assert text.returncode == 1
    assert "↶ 0000_init rolled back on the copy" in text.stdout and "warning: " in text.stdout, text.stdout
    assert state(pg_url) == {"tables": {}, "rows": []}  # the target untouched


def test_rehearse_tx_all_rollback_then_a_failure(cli, tmp_path: Path, pg_url: str) -> None:
    p = project(tmp_path, [("rb", ALONE), ("later", LATER_FAILS)])
    r = cli("rehearse", "--migrations", str(p.folder), "--database-url", pg_url, "--tx", "all", "--json")
    assert r.returncode == 3, r.stderr
    out = json.loads(r.stdout)
    assert out["error"]["rolled_back"] == ["0000_init"] and out["error"]["tag"] == "0002_later"
    assert (
        len(out["undone"]) == 1
        and "ROLLBACK undid what ran before it in the transaction: 0000_init" in out["undone"][0]
    )


def test_rehearse_per_file_rollback(cli, tmp_path: Path, pg_url: str) -> None:
    p = project(tmp_path, [("rb", MORE_AFTER)])
    r = cli("rehearse", "--migrations", str(p.folder), "--database-url", pg_url, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["applied"] == ["0000_init", "0001_rb"] and out["rolled_back"] == []
    assert (
        out["undone"]
        and "0001_rb.sql:3:1: ROLLBACK undid what ran before it in this migration's transaction" in (out["undone"][0])
    )


def test_fleet_migrate_says_what_a_migrations_own_rollback_undid(cli, tmp_path: Path, pg_server: str) -> None:
    """``fleet migrate --tx all`` on two databases: each target's result names the migrations a later
    migration's own ROLLBACK undid (as ``migrate`` does: the database does not hold them), its warning
    the ROLLBACK's place, and the run exits 1, where it reported them applied and exited 0."""
    import uuid

    from tests.helpers.fleet import create_databases, drop_databases

    p = project(tmp_path, [("rb", ALONE)])
    names = [f"fleetrb_{uuid.uuid4().hex[:6]}_{i}" for i in range(2)]
    urls = create_databases(pg_server, names)
    try:
        targets = tmp_path / "targets.txt"
        targets.write_text("".join(f"t{i}={u}\n" for i, u in enumerate(urls)))
        base = ("fleet", "migrate", "--targets", str(targets), "--migrations", str(p.folder), "--tx", "all")
        r = cli(*base, "--json")
        assert r.returncode == 1, (r.stdout, r.stderr)
        out = json.loads(r.stdout)
        assert out["exit_code"] == 1
        for t in out["targets"]:
            assert t["ok"] and [a["tag"] for a in t["applied"]] == ["0001_rb"], t
            assert t["rolled_back"] == [{"tag": "0000_init", "state": "out-of-order"}], t
            assert any("0001_rb.sql:3:1: ROLLBACK undid" in w for w in t["warnings"]), t["warnings"]
        for url in urls:  # what the results say is what the tables hold
            assert tags_of(p, url) == ["0001_rb"]
        text = cli(*base)  # again: 0000_init is out of order now, as migrate's status said
        assert text.returncode == 1 and "out-of-order" in text.stdout and "0 ok, 2 failed" in text.stdout, text.stdout
    finally:
        drop_databases(pg_server, names)
