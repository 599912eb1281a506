"""``gtsd-tui drift`` on real projects: a TypeScript schema, the real ``drizzle-kit generate``, the real
drizzle-orm migrator, hand-made changes, and ``drizzle-kit pull`` as the second opinion."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
import pytest

from gtsd_tui.core.schema_drift.drift import compare, norm_default, norm_type
from tests.conftest import run_cli
from tests.helpers.kit_project import KitProject, catalog
from tests.helpers.node import drizzle_migrate, drizzle_rows

SCHEMA = (Path(__file__).parent / "drift_schemas" / "app.ts").read_text()
CORPUS = Path("/work/shared/corpus/dittofeed/drizzle")

PULL_CONFIG = """import { defineConfig } from "drizzle-kit";
export default defineConfig({
  dialect: "postgresql",
  out: "./pulled",
  schemaFilter: ["public", "billing"],
  dbCredentials: { url: process.env.DATABASE_URL! },
});
"""

# One hand-made change per acceptance point, and the difference drift must name for it.
CHANGES = [
    ('ALTER TABLE "users" ADD COLUMN "nickname" text', ("column", "public.users.nickname", "extra")),
    ('CREATE INDEX "users_born_idx" ON "users" ("born")', ("index", "public.users_born_idx", "extra")),
    ('ALTER TABLE "users" ALTER COLUMN "ratio" SET NOT NULL', ("column", "public.users.ratio", "changed")),
    ('CREATE TABLE "audit" ("id" integer)', ("table", "public.audit", "extra")),
    ('ALTER TABLE "users" ALTER COLUMN "name" SET DEFAULT \'someone\'', ("column", "public.users.name", "changed")),
    ('ALTER TYPE "public"."mood" ADD VALUE \'angry\'', ("enum", "public.mood", "changed")),
]


def drift_json(project: Path, url: str, *extra: str) -> tuple[int, dict]:
    r = run_cli("drift", "--json", "--database-url", url, "--migrations", str(project), *extra)
    assert r.returncode in (0, 1), r.stderr
    return r.returncode, json.loads(r.stdout)


def names(differences: list[dict]) -> set[tuple[str, str, str]]:
    return {(d["kind"], d["object"], d["action"]) for d in differences}


def pull(p: KitProject, url: str) -> dict:
    """``drizzle-kit pull`` of the database: its snapshot (the tool's own introspection)."""
    (p.root / "pull.config.ts").write_text(PULL_CONFIG)
    r = p.kit("pull", "--config", "pull.config.ts", url=url)
    assert r.returncode == 0, r.stdout + r.stderr
    (snap,) = (p.root / "pulled" / "meta").glob("0000_snapshot.json")
    data = json.loads(snap.read_text())
    shutil.rmtree(p.root / "pulled")
    return data


def pulled_names(expected: dict, pulled: dict) -> set[tuple[str, str, str]]:
    return {(d.kind, d.name, d.action) for d in compare(expected, pulled)}


@pytest.mark.pg
@pytest.mark.node
def test_kit_project_no_drift_after_apply_then_each_hand_change_named(tmp_path: Path, pg_url: str) -> None:
    p = KitProject(tmp_path / "app")
    p.schema({"app.ts": SCHEMA})
    p.generate("init")
    r = drizzle_migrate(pg_url, p.folder)
    assert r.returncode == 0, r.stderr
    rows = drizzle_rows(pg_url)
    expected = json.loads((p.folder / "meta" / "0000_snapshot.json").read_text())

    code, out = drift_json(p.folder, pg_url)
    assert (code, out["differences"], out["tag"]) == (0, [], "0000_init")
    # drizzle-kit pull's reading of the same database: its own quirks (kept out of the comparison below)
    quirks = pulled_names(expected, pull(p, pg_url))

    with psycopg.connect(pg_url, autocommit=True) as conn:
        for statement, want in CHANGES:
            conn.execute(statement)
            before = catalog(pg_url)
            code, out = drift_json(p.folder, pg_url)
            assert code == 1
            assert want in names(out["differences"]), (statement, out["differences"])
            assert catalog(pg_url) == before  # drift wrote nothing
            assert pulled_names(expected, pull(p, pg_url)) - quirks == names(out["differences"]), statement
    assert drizzle_rows(pg_url) == rows

    # the statements drift prints bring the database back to the snapshot
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for d in out["differences"]:
            for stmt in d["statements"]:
                conn.execute(stmt)
    code, out = drift_json(p.folder, pg_url)
    assert (code, out["differences"]) == (0, [])


@pytest.mark.pg
@pytest.mark.node
def test_dittofeed_no_drift_after_the_real_migrator(pg_url: str) -> None:
    if not CORPUS.is_dir():
        pytest.skip("the dittofeed corpus is not on this machine")
    r = drizzle_migrate(pg_url, CORPUS)
    assert r.returncode == 0, r.stderr
    code, out = drift_json(CORPUS, pg_url)
    assert (code, out["differences"], out["tag"]) == (0, [], "0010_subscription_management_template")
    # an older snapshot: what the last migration made is named, with drizzle-kit's statements
    code, out = drift_json(CORPUS, pg_url, "--at", "0009_daily_romulus")
    assert code == 1
    extra = {d["object"]: d for d in out["differences"]}
    assert extra["public.SubscriptionManagementTemplate"]["statements"] == [
        'DROP TABLE "SubscriptionManagementTemplate" CASCADE;'
    ]


@pytest.mark.pg
@pytest.mark.node
def test_drift_works_as_a_role_that_may_only_read(tmp_path: Path, pg_url: str) -> None:
    p = KitProject(tmp_path / "app")
    p.schema({"app.ts": SCHEMA})
    p.generate("init")
    assert drizzle_migrate(pg_url, p.folder).returncode == 0
    role = "reader_" + pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'GRANT USAGE ON SCHEMA drizzle TO "{role}"')
        conn.execute(f'GRANT SELECT ON drizzle.__drizzle_migrations TO "{role}"')
    reader_url = pg_url.replace("postgresql://postgres@", f"postgresql://{role}@")
    try:
        code, out = drift_json(p.folder, reader_url)
        assert (code, out["differences"]) == (0, [])
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute('ALTER TABLE "posts" ADD COLUMN "x" int')
        code, out = drift_json(p.folder, reader_url)
        assert code == 1 and ("column", "public.posts.x", "extra") in names(out["differences"])
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


