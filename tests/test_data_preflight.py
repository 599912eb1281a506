"""``gtsd-tui preflight`` and migrate's data preflight against a real PostgreSQL, on a project made with
the real drizzle-kit: rows that break each kind of statement are named with their count and keys,
read-only (a role with SELECT only, no lock above ACCESS SHARE, nothing written)."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.helpers.kit_project import KitProject, base_project, catalog
from tests.test_rehearse import gone

pytestmark = [pytest.mark.pg, pytest.mark.node]

HEAD = (
    'import { pgTable, pgEnum, serial, text, integer, varchar, check, uniqueIndex } from "drizzle-orm/pg-core";\n'
    'import { sql } from "drizzle-orm";\n'
)
V0 = (
    HEAD
    + """export const mood = pgEnum("mood", ["happy", "sad", "meh"]);
export const teams = pgTable("teams", { id: serial("id").primaryKey(), name: text("name") });
export const users = pgTable("users", {
  id: serial("id").primaryKey(), email: text("email"), age: integer("age"), code: text("code"),
  nick: varchar("nick", { length: 20 }), mood: mood("mood"), teamId: integer("team_id"), legacy: text("legacy"),
});
"""
)
NOTES = 'export const notes = pgTable("notes", { id: serial("id").primaryKey(), body: text("body") });\n'
V2 = (
    HEAD
    + """export const mood = pgEnum("mood", ["happy", "sad"]);
export const teams = pgTable("teams", { id: serial("id").primaryKey(), name: text("name") },
  (t) => [uniqueIndex("teams_name_idx").on(t.name)]);
export const users = pgTable("users", {
  id: serial("id").primaryKey(), email: text("email").notNull().unique(), age: integer("age"),
  code: integer("code"), nick: varchar("nick", { length: 5 }), mood: mood("mood"),
  teamId: integer("team_id").references(() => teams.id),
}, (t) => [check("age_ck", sql`${t.age} >= 0`)]);
export const notes = pgTable("notes", { id: serial("id").primaryKey(), body: text("body").unique() });
"""
)
V3 = V2.replace('mood: mood("mood"),', 'mood: mood("mood"), must: text("must").notNull(),')

BAD_ROWS = """
INSERT INTO teams (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'b'), (4, 'b');
INSERT INTO users (id, email, age, code, nick, mood, team_id, legacy) VALUES
  (1, NULL, 1, '1', 'ab', 'happy', 1, 'x'),
  (2, 'a@x', -1, 'x', 'abcdefgh', 'meh', 99, 'y'),
  (3, 'a@x', 3, '2', 'ok', 'sad', NULL, NULL),
  (4, 'b@x', 4, NULL, NULL, NULL, 2, 'z'),
  (5, 'c@x', -7, 'zz', 'ok', 'meh', 98, NULL);
"""
FIX_ROWS = """
UPDATE teams SET name = 'c' || id WHERE id > 2;
UPDATE users SET email = 'n' || id || '@x' WHERE email IS NULL OR id = 3;
UPDATE users SET age = abs(age), code = NULL, nick = left(nick, 5), team_id = NULL WHERE id IN (2, 5);
UPDATE users SET mood = 'sad' WHERE mood = 'meh';
"""


def kit_folder(tmp_path: Path, *, must: bool = True) -> KitProject:
    """0000 the tables, 0001 a harmless new table, 0002 every breaking kind, 0003 a NOT NULL column
    without default; drizzle-kit's ``SET DATA TYPE integer`` given the ``USING`` a user adds to it."""
    p = base_project(tmp_path, {"schema.ts": V0})
    p.step({"schema.ts": V0 + NOTES}, "harmless")
    p.step({"schema.ts": V2}, "breaking")
    if must:
        p.step({"schema.ts": V3}, "must")
    (breaking,) = p.folder.glob("0002_*.sql")
    text = breaking.read_text()
    plain = 'ALTER TABLE "users" ALTER COLUMN "code" SET DATA TYPE integer;'
    assert plain in text, text
    breaking.write_text(text.replace(plain, plain[:-1] + ' USING "code"::integer;'))
    return p


def args(p: KitProject, url: str, *extra: str) -> list[str]:
    return ["--migrations", str(p.folder), "--database-url", url, *extra]


def at_base(cli, tmp_path: Path, url: str, *, must: bool = True) -> KitProject:
    p = kit_folder(tmp_path, must=must)
    r = cli("migrate", *args(p, url, "--to", "0000_init"))
    assert r.returncode == 0, r.stderr
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(BAD_ROWS)
    gone(url)  # a session's table statistics reach pg_stat_user_tables as its backend exits, a moment later
    return p


