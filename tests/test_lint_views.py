"""The lint parse tree read through plain views over the decoded JSON (``core/lint/tree.py``): the json
module first, msgspec past ``MSGSPEC_AFTER`` bytes per process. Both readings give the same findings on
real folders and squawk's own cases; the views read what the msgspec structs read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gtsd_tui.core.lint import Settings, lint_text, plpgsql
from gtsd_tui.core.lint import tree as views
from gtsd_tui.core.lint.tree import Constraint, CreateStmt, DropStmt, RangeVar, located
from gtsd_tui.core.migrations import snapshots
from gtsd_tui.core.sql.pglast_load import lint_parser

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "data" / "squawk_cases"
DITTOFEED = ROOT.parents[1] / "shared" / "corpus" / "dittofeed" / "drizzle"


def _files() -> list[Path]:
    out = sorted(CASES.rglob("*.sql")) + sorted((ROOT / "migrations").glob("*.sql"))
    return out + (sorted(DITTOFEED.glob("*.sql")) if DITTOFEED.is_dir() else [])


def _lint_all(files: list[Path], decoded: int, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    monkeypatch.setattr(views, "_decoded", decoded)
    monkeypatch.setattr(views, "MSGSPEC_AFTER", 1 << 40 if decoded == 0 else 0)
    plpgsql._read.cache_clear()  # DO bodies' trees are cached: read each again with this decoder
    out: list[object] = []
    for in_tx in (True, False):
        settings = Settings(assume_in_transaction=in_tx)
        for f in files:
            out += lint_text(str(f), f.read_text("utf-8"), hand_written=True, settings=settings)
    return out


def test_json_first_and_msgspec_give_the_same_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    files = _files()
    assert len(files) > 250
    by_json = _lint_all(files, 0, monkeypatch)
    assert views._decoded > 0  # the json module read them
    by_msgspec = _lint_all(files, 1, monkeypatch)
    plpgsql._read.cache_clear()
    assert len(by_json) > 300
    assert by_json == by_msgspec


def test_a_process_imports_msgspec_only_past_the_budget() -> None:
    """Views (json module) first; past MSGSPEC_AFTER bytes, or from the start of a run whose SQL would
    take it past (``expect``: lint_paths says how much it will lint), msgspec structs with the same fields."""
    tree = '{"stmts": [{"stmt": {"SelectStmt": {"op": "SETOP_NONE"}}, "stmt_len": 8}]}'
    code = (
        "import sys\n"
        "from gtsd_tui.core.lint import engine, plpgsql, report, statements, tree as views\n"
        "from gtsd_tui.core.lint.tree import RawStmt, located\n"
        "from gtsd_tui.services import lint_runner\n"
        "views.expect(40_000)\n"  # one migration's SQL: its trees stay within the budget
        f"first = located({tree!r})[0]\n"
        "assert type(first) is RawStmt and 'msgspec' not in sys.modules, sorted(sys.modules)\n"
        "views.expect(views.MSGSPEC_AFTER // views.TREE_PER_SQL + 1)\n"  # a run whose trees would pass it
        f"bulk = located({tree!r})[0]\n"
        "assert 'msgspec' in sys.modules and type(bulk).__name__ == 'tree_RawStmt'\n"
        "for r in (first, bulk):\n"
        "    assert (r.stmt_len, r.stmt_location, r.stmt.create, r.stmt.select.target_list) == (8, 0, None, [])\n"
        "    assert r.stmt.select.into is None and not r.stmt.creates_type\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def _first(sql: str) -> object:
    return located(lint_parser().parse_sql_json(sql))[0].stmt


def test_views_read_defaults_renamed_keys_and_children(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "_decoded", 0)  # the views (this worker may have linted past the budget)
    create = _first('CREATE TABLE IF NOT EXISTS "s"."t" ("a" int CHECK (a > 0), CONSTRAINT "c" UNIQUE ("a"));')
    assert isinstance(create, object)
    c = create.create  # type: ignore[attr-defined]
    assert isinstance(c, CreateStmt) and c.if_not_exists is True and c.oncommit == "ONCOMMIT_NOOP"
    assert isinstance(c.relation, RangeVar)
    assert (c.relation.schemaname, c.relation.relname, c.relation.relpersistence) == ("s", "t", "p")
    assert c.table_elts is c.table_elts  # wrapped once, when the statement was
    column, constraint = (e.column for e in c.table_elts), [e.constraint for e in c.table_elts]
    assert [x.colname if x else None for x in column] == ["a", None]
    assert constraint[1] is not None and (constraint[1].contype, constraint[1].conname) == ("CONSTR_UNIQUE", "c")
    check = c.table_elts[0].column.constraints[0].constraint  # type: ignore[union-attr]
    assert isinstance(check, Constraint) and check.expr is not None and check.expr.a_expr is not None
    assert check.skip_validation is False and check.indexname == ""  # absent from the JSON: the defaults
    drop = _first('DROP INDEX CONCURRENTLY IF EXISTS "i";').drop  # type: ignore[attr-defined]
    assert isinstance(drop, DropStmt)
    assert (drop.remove_type, drop.missing_ok, drop.concurrent) == ("OBJECT_INDEX", True, True)
    names = drop.objects[0].names
    assert names is not None and [n.string.sval for n in names.items if n.string] == ["i"]
    assert _first("SELECT 1;").create is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("option", "flagged"),
    [("FULL", True), ("FULL true", True), ("FULL false", False), ("FULL off", False), ('FULL "no"', False)],
)
def test_vacuum_full_reads_its_argument(option: str, flagged: bool) -> None:
    """prefer-repack reads VACUUM's FULL argument in the JSON libpg_query writes (re-encoded compactly)."""
    found = lint_text("v.sql", f'VACUUM ({option}) "orders";', settings=Settings(pg_version=19))
    assert ("prefer-repack" in {f.rule for f in found}) is flagged


