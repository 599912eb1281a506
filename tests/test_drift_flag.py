"""The drift flag where the state is shown: ``status`` (fingerprint first, full comparison when it moved)
and ``envs`` (a drift column), on a TypeScript project applied by the real drizzle-orm."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from tests.conftest import run_cli
from tests.helpers.kit_project import KitProject
from tests.helpers.node import drizzle_migrate

SCHEMA = (Path(__file__).parent / "drift_schemas" / "app.ts").read_text()

pytestmark = [pytest.mark.pg, pytest.mark.node]


def status_json(folder: Path, url: str) -> dict:
    r = run_cli("status", "--json", "--database-url", url, "--migrations", str(folder))
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_status_says_drift_fingerprint_first(tmp_path: Path, pg_url: str) -> None:
    p = KitProject(tmp_path / "app")
    p.schema({"app.ts": SCHEMA})
    p.generate("init")
    assert drizzle_migrate(pg_url, p.folder).returncode == 0

    first = status_json(p.folder, pg_url)["schema"]
    assert first == {"tag": "0000_init", "drift": False, "differences": 0, "fingerprint_matched": False, "note": None}
    again = status_json(p.folder, pg_url)["schema"]  # nothing moved: the fingerprint answers
    assert again["drift"] is False and again["fingerprint_matched"] is True

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute('ALTER TABLE "users" ALTER COLUMN "born" SET NOT NULL')
    after = status_json(p.folder, pg_url)["schema"]
    assert after["drift"] is True and after["differences"] == 1 and after["fingerprint_matched"] is False
    r = run_cli("status", "--database-url", pg_url, "--migrations", str(p.folder))
    assert "drift: the schema differs from the snapshot of 0000_init (1 difference" in r.stdout

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute('ALTER TABLE "users" ALTER COLUMN "born" DROP NOT NULL')
    r = run_cli("status", "--database-url", pg_url, "--migrations", str(p.folder))
    assert "schema: as the snapshot of 0000_init (no drift)" in r.stdout


def test_envs_has_a_drift_column(tmp_path: Path, pg_url: str, pg_server: str) -> None:
    p = KitProject(tmp_path / "app")
    p.schema({"app.ts": SCHEMA})
    p.generate("init")
    other = pg_url + "_b"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{other.rsplit("/", 1)[1]}"')
    for url in (pg_url, other):
        assert drizzle_migrate(url, p.folder).returncode == 0
    with psycopg.connect(other, autocommit=True) as conn:
        conn.execute('CREATE INDEX "hotfix" ON "posts" ("slug")')
    (p.root / ".env.dev").write_text(f"DATABASE_URL={pg_url}\n")
    (p.root / ".env.prod").write_text(f"DATABASE_URL={other}\n")
    r = run_cli("envs", "--json", "--migrations", str(p.folder), cwd=p.root)
    assert r.returncode == 0, r.stderr
    envs = {e["name"]: e["schema"] for e in json.loads(r.stdout)["environments"]}
    assert envs["dev"]["drift"] is False and envs["prod"]["drift"] is True
    r = run_cli("envs", "--migrations", str(p.folder), cwd=p.root)
    lines = {line.split()[0]: line for line in r.stdout.splitlines() if line.startswith(("dev ", "prod "))}
    assert lines["dev"].endswith("  no drift") and lines["prod"].endswith("  drift")


def test_fleet_status_has_a_drift_column(tmp_path: Path, pg_url: str, pg_server: str) -> None:
    p = KitProject(tmp_path / "app")
    p.schema({"app.ts": SCHEMA})
    p.generate("init")
    base = pg_url.rsplit("/", 1)[1]
    urls = [pg_url + suffix for suffix in ("_t1", "_t2")]
    with psycopg.connect(pg_server, autocommit=True) as conn:
        for url in urls:
            conn.execute(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"')
    for url in urls:
        assert drizzle_migrate(url, p.folder).returncode == 0
    with psycopg.connect(urls[1], autocommit=True) as conn:
        conn.execute('ALTER TABLE "users" ADD COLUMN "hand_made" text')
    args = ("fleet", "status", "--databases-like", f"{base}_t%", "--migrations", str(p.folder))
    r = run_cli(*args, "--database-url", pg_server, "--json")
    assert r.returncode == 0, r.stderr
    got = {name: state["drift"] for name, state in json.loads(r.stdout)["schema"].items()}
    assert got == {f"{base}_t1": False, f"{base}_t2": True}
    r = run_cli(*args, "--database-url", pg_server)
    assert f"schema: 1 with drift: {base}_t2 (1), 1 as their snapshot" in r.stdout.splitlines()
