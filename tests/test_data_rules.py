"""The data checks derived from pending statements, judged on the schema the earlier ones leave; and
their queries run as they stand on a real PostgreSQL (odd identifiers, a table too big for the timeout)."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from gtsd_tui.core.data.data_checks import Check, count_sql, sample_sql
from gtsd_tui.core.data.data_rules import pending_checks
from gtsd_tui.core.migrations.folder import load_folder
from gtsd_tui.core.migrations.plan import step_for
from tests.helpers.folders import make_folder
from tests.test_pgbouncer import bouncer_url  # noqa: F401 - the fixture

BP = "--> statement-breakpoint\n"
USERS = 'CREATE TABLE "users" ("id" serial PRIMARY KEY, "email" text, "team_id" integer);'


def checks(tmp_path: Path, *sqls: str) -> list[Check]:
    """The checks of every migration of a folder made of ``sqls``, all pending."""
    folder = load_folder(make_folder(tmp_path / "m", [(f"m{i}", s) for i, s in enumerate(sqls)]))
    steps = [step_for(folder, m, "per-file") for m in folder.migrations]
    return pending_checks(steps, folder.path)


def test_a_table_created_by_a_pending_statement_has_no_rows(tmp_path: Path) -> None:
    (c,) = checks(tmp_path, USERS, 'ALTER TABLE "users" ADD CONSTRAINT "u_email" UNIQUE("email");')
    assert c.kind == "unique" and c.empty and "created by 0000_m0" in (c.reason or "")


def test_a_column_added_without_default_is_null_on_every_row(tmp_path: Path) -> None:
    found = checks(
        tmp_path,
        'ALTER TABLE "users" ADD COLUMN "a" text;' + BP + 'ALTER TABLE "users" ADD COLUMN "b" int DEFAULT 7;',
        'ALTER TABLE "users" ALTER COLUMN "a" SET NOT NULL;'
        + BP
        + 'ALTER TABLE "users" ALTER COLUMN "b" SET NOT NULL;',
    )
    a, b = found
    assert a.checked and a.condition == "NULL IS NULL"  # every existing row fails
    assert b.checked and b.condition == "(7) IS NULL"  # the default fills them: none fails
    assert a.place.tag == "0001_m1" and (a.place.line, a.place.column) == (1, 1)
    assert (b.place.line, b.place.column) == (2, 1)


def test_a_backfill_before_set_not_null_is_not_judged_on_todays_rows(tmp_path: Path) -> None:
    (c,) = checks(
        tmp_path,
        'UPDATE "users" SET "email" = \'none\' WHERE "email" IS NULL;'
        + BP
        + 'ALTER TABLE "users" ALTER COLUMN "email" SET NOT NULL;',
    )
    assert not c.checked and "rows are changed by 0000_m0" in (c.reason or "")


def test_a_renamed_column_is_read_by_its_name_today(tmp_path: Path) -> None:
    (c,) = checks(
        tmp_path,
        'ALTER TABLE "users" RENAME COLUMN "email" TO "mail";'
        + BP
        + 'ALTER TABLE "users" ALTER COLUMN "mail" SET NOT NULL;',
    )
    assert c.condition == '"users"."email" IS NULL'


def test_not_valid_is_checked_at_validate(tmp_path: Path) -> None:
    found = checks(
        tmp_path,
        'ALTER TABLE "users" ADD CONSTRAINT "fk" FOREIGN KEY ("team_id") REFERENCES "teams"("id") NOT VALID;'
        + BP
        + 'ALTER TABLE "users" VALIDATE CONSTRAINT "fk";',
    )
    (c,) = found
    assert c.kind == "foreign_key" and c.place.line == 2
    assert 'NOT EXISTS (SELECT 1 FROM "teams" AS gtsd_parent' in (c.condition or "")


def test_enum_labels_come_from_the_pending_create_type(tmp_path: Path) -> None:
    (c,) = checks(
        tmp_path,
        'ALTER TABLE "users" ALTER COLUMN "mood" SET DATA TYPE text;'
        + BP
        + 'DROP TYPE "public"."mood";'
        + BP
        + "CREATE TYPE \"public\".\"mood\" AS ENUM('happy', 'sad');"
        + BP
        + 'ALTER TABLE "users" ALTER COLUMN "mood" SET DATA TYPE "public"."mood" USING "mood"::"public"."mood";',
    )
    assert c.kind == "cast" and c.checked and c.condition is not None
    assert c.condition.endswith("NOT IN ('happy', 'sad')")


@pytest.mark.pg
def test_odd_identifiers_are_quoted_from_the_parse_tree(cli, tmp_path: Path, pg_url: str) -> None:
    table, col = 'Odd "T"; DROP', 'e"x'
    qt, qc = '"Odd ""T""; DROP"', '"e""x"'
    folder = make_folder(
        tmp_path / "m",
        [
            ("base", f'CREATE TABLE {qt} ("ID" serial PRIMARY KEY, {qc} text, "Val" text);'),
            (
                "tighten",
                f'ALTER TABLE {qt} ALTER COLUMN {qc} SET NOT NULL;{BP}CREATE UNIQUE INDEX "ix" ON {qt} ("Val");',
            ),
        ],
    )
    r = cli("migrate", "--migrations", str(folder), "--database-url", pg_url, "--to", "0000_base")
    assert r.returncode == 0, r.stderr
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"INSERT INTO {qt} ({qc}, \"Val\") VALUES (NULL, 'a'), ('x', 'a'), (NULL, 'b')")
    r = cli("preflight", "--json", "--migrations", str(folder), "--database-url", pg_url)
    assert r.returncode == 1, r.stderr
    found = {f["kind"]: f for f in json.loads(r.stdout)["findings"]}
    assert (found["not_null"]["count"], found["not_null"]["sample_keys"]) == (2, [["1"], ["3"]])
    assert found["not_null"]["key_columns"] == ["ID"]
    assert (found["unique"]["count"], found["unique"]["groups"]) == (2, 1)
    assert found["not_null"]["object"] == f"{table}.{col}"
    assert found["not_null"]["query"] == f"SELECT count(*) FROM {qt} AS {qt} WHERE {qt}.{qc} IS NULL"


@pytest.mark.pg
def test_a_table_too_big_for_the_timeout_gets_a_marked_estimate(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(
        tmp_path / "m",
        [
            ("base", 'CREATE TABLE "big" ("id" serial PRIMARY KEY, "v" integer);'),
            ("tighten", 'ALTER TABLE "big" ALTER COLUMN "v" SET NOT NULL;'),
        ],
    )
    r = cli("migrate", "--migrations", str(folder), "--database-url", pg_url, "--to", "0000_base")
    assert r.returncode == 0, r.stderr
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO big (id, v) SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE g END "
            "FROM generate_series(1, 400000) g"
        )
        conn.execute("ANALYZE big")
    # The 2-core test machine, loaded, counted these 400,000 rows in 37-87 ms (7 runs): far beyond the 1 ms
    # allowed. The statistics the estimate is made from are read before the checks, not under this timeout.
    r = cli("preflight", "--json", "--timeout", "1ms", "--migrations", str(folder), "--database-url", pg_url)
    assert r.returncode == 0, r.stdout + r.stderr  # an estimate is no proof: not exit 1, and not "ok" either
    (f,) = json.loads(r.stdout)["findings"]
    assert f["status"] == "estimate" and f["estimated"] is True
    assert f["count"] > 0 and "timed out after 1 ms" in f["note"] and "null_frac" in f["note"]
    assert f["sample_keys"] == []


def test_sample_queries_name_keys_never_whole_rows(tmp_path: Path) -> None:
    (c,) = checks(tmp_path, 'ALTER TABLE "users" ALTER COLUMN "email" SET NOT NULL;')
    assert sample_sql(c, ["id"]) == (
        'SELECT "users"."id" FROM "users" AS "users" WHERE "users"."email" IS NULL ORDER BY "users"."id" LIMIT 5'
    )
    assert sample_sql(c, []) is not None and '"users".ctid' in (sample_sql(c, []) or "")
    assert count_sql(c) == 'SELECT count(*) FROM "users" AS "users" WHERE "users"."email" IS NULL'


@pytest.mark.pg
def test_preflight_of_a_revert_shows_what_rolling_back_destroys(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(
        tmp_path / "m",
        [
            ("base", USERS),
            (
                "more",
                'ALTER TABLE "users" ADD COLUMN "nick" text;' + BP + 'CREATE TABLE "logs" ("id" serial PRIMARY KEY);',
            ),
        ],
    )
    common = ("--migrations", str(folder), "--database-url", pg_url)
    assert cli("migrate", *common).returncode == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (nick) VALUES ('a'), (NULL), ('c')")
        conn.execute("INSERT INTO logs DEFAULT VALUES")
    r = cli("revert", "0001_more", *common)
    assert r.returncode == 0, r.stderr
    r = cli("preflight", "--json", *common)
    assert r.returncode == 0, r.stdout + r.stderr  # losses are warnings, not failures
    out = json.loads(r.stdout)
    assert len(out["migrations"]) == 1
    lost = {f["object"]: (f["status"], f["count"], f["sample_keys"]) for f in out["findings"]}
    assert lost == {"users.nick": ("loses", 2, [["1"], ["3"]]), "logs": ("loses", 1, [["1"]])}


def test_a_table_made_and_seeded_by_pending_statements_is_not_empty(tmp_path: Path) -> None:
    (c,) = checks(
        tmp_path,
        USERS + BP + "INSERT INTO \"users\" (\"email\") VALUES ('a'), ('a');",
        'CREATE UNIQUE INDEX "users_email" ON "users" ("email");',
    )
    assert not c.checked and not c.empty and "rows are changed by 0000_m0" in (c.reason or "")


def test_a_unique_index_on_plain_columns_follows_renames(tmp_path: Path) -> None:
    (c,) = checks(
        tmp_path,
        'ALTER TABLE "users" RENAME COLUMN "email" TO "mail";' + BP + 'CREATE UNIQUE INDEX "u" ON "users" ("mail");',
    )
    assert c.group == ('"users"."email"',) and c.column == "email"  # the name statistics know it by


@pytest.mark.pg
def test_validate_of_a_constraint_made_not_valid_earlier_reads_its_definition_on_the_target(
    cli, tmp_path: Path, pg_url: str
) -> None:
    folder = make_folder(
        tmp_path / "m",
        [
            ("base", 'CREATE TABLE "teams" ("id" serial PRIMARY KEY);' + BP + USERS),
            (
                "loose",
                'ALTER TABLE "users" ADD CONSTRAINT "users_team_fk" FOREIGN KEY ("team_id") REFERENCES "teams"("id") '
                "NOT VALID;" + BP + 'ALTER TABLE "users" ADD CONSTRAINT "mail" CHECK ("email" LIKE \'%@%\') NOT VALID;',
            ),
            (
                "tight",
                'ALTER TABLE "users" VALIDATE CONSTRAINT "users_team_fk";'
                + BP
                + 'ALTER TABLE "users" VALIDATE CONSTRAINT "mail";',
            ),
        ],
    )
    common = ("--migrations", str(folder), "--database-url", pg_url)
    assert cli("migrate", *common, "--to", "0000_base").returncode == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO teams DEFAULT VALUES")
        conn.execute("INSERT INTO users (email, team_id) VALUES ('a@x', 1), ('bad', 7), (NULL, NULL), ('c', 1)")
    r = cli("migrate", *common, "--to", "0001_loose")  # NOT VALID: existing rows are not checked, nor refused
    assert r.returncode == 0, r.stderr
    r = cli("preflight", "--json", *common)
    assert r.returncode == 1, r.stdout + r.stderr
    found = {
        f["kind"]: (f["object"], f["count"], f["sample_keys"], f["line"]) for f in json.loads(r.stdout)["findings"]
    }
    assert found == {"foreign_key": ("users_team_fk", 1, [["2"]], 1), "check": ("mail", 2, [["2"], ["4"]], 2)}


DITTOFEED = Path("/work/shared/corpus/dittofeed/drizzle")


@pytest.mark.pg
@pytest.mark.skipif(not DITTOFEED.is_dir(), reason="the dittofeed corpus is not on this machine")
def test_dittofeed_as_it_is_every_check_runs_or_says_why(cli, tmp_path: Path, pg_url: str) -> None:
    import shutil

    folder = tmp_path / "drizzle"
    shutil.copytree(DITTOFEED, folder)  # read-only: the corpus itself is never touched
    common = ("--migrations", str(folder), "--database-url", pg_url)
    assert cli("migrate", *common, "--to", "0001_brave_randall").returncode == 0
    r = cli("preflight", "--json", *common)
    assert r.returncode == 0, r.stdout + r.stderr
    findings = json.loads(r.stdout)["findings"]
    assert findings and all(f["status"] in ("ok", "unchecked") for f in findings)
    assert not [f for f in findings if "check itself failed" in (f["note"] or "")]
    unchecked = {(f["tag"], f["object"]) for f in findings if f["status"] == "unchecked"}
    assert all("rows are changed by 0002_spicy_inertia" in f["note"] for f in findings if f["status"] == "unchecked")
    assert ("0005_equal_raza", "Workspace_parentWorkspaceId_name_key") in unchecked  # the UPDATE of 0002 runs first
    assert cli("migrate", *common).returncode == 0


@pytest.mark.pg
def test_through_pgbouncer_transaction_pooling(cli, tmp_path: Path, pg_url: str, bouncer_url: str) -> None:  # noqa: F811
    """Through a transaction pooler, many tables: each check is a transaction of its own. (With one client
    PgBouncer keeps handing out the same server connection, so this does not prove the absence of
    prepared statements; prepare_threshold=None does.)"""
    n = 8
    base = BP.join(f'CREATE TABLE "t{i}" ("id" serial PRIMARY KEY, "v" integer);' for i in range(n))
    tighten = BP.join(f'ALTER TABLE "t{i}" ALTER COLUMN "v" SET NOT NULL;' for i in range(n))
    folder = make_folder(tmp_path / "m", [("base", base), ("tighten", tighten)])
    assert cli("migrate", "--migrations", str(folder), "--database-url", pg_url, "--to", "0000_base").returncode == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for i in range(n):
            conn.execute(
                f'INSERT INTO "t{i}" (v) SELECT CASE WHEN g <= {i} THEN NULL ELSE g END FROM generate_series(1, 9) g'
            )
    r = cli("preflight", "--json", "--migrations", str(folder), "--database-url", bouncer_url)
    assert r.returncode == 1, r.stdout + r.stderr
    counts = {f["object"]: f["count"] for f in json.loads(r.stdout)["findings"]}
    assert counts == {f"t{i}.v": i for i in range(n)}


@pytest.mark.pg
def test_a_narrowing_type_change_that_converts_reports_the_values_it_changes(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(
        tmp_path / "m",
        [
            (
                "base",
                'CREATE TABLE "p" ("id" serial PRIMARY KEY, "price" numeric(10, 2), "at" timestamp, "n" integer);',
            ),
            (
                "narrow",
                'ALTER TABLE "p" ALTER COLUMN "price" SET DATA TYPE numeric(10, 0);'
                + BP
                + 'ALTER TABLE "p" ALTER COLUMN "at" SET DATA TYPE date;'
                + BP
                + 'ALTER TABLE "p" ALTER COLUMN "n" SET DATA TYPE bigint;',
            ),
        ],
    )
    common = ("--migrations", str(folder), "--database-url", pg_url)
    assert cli("migrate", *common, "--to", "0000_base").returncode == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO p (price, at, n) VALUES (1.50, '2026-01-01 10:00', 1), (2.00, '2026-01-02', 2), "
            "(NULL, NULL, NULL), (3.25, '2026-01-03 00:00:01', 3)"
        )
    r = cli("preflight", "--json", *common)
    assert r.returncode == 0, r.stdout + r.stderr  # nothing fails: values change, a warning
    found = {f["object"]: (f["status"], f["count"], f["sample_keys"]) for f in json.loads(r.stdout)["findings"]}
    assert found == {
        "p.price": ("loses", 2, [["1"], ["4"]]),
        "p.at": ("loses", 2, [["1"], ["4"]]),
        "p.n": ("ok", 0, []),
    }


@pytest.mark.parametrize("command", ["preflight", "migrate"])
def test_a_bad_preflight_timeout_is_refused_before_any_connection(cli, tmp_path: Path, command: str) -> None:
    folder = make_folder(tmp_path / "m", [("base", USERS)])
    (tmp_path / ".env").write_text("GTSD_PREFLIGHT_TIMEOUT=soon\n")
    url = "postgresql://nobody@127.0.0.1:1/none"  # nothing listens: a connection would be exit 3
    r = cli(command, "--migrations", str(folder), "--database-url", url, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "GTSD_PREFLIGHT_TIMEOUT" in r.stderr and "'soon'" in r.stderr and "not a duration" in r.stderr


def test_add_column_not_null_with_default_null_has_no_default(tmp_path: Path) -> None:
    found = checks(
        tmp_path,
        'ALTER TABLE "users" ADD COLUMN "a" int DEFAULT NULL NOT NULL;'
        + BP
        + 'ALTER TABLE "users" ADD COLUMN "b" int DEFAULT 0 NOT NULL;'
        + BP
        + 'ALTER TABLE "users" ADD COLUMN "c" serial NOT NULL;',
    )
    assert [(c.kind, c.object, c.condition) for c in found] == [("not_null", "users.a", "true")]


@pytest.mark.pg
def test_enum_value_rename_and_truncate_are_counted_as_warnings(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(
        tmp_path / "m",
        [
            (
                "base",
                "CREATE TYPE \"Mood\" AS ENUM ('happy', 'sad');"
                + BP
                + 'CREATE TABLE "people" ("id" serial PRIMARY KEY, "mood" "Mood", "was" "Mood");'
                + BP
                + 'CREATE TABLE "scratch" ("id" serial PRIMARY KEY);',
            ),
            ("rename", "ALTER TYPE \"Mood\" RENAME VALUE 'sad' TO 'blue';" + BP + 'TRUNCATE "scratch";'),
        ],
    )
    common = ("--migrations", str(folder), "--database-url", pg_url)
    assert cli("migrate", *common, "--to", "0000_base").returncode == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO people (mood, was) VALUES ('sad', 'happy'), ('happy', 'sad'), ('sad', NULL)")
        conn.execute("INSERT INTO scratch DEFAULT VALUES")
    r = cli("preflight", "--json", *common)
    assert r.returncode == 0, r.stdout + r.stderr
    found = {
        (f["kind"], f["object"]): (f["status"], f["count"], f["sample_keys"]) for f in json.loads(r.stdout)["findings"]
    }
    assert found == {
        ("enum_value", "public.people.mood"): ("loses", 2, [["1"], ["3"]]),
        ("enum_value", "public.people.was"): ("loses", 1, [["2"]]),
        ("loss", "scratch"): ("loses", 1, [["1"]]),
    }