DATA_TEXTS = {
    "drizzle-kit": json.dumps({"id": "a", "prevId": "b", "version": "7", "tables": {"t": {"x": [1, 2.5, None]}}}),
    "duplicate key": '{"id": "a", "prevId": "b", "id": "c"}',
    "NaN": '{"id": "a", "x": NaN}',
    "Infinity": '{"id": "a", "x": -Infinity}',
    "out of range": '{"id": "a", "x": 1e400}',
    "lone surrogate": '{"id": "a", "x": "\\ud800"}',
    "pair": '{"id": "a", "x": "\\ud83d\\ude00"}',
    "long number": '{"id": "a", "x": ' + "9" * 60 + "}",
    "deep": '{"id": "a", "x": ' + "[" * 3000 + "]" * 3000 + "}",
    "not an object": "[1, 2]",
    "broken": '{"id": "a",\n "prevId": }',
}


@pytest.mark.parametrize("name", sorted(DATA_TEXTS))
def test_snapshot_data_read_with_json_first_equals_msgspecs(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``Snapshot.data`` (the hand-written check reads it) with the json module within the budget and with
    msgspec past it: the same value, keys in the same order."""
    text = DATA_TEXTS[name]
    monkeypatch.setattr(snapshots, "_json_data_read", [0, 0])
    by_json = snapshots.Snapshot("0001_snapshot.json", "0001", "a", None, text).data
    assert snapshots._json_data_read[1] == 1
    monkeypatch.setattr(snapshots, "_json_data_read", [snapshots.JSON_FIRST_BYTES, 0])
    by_msgspec = snapshots.Snapshot("0001_snapshot.json", "0001", "a", None, text).data
    assert repr(by_json) == repr(by_msgspec)
    if by_json is not None:
        assert list(by_json) == list(by_msgspec or {})


@pytest.mark.parametrize("bulk", [False, True], ids=["json module", "msgspec loaded"])
def test_json_report_of_an_undecodable_file_name(bulk: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file name that is not UTF-8 (a lone surrogate from the file system) is written escaped, as every
    other command's JSON writes it, whichever encoder runs (msgspec refuses the surrogate: it was an
    internal error before)."""
    from gtsd_tui.core.lint import report

    if not bulk:
        monkeypatch.delitem(sys.modules, "msgspec", raising=False)
    else:
        import msgspec  # noqa: F401
    found = lint_text("x\udcff.sql", 'DROP TABLE "t";', settings=Settings())
    out = report.as_json(found, {"version": 1})
    assert out.startswith('{"version":1,"findings":[{"rule":')
    assert json.loads(out)["findings"][0]["file"] == "x\udcff.sql" and "\\udcff" in out
    assert out.encode("utf-8")  # writable


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(value=_JSON, pad=st.sampled_from(["", " ", "\n\t", " \r\n"]), indent=st.sampled_from([None, 0, 2]))
def test_the_trees_reader_decodes_as_json_loads(value: object, pad: str, indent: int | None) -> None:
    """``views.loads`` (json's C scanner without the json package) gives what ``json.loads`` gives."""
    text = pad + json.dumps(value, indent=indent, ensure_ascii=bool(indent)) + pad
    assert repr(views.loads(text)) == repr(json.loads(text))
    assert repr(views.loads(text.encode())) == repr(json.loads(text.encode()))


@pytest.mark.parametrize("text", ["", " ", "[1] x", '{"a":}', "[1,]", '{"a": 1} {"b": 2}', "NaN", "[-Infinity]"])
def test_the_trees_reader_fails_or_reads_as_json_loads(text: str) -> None:
    def outcome(loads: object) -> str:
        try:
            return repr(loads(text))  # type: ignore[operator]
        except ValueError as exc:
            return f"{type(exc).__name__}: {exc}"

    assert outcome(views.loads) == outcome(json.loads)


def test_the_trees_reader_on_real_parse_trees() -> None:
    """Every parse tree of squawk's cases, the sample folder and dittofeed, as libpg_query writes it."""
    parser = lint_parser()
    seen = 0
    for f in _files():
        try:
            text = parser.parse_sql_json(f.read_text("utf-8"))
        except Exception:  # (a case squawk keeps for its syntax-error rule)
            continue
        assert views.loads(text) == json.loads(text), f
        seen += 1
    assert seen > 200


def test_the_rarer_statements_views_are_made_only_for_a_tree_holding_one(sample: Path, tmp_path: Path) -> None:
    """``tree_more`` (UPDATE, INSERT, MERGE, views, VACUUM, domains...) is not imported by a lint of a
    migration of tables and indexes; a file holding one of its statements imports it and is linted by
    the rules reading it (an UPDATE assigning a column twice), in the views and in msgspec's structs."""
    dml = tmp_path / "0009_backfill.sql"
    dml.write_text('UPDATE "users" SET "name" = \'a\', "name" = \'b\';\nCREATE VIEW v AS SELECT 1 AS a, 2 AS a;\n')
    code = (
        "import sys\n"
        "from gtsd_tui.core.lint import lint_text, tree as views\n"
        "path = sys.argv[1]\n"
        "if len(sys.argv) > 2:\n"
        "    views.expect(views.MSGSPEC_AFTER)\n"  # straight to msgspec's structs
        "found = lint_text(path, open(path).read())\n"
        "print('gtsd_tui.core.lint.tree_more' in sys.modules, sorted({f.rule for f in found}))\n"
    )
    plain = subprocess.run(
        [sys.executable, "-c", code, str(sample / "0001_onboarding.sql")], capture_output=True, text=True
    )
    assert plain.returncode == 0 and plain.stdout.startswith("False "), plain.stderr[-2000:]
    for extra in ([], ["bulk"]):
        r = subprocess.run([sys.executable, "-c", code, str(dml), *extra], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr[-2000:]
        assert r.stdout.startswith("True ") and r.stdout.count("ban-duplicate-column-assignments") == 1, r.stdout
