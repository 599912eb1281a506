"""squawk 2.70 itself (``squawk-cli``) and gtsd-tui on the same files: squawk's own rule test cases
(``tests/data/squawk_cases``, each with the settings of its test) and the real dittofeed folder, compared
by (file, line, rule). Every disagreement must be a row of ``tests/data/lint_deviations.tsv`` whose
reason is a row of the deviation table in ``docs/lint.md``; the reasons that say PostgreSQL decides are
checked against a real server."""

from __future__ import annotations

import re

import psycopg
import pytest

from gtsd_tui.core.lint import lint_text
from tests.helpers.squawk_diff import ROOT, case_scores, corpora, differ, read_deviations, squawk_cases, squawk_exe

pytestmark = pytest.mark.skipif(squawk_exe() is None, reason="squawk-cli is not installed (pip install squawk-cli)")


@pytest.fixture(scope="module")
def diff():  # type: ignore[no-untyped-def]
    return differ(corpora())


def test_every_disagreement_is_in_the_deviation_table(diff) -> None:  # type: ignore[no-untyped-def]
    known = read_deviations()
    assert sorted(diff.disagreements - set(known)) == []  # a new disagreement: fix it or add it with a reason
    assert sorted(set(known) - diff.disagreements) == []  # a row that no longer happens: remove it


def test_each_reason_is_documented() -> None:
    doc = (ROOT / "docs" / "lint.md").read_text()
    section = doc.split("## Deviations from squawk", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", section, flags=re.M))
    assert set(read_deviations().values()) <= documented


def test_squawks_bad_examples_are_caught_and_good_ones_stay_silent(diff) -> None:  # type: ignore[no-untyped-def]
    _, manifest = squawk_cases()
    ours = case_scores(diff, manifest)["gtsd-tui"]
    bad = sum(1 for c in manifest.values() if c["expect"] == "err")
    assert bad >= 120
    # the one miss: SQL PostgreSQL's grammar refuses (`int array[]`), squawk's parser accepts
    assert ours["missed"] == ["ban-char-field/all_the_types.sql"]
    assert ours["false_positives"] == []


@pytest.mark.pg
def test_the_postgresql_reasons_hold_on_a_real_server(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE dev_t (a bigint)")
        conn.execute("INSERT INTO dev_t VALUES (1), (2)")
        # not-valid-unique: PostgreSQL refuses NOT VALID on UNIQUE and PRIMARY KEY
        for kind in ("UNIQUE (a)", "PRIMARY KEY (a)"):
            with pytest.raises(psycopg.errors.FeatureNotSupported):
                conn.execute(f"ALTER TABLE dev_t ADD CONSTRAINT dev_c {kind} NOT VALID")
        # serial-rewrite: ADD COLUMN ... serial fills every row (a new relfilenode: the table was rewritten)
        before = conn.execute("SELECT pg_relation_filenode('dev_t')").fetchone()
        conn.execute("ALTER TABLE dev_t ADD COLUMN s serial")
        after = conn.execute("SELECT pg_relation_filenode('dev_t')").fetchone()
        assert before != after
        assert conn.execute("SELECT count(DISTINCT s) FROM dev_t").fetchone() == (2,)
        # pg-rejects: `int array[]` is not PostgreSQL's grammar
        with pytest.raises(psycopg.errors.SyntaxError):
            conn.execute("CREATE TABLE dev_u (m int array[])")
        # do-blocks: the statements inside a DO block run (here an unqualified table name)
        conn.execute("DO $$ BEGIN CREATE TABLE dev_w (a int); END $$")
        assert conn.execute("SELECT to_regclass('public.dev_w') IS NOT NULL").fetchone() == (True,)


def test_gtsd_tui_reads_do_blocks_where_squawk_does_not() -> None:
    text = 'DO $$ BEGIN\n  ALTER TABLE "t" ADD CONSTRAINT "fk" FOREIGN KEY ("a") REFERENCES "u"("id");\nEND $$;'
    assert ("adding-foreign-key-constraint", 2) in {(f.rule, f.line) for f in lint_text("m.sql", text)}


@pytest.mark.node
def test_drizzle_kit_output_of_a_wide_schema(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """drizzle-kit 0.31 and 1.0 output (tables, columns and foreign keys added to existing tables, a
    column and a table dropped), linted as a drizzle folder: squawk and gtsd-tui agree, or the table says why."""
    from tests.helpers.squawk_diff import kit_corpora

    diff = differ(kit_corpora(tmp_path))
    assert {r for _c, _f, _l, r in diff.gtsd} >= {"adding-required-field", "adding-foreign-key-constraint"}
    assert sorted(diff.disagreements - set(read_deviations())) == []
