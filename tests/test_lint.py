"""Each lint rule fires on a minimal example and stays silent on its safe form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gtsd_tui.core.lint import RULES, lint_text

CASES = {
    "syntax-error": ("SELECT 1;\nSELEC 2;", "SELECT 1;\nSELECT 2;"),
    "create-table-if-not-exists": ("CREATE TABLE t (id int);", "CREATE TABLE IF NOT EXISTS t (id int);"),
    "create-index-if-not-exists": (
        "CREATE TABLE IF NOT EXISTS t (id int);\nCREATE INDEX i ON t (id);",
        "CREATE TABLE IF NOT EXISTS t (id int);\nCREATE INDEX IF NOT EXISTS i ON t (id);",
    ),
    "create-type-guarded": (
        "CREATE TYPE mood AS ENUM ('a');",
        "DO $$ BEGIN CREATE TYPE mood AS ENUM ('a'); EXCEPTION WHEN duplicate_object THEN null; END $$;",
    ),
    "add-column-if-not-exists": ("ALTER TABLE t ADD COLUMN c int;", "ALTER TABLE t ADD COLUMN IF NOT EXISTS c int;"),
    "drop-if-exists": ("DROP INDEX i;", "DROP INDEX IF EXISTS i;"),
    "adding-required-field": (
        "ALTER TABLE t ADD COLUMN IF NOT EXISTS c int NOT NULL;",
        "ALTER TABLE t ADD COLUMN IF NOT EXISTS c int NOT NULL DEFAULT 0;",
    ),
    "adding-not-nullable-field": (
        "ALTER TABLE t ALTER COLUMN c SET NOT NULL;",
        "ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID;",
    ),
    "ban-drop-column": ("ALTER TABLE t DROP COLUMN IF EXISTS c;", "ALTER TABLE t ALTER COLUMN c DROP DEFAULT;"),
    "ban-drop-table": ("DROP TABLE IF EXISTS t;", "DROP VIEW IF EXISTS v;"),
    "renaming-column": ("ALTER TABLE t RENAME COLUMN a TO b;", "ALTER TABLE t ADD COLUMN IF NOT EXISTS b int;"),
    "changing-column-type": (
        "ALTER TABLE t ALTER COLUMN c TYPE bigint;",
        "ALTER TABLE t ADD COLUMN IF NOT EXISTS c_big bigint;",
    ),
    "require-concurrent-index-creation": (
        "CREATE INDEX IF NOT EXISTS i ON t (c);",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (c);",
    ),
    "constraint-missing-not-valid": (
        "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (u) REFERENCES u (id);",
        "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (u) REFERENCES u (id) NOT VALID;",
    ),
    "adding-field-with-default": (
        "ALTER TABLE t ADD COLUMN IF NOT EXISTS r float DEFAULT random();",
        "ALTER TABLE t ADD COLUMN IF NOT EXISTS r timestamptz DEFAULT now();",
    ),
    "transaction-nesting": (
        "BEGIN;\nCREATE TABLE IF NOT EXISTS t (id int);\nCOMMIT;",
        "CREATE TABLE IF NOT EXISTS t (id int);",
    ),
    "concurrently-mixed": (
        "CREATE TABLE IF NOT EXISTS t (id int);\n--> statement-breakpoint\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (id);",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (id);",
    ),
}


def rules(text: str, hand_written: bool = False) -> set[str]:
    return {f.rule for f in lint_text("m.sql", text, hand_written=hand_written)}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires_and_its_safe_form_is_silent(rule: str) -> None:
    bad, good = CASES[rule]
    assert rule in rules(bad)
    assert rule not in rules(good)


def test_every_rule_has_a_case() -> None:
    from tests.lint_cases import CASES as POSITIONED  # every rule, with its line and column

    assert set(RULES) - set(CASES) - set(POSITIONED) == set()


def test_missing_header_only_for_hand_written() -> None:
    body = "SELECT 1;"
    assert "missing-header" in rules(body, hand_written=True)
    assert "missing-header" not in rules(body, hand_written=False)
    header = "-- Migration: 0004_x\n-- Created: 2026-11-24\n-- Description: x\nSELECT 1;"
    assert "missing-header" not in rules(header, hand_written=True)


def test_ignore_comment_silences_one_finding() -> None:
    text = "-- gtsd-lint: ignore drop-table\nDROP TABLE IF EXISTS t;\nDROP TABLE IF EXISTS u;"
    found = lint_text("m.sql", text)  # the old id still silences the rule that replaced it
    assert [(f.rule, f.line) for f in found if f.rule == "ban-drop-table"] == [("ban-drop-table", 3)]


def test_positions_point_at_the_clause() -> None:
    text = "CREATE TABLE IF NOT EXISTS t (id bigint);\n--> statement-breakpoint\n\n  ALTER TABLE t RENAME TO u;"
    (f,) = lint_text("m.sql", text)
    assert (f.rule, f.line, f.column) == ("renaming-table", 4, 17)  # RENAME, as squawk
    (s,) = lint_text("m.sql", "SELECT 1;\n\nSELECT * FROM t WHERE;")
    assert (s.rule, s.line) == ("syntax-error", 3)


def test_cli_on_the_sample_lists_only_the_deliberate_findings(cli, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    r = cli(
        "lint",
        "--format",
        "json",
        "--migrations",
        str(root / "migrations"),
        "--database-url",
        "postgresql://x@127.0.0.1:1/x",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    found = {(Path(f["file"]).name, f["rule"]) for f in json.loads(r.stdout)["findings"]}
    assert found == {  # drizzle-kit's generated files are not idempotent; the hand-written one is clean
        ("0000_initial_schema.sql", "create-table-if-not-exists"),
        ("0000_initial_schema.sql", "create-index-if-not-exists"),
        ("0001_onboarding.sql", "create-table-if-not-exists"),
        ("0001_onboarding.sql", "add-column-if-not-exists"),
        ("0002_partners.sql", "create-table-if-not-exists"),
        ("0002_partners.sql", "create-index-if-not-exists"),
        # squawk's type advice: varchar(n) and integer columns of the sample schema
        ("0000_initial_schema.sql", "prefer-text-field"),
        ("0001_onboarding.sql", "prefer-bigint-over-int"),
        ("0002_partners.sql", "prefer-text-field"),
        ("0003_today_checklist.sql", "prefer-bigint-over-int"),
    }


def test_cli_exit_code_and_github_format(cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sql"
    bad.write_text("BEGIN;\nSELECT 1;\nCOMMIT;")
    r = cli("lint", str(bad), "--format", "github", "--migrations", str(tmp_path), cwd=tmp_path)
    assert r.returncode == 1
    assert f"::error file={bad},line=1,col=1,title=transaction-nesting::" in r.stdout


def test_a_breakpoint_inside_a_literal_is_split_as_drizzle_does() -> None:
    # drizzle-orm splits on the marker even inside a string: each half is a syntax error for PostgreSQL
    assert "syntax-error" in rules("SELECT '--> statement-breakpoint' AS x;")
    assert rules("SELECT 1;\n--> statement-breakpoint\nSELECT 2;") == set()


def test_parallel_lint_matches_the_serial_result(tmp_path: Path) -> None:
    from gtsd_tui.services.lint_runner import lint_paths

    items = []
    for i in range(6):
        p = tmp_path / f"{i:04d}_m.sql"
        p.write_text(f"CREATE TABLE t{i} (id bigint);\n--> statement-breakpoint\nDROP TABLE t{i};\n" * 50)
        items.append((p, False))
    serial = lint_paths(items, workers=1)
    import gtsd_tui.services.lint_runner as runner

    saved = runner.PARALLEL_BYTES
    runner.PARALLEL_BYTES = 0
    try:
        assert lint_paths(items, workers=3) == serial  # a pool of 3 (MIN_WORKERS)
    finally:
        runner.PARALLEL_BYTES = saved
    assert len(serial) == 6 * 50 * 3  # create-table-if-not-exists, drop-if-exists, ban-drop-table


PIECES = [text for pair in CASES.values() for text in pair] + [
    "INSERT INTO t (a) VALUES (1), (2);",
    "-- gtsd-lint: ignore drop-table\nDROP TABLE IF EXISTS t;",
    "/* block */ ALTER TABLE t ALTER COLUMN c TYPE text;",
    "SELECT 'x --> statement-breakpoint y';",
]


def _both_strategies(text: str) -> tuple[list, list]:
    import gtsd_tui.core.lint.engine as lint

    one_pass = lint_text("m.sql", text, hand_written=True)
    saved = lint.ONE_PASS_MAX
    lint.ONE_PASS_MAX = -1  # force the scan-first path: split, then trees for the statements rules read
    try:
        return one_pass, lint_text("m.sql", text, hand_written=True)
    finally:
        lint.ONE_PASS_MAX = saved


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=8),
    st.lists(st.sampled_from(["\n--> statement-breakpoint\n", "\n", "\n\n-- note\n", " "]), min_size=8, max_size=8),
)
def test_one_pass_and_scan_first_find_the_same(pieces: list[str], seps: list[str]) -> None:
    text = "".join(p + s for p, s in zip(pieces, seps, strict=False))
    one_pass, scan_first = _both_strategies(text)
    assert one_pass == scan_first


def test_one_pass_positions_on_a_generated_file() -> None:
    text = "\n--> statement-breakpoint\n".join(
        f"CREATE TABLE t{i} (id int);\nINSERT INTO t{i} VALUES (1);\nALTER TABLE u{i} RENAME TO v{i};"
        for i in range(30)
    )
    one_pass, scan_first = _both_strategies(text)
    assert one_pass == scan_first
    renames = [f for f in one_pass if f.rule == "renaming-table"]
    assert [(f.line, f.column) for f in renames[:2]] == [(3, 16), (7, 16)]
    assert len([f for f in one_pass if f.rule == "create-table-if-not-exists"]) == 30