def state(url: str) -> tuple[object, ...]:
    """The schema, every row of every table and the tracking table: what a write would change."""
    with psycopg.connect(url) as conn:
        rows = tuple(
            tuple(conn.execute(sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(t))).fetchall())
            for t in ("users", "teams")
        )
        tracking = conn.execute("SELECT hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id").fetchall()
        stats = conn.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables ORDER BY 1"
        ).fetchall()
    return catalog(url), rows, tracking, stats


def by_object(out: dict) -> dict[tuple[str, str], dict]:
    return {(f["kind"], f["object"]): f for f in out["findings"]}


EXPECTED = {  # (kind, object): (status, count, sample keys)
    ("cast", "users.mood"): ("fails", 2, [["2"], ["5"]]),
    ("not_null", "users.email"): ("fails", 1, [["1"]]),
    ("cast", "users.code"): ("fails", 2, [["2"], ["5"]]),
    ("cast", "users.nick"): ("fails", 1, [["2"]]),
    ("foreign_key", "users_team_id_teams_id_fk"): ("fails", 2, [["2"], ["5"]]),
    ("loss", "users.legacy"): ("loses", 3, [["1"], ["2"], ["4"]]),
    ("unique", "users_email_unique"): ("fails", 2, [["2"], ["3"]]),
    ("check", "age_ck"): ("fails", 2, [["2"], ["5"]]),
    ("unique", "teams_name_idx"): ("fails", 3, [["2"], ["3"], ["4"]]),
    ("unique", "notes_body_unique"): ("ok", 0, []),  # notes is created by 0001: no rows
    ("not_null", "users.must"): ("fails", 5, [["1"], ["2"], ["3"], ["4"], ["5"]]),
}


def readonly_url(url: str) -> tuple[str, str]:
    """A role that may only read (USAGE on the schemas, SELECT on the tables), and its URL."""
    role = "ro_" + uuid.uuid4().hex[:8]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        for schema in ("public", "drizzle"):
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), sql.Identifier(role)))
            conn.execute(
                sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
                    sql.Identifier(schema), sql.Identifier(role)
                )
            )
    info = psycopg.conninfo.conninfo_to_dict(url)
    return role, f"postgresql://{role}@{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{info['dbname']}"