def test_drift_unknown_tag_is_a_usage_error(tmp_path: Path) -> None:
    folder = tmp_path / "drizzle"
    (folder / "meta").mkdir(parents=True)
    (folder / "meta" / "_journal.json").write_text('{"version":"7","dialect":"postgresql","entries":[]}')
    r = run_cli(
        "drift", "--at", "0007_nope", "--migrations", str(folder), "--database-url", "postgresql://x@127.0.0.1:1/x"
    )
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == [f"gtsd-tui: 0007_nope: no such migration in {folder}"]


def test_type_and_default_spellings_compare_equal() -> None:
    assert norm_type({"type": "timestamp (3) with time zone"}) == norm_type({"type": "timestamp(3) with time zone"})
    assert norm_type({"type": "varchar(256)"}) == norm_type({"type": "character varying(256)"})
    assert norm_type({"type": "numeric(10, 2)"}) == norm_type({"type": "numeric(10,2)"})
    assert norm_type({"type": "timestamp"}) == norm_type({"type": "timestamp without time zone"})
    assert norm_type({"type": "char(2)"}) != norm_type({"type": "char(3)"})
    assert norm_type({"type": "mood", "typeSchema": "public"}) != norm_type({"type": "mood"})
    assert norm_default("'anon'") == norm_default("'anon'::text")
    assert norm_default("'9.99'") == norm_default("9.99")
    assert norm_default(-1) == norm_default("'-1'::integer")
    assert norm_default("'open'") == norm_default("'open'::billing.status")
    assert norm_default("'{}'::jsonb") == norm_default("'{}'")
    assert norm_default("'a'") != norm_default("'b'::text")
    assert norm_default(True) == norm_default("true")


@pytest.mark.pg
@pytest.mark.node
def test_v1_folder_no_drift_after_drizzle_orm_1_then_a_change_named(tmp_path: Path, pg_url: str) -> None:
    import time

    from tests.helpers.node_v1 import generate_v1, v1_migrate

    project = tmp_path / "v1"
    project.mkdir()
    (project / "schema.ts").write_text(SCHEMA)
    first = generate_v1(project, "init")
    time.sleep(1.1)
    (project / "schema.ts").write_text(SCHEMA.replace('name: text("name").default("anon"),', 'name: text("name"),'))
    second = generate_v1(project, "plain_name")  # a diff snapshot: replayed over the base one
    folder = project / "drizzle"
    assert v1_migrate(pg_url, folder).returncode == 0
    code, out = drift_json(folder, pg_url)
    assert (code, out["differences"], out["tag"]) == (0, [], second.name)
    code, out = drift_json(folder, pg_url, "--at", first.name)
    assert code == 1
    assert [(d["object"], d["statements"]) for d in out["differences"]] == [
        ("public.users.name", ['ALTER TABLE "users" ALTER COLUMN "name" SET DEFAULT \'anon\';'])
    ]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute('CREATE INDEX "posts_slug_idx" ON "posts" ("slug")')
    code, out = drift_json(folder, pg_url)
    assert code == 1 and names(out["differences"]) == {("index", "public.posts_slug_idx", "extra")}