def drop_role(url: str, role: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


class LockWatch:
    """Polls pg_locks for the relation locks the preflight's sessions hold, until stopped."""

    def __init__(self, url: str) -> None:
        self.url, self.seen = url, set()
        self.stop, self.polling = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            self.polling.set()
            while not self.stop.is_set():
                for mode, rel in conn.execute(
                    "SELECT l.mode, l.relation::regclass::text FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE a.application_name = 'gtsd-tui preflight' AND l.locktype = 'relation'"
                ).fetchall():
                    self.seen.add((mode, rel))

    def __enter__(self) -> LockWatch:
        """Returns once the poll is connected: a run that starts after it cannot finish unseen (one
        did, before the watch's own connection was made)."""
        self.thread.start()
        assert self.polling.wait(30), "the lock poll did not connect"
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def test_preflight_names_every_breaking_row_read_only(cli, tmp_path: Path, pg_url: str) -> None:
    p = at_base(cli, tmp_path, pg_url)
    before = state(pg_url)
    r = cli("preflight", "--json", *args(p, pg_url))
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert out["migrations"] == ["0001_harmless", "0002_breaking", "0003_must"]
    found = by_object(out)
    got = {k: (f["status"], f["count"], f["sample_keys"]) for k, f in found.items()}
    expected = dict(EXPECTED)
    with psycopg.connect(pg_url) as conn:
        if conn.info.server_version < 160000:  # no pg_input_is_valid: a USING that fails is proven, not counted
            expected[("cast", "users.code")] = ("fails", None, [])
    assert got == expected
    email = found[("not_null", "users.email")]
    assert email["file"].endswith("0002_breaking.sql") and email["key_columns"] == ["id"]
    text = (p.folder / Path(email["file"]).name).read_text().splitlines()
    assert text[email["line"] - 1][email["column"] - 1 :].startswith('ALTER TABLE "users" ALTER COLUMN "email"')
    assert email["query"] == 'SELECT count(*) FROM "users" AS "users" WHERE "users"."email" IS NULL'
    assert found[("unique", "teams_name_idx")]["groups"] == 1
    with psycopg.connect(pg_url) as conn:  # each reported query finds what it says, run as it stands
        for f in out["findings"]:
            if f["status"] in ("fails", "loses") and f["kind"] != "unique" and f["count"] is not None:
                assert conn.execute(f["query"]).fetchone()[0] == f["count"], f["query"]
    assert state(pg_url) == before

    role, ro_url = readonly_url(pg_url)
    try:
        blocker = psycopg.connect(pg_url)  # EXCLUSIVE conflicts with every table lock but ACCESS SHARE
        blocker.execute("LOCK TABLE users, teams IN EXCLUSIVE MODE")
        try:
            with LockWatch(pg_url) as watch:
                ro = cli("preflight", "--json", "--timeout", "20s", *args(p, ro_url))
        finally:
            blocker.rollback()
            blocker.close()
        assert ro.returncode == 1, ro.stderr
        assert by_object(json.loads(ro.stdout)) == found  # the same findings, queries and keys
        assert watch.seen, "the poll saw none of the run's locks"
        assert {mode for mode, _ in watch.seen} <= {"AccessShareLock"}, watch.seen
    finally:
        drop_role(pg_url, role)
    assert state(pg_url) == before


def test_migrate_refuses_before_the_first_statement(cli, tmp_path: Path, pg_url: str) -> None:
    p = at_base(cli, tmp_path, pg_url)
    before = state(pg_url)
    r = cli("migrate", *args(p, pg_url))
    assert r.returncode == 1, r.stdout + r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert "0002_breaking.sql:4:1: 0002_breaking would fail on existing data" in last, r.stderr
    assert "nothing applied" in last
    assert state(pg_url) == before  # not even the harmless 0001 ran
    assert "warning" not in r.stdout

    r = cli("migrate", "--no-preflight", *args(p, pg_url))  # today's behaviour: 0001 applies, 0002 fails
    assert r.returncode == 3, r.stderr
    assert "0002_breaking.sql" in r.stderr and "✓ 0001_harmless" in r.stdout
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone()[0] == 2


def test_fixed_data_passes_with_the_drop_warning_and_migrate_applies(cli, tmp_path: Path, pg_url: str) -> None:
    p = at_base(cli, tmp_path, pg_url, must=False)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(FIX_ROWS)
    r = cli("preflight", "--json", *args(p, pg_url))
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["ok"] and not [f for f in out["findings"] if f["status"] == "fails"]
    (loss,) = [f for f in out["findings"] if f["status"] != "ok"]
    assert (loss["kind"], loss["object"], loss["count"]) == ("loss", "users.legacy", 3)
    r = cli("migrate", *args(p, pg_url))
    assert r.returncode == 0, r.stderr
    assert "warning: preflight:" in r.stderr and "users.legacy" in r.stderr
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone()[0] == 3
    assert p.kit("check").returncode == 0


def test_migrate_json_refusal_and_rehearse_json_carry_the_findings(cli, tmp_path: Path, pg_url: str) -> None:
    p = at_base(cli, tmp_path, pg_url, must=False)
    expected = by_object(json.loads(cli("preflight", "--json", *args(p, pg_url)).stdout))
    r = cli("migrate", "--json", *args(p, pg_url))
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)  # one document: the refusal and every finding
    assert out["applied"] == [] and "would fail on existing data" in out["error"]["message"]
    assert by_object(out["preflight"]) == expected
    r = cli("rehearse", "--json", *args(p, pg_url))
    assert r.returncode == 3, r.stderr  # the rehearsal itself fails on the copy's rows, as it did before
    out = json.loads(r.stdout)
    assert by_object(out["preflight"]) == expected


def test_fleet_migrate_preflight_refuses_only_the_target_whose_rows_break(cli, tmp_path: Path, pg_url: str) -> None:
    p = at_base(cli, tmp_path, pg_url, must=False)
    clean = pg_url + "_clean"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(pg_url.rsplit("/", 1)[1] + "_clean")))
    assert cli("migrate", *args(p, clean, "--to", "0000_init")).returncode == 0
    targets = tmp_path / "targets.txt"
    targets.write_text(f"bad={pg_url}\nclean={clean}\n")
    before = state(pg_url)
    r = cli("fleet", "migrate", "--preflight", "--json", "--targets", str(targets), "--migrations", str(p.folder))
    assert r.returncode == 1, r.stdout + r.stderr
    res = {t["name"]: t for t in json.loads(r.stdout)["targets"]}
    assert res["bad"]["applied"] == [] and "would fail on existing data" in res["bad"]["error"]["summary"]
    assert [a["tag"] for a in res["clean"]["applied"]] == ["0001_harmless", "0002_breaking"]
    assert state(pg_url) == before  # nothing of the refused target changed