@pytest.mark.pg
@pytest.mark.node
def test_objects_drizzle_does_not_model_are_not_drift(tmp_path: Path, pg_url: str) -> None:
    p = KitProject(tmp_path / "app")
    p.schema({"app.ts": SCHEMA})
    p.generate("init")
    assert drizzle_migrate(pg_url, p.folder).returncode == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        available = {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions").fetchall()}
        for ext in ("hstore", "pg_trgm", "citext") if available else ():
            if ext in available:
                conn.execute(f'CREATE EXTENSION IF NOT EXISTS "{ext}"')
        conn.execute('CREATE TABLE "drizzle"."notes" ("id" integer)')  # drizzle's own schema
        conn.execute("CREATE OR REPLACE VIEW users_view AS SELECT 1 AS x")  # views: not compared
        conn.execute("CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    code, out = drift_json(p.folder, pg_url)
    assert (code, out["differences"]) == (0, [])
    with psycopg.connect(pg_url, autocommit=True) as conn:  # an extension's type used by a column is
        if "citext" in available:  # the column's drift, named by type
            conn.execute('ALTER TABLE "users" ALTER COLUMN "name" TYPE citext')
            code, out = drift_json(p.folder, pg_url)
            assert code == 1 and ("column", "public.users.name", "changed") in names(out["differences"])


@pytest.mark.pg
@pytest.mark.node
def test_dittofeed_upgraded_to_v1_no_drift_after_drizzle_orm_1(tmp_path: Path, pg_url: str) -> None:
    """``drizzle-kit up`` (rc.5) turns the journal folder into v1 folders (a base snapshot, then diffs
    that drop and alter indexes, enums and columns); drizzle-orm 1.0 applies it; drift replays them."""
    from tests.helpers.node_v1 import up_v1, v1_migrate

    if not CORPUS.is_dir():
        pytest.skip("the dittofeed corpus is not on this machine")
    shutil.copytree(CORPUS, tmp_path / "drizzle")
    r = up_v1(tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    folder = tmp_path / "drizzle"
    assert v1_migrate(pg_url, folder).returncode == 0
    code, out = drift_json(folder, pg_url)
    assert (code, out["differences"]) == (0, [])
    assert out["tag"].endswith("_subscription_management_template")


@pytest.mark.pg
@pytest.mark.node
def test_identity_changes_get_drizzle_kits_statements(tmp_path: Path, pg_url: str) -> None:
    """The forms measured on drizzle-kit 0.31.11 (generate after changing an identity in TypeScript)."""
    p = KitProject(tmp_path / "app")
    p.schema({"app.ts": SCHEMA})
    p.generate("init")
    assert drizzle_migrate(pg_url, p.folder).returncode == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute('ALTER TABLE "posts" ALTER COLUMN "id" SET GENERATED BY DEFAULT')
        conn.execute('ALTER TABLE "posts" ALTER COLUMN "big" SET INCREMENT BY 3')
        conn.execute('ALTER TABLE "posts" ALTER COLUMN "big" SET START WITH 20')
        conn.execute('ALTER TABLE "tags_on_posts" ADD COLUMN "n" integer GENERATED ALWAYS AS IDENTITY')
    code, out = drift_json(p.folder, pg_url)
    assert code == 1
    fixes = {d["object"]: d["statements"] for d in out["differences"]}
    assert fixes == {
        "public.posts.id": ['ALTER TABLE "posts" ALTER COLUMN "id" SET GENERATED ALWAYS;'],
        "public.posts.big": [
            'ALTER TABLE "posts" ALTER COLUMN "big" SET INCREMENT BY 1;',
            'ALTER TABLE "posts" ALTER COLUMN "big" SET START WITH 10;',
        ],
        "public.tags_on_posts.n": ['ALTER TABLE "tags_on_posts" DROP COLUMN "n";'],
    }
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for stmts in fixes.values():
            for stmt in stmts:
                conn.execute(stmt)
    code, out = drift_json(p.folder, pg_url)
    assert (code, out["differences"]) == (0, [])
