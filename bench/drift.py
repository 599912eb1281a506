"""``gtsd-tui drift --json`` of a 500-table database against ``pg_dump --schema-only`` of the same database.

The schema: 500 tables (serial key, text, varchar with a default, a nullable timestamp, a jsonb), each
with a unique constraint, a partial index, a foreign key to the previous table and a check; an enum
used by every table. Its snapshot is the catalog read with the check and index predicates written
as drizzle-kit writes them (``"t1"."deleted_at" is null``), so every expression goes through the
parser; drift compares everything and finds nothing. Two figures: the whole command (a new process:
Python, the CLI's parser, psycopg), and the drift service in this process (connection, reads,
compare). Target: drift within 2x of pg_dump. Runs alternate (pg_dump, drift, ...); medians of 7.
Run: ``python bench/drift.py`` (uses DATABASE_URL, else the embedded server under bench/.out).
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, database_url, fresh_database, gtsd, report, timed  # noqa: E402

TABLES = 500
ROUNDS = 7


def schema_sql() -> str:
    out = ["CREATE TYPE \"public\".\"state\" AS ENUM('new', 'open', 'closed');"]
    for i in range(TABLES):
        fk = f', "parent_id" integer REFERENCES "t{i - 1}"("id") ON DELETE cascade' if i else ""
        out.append(
            f'CREATE TABLE "t{i}" ("id" serial PRIMARY KEY NOT NULL, "name" text NOT NULL, '
            f'"code" varchar(32) DEFAULT \'x\', "state" "state" DEFAULT \'new\' NOT NULL, '
            f'"deleted_at" timestamp, "meta" jsonb DEFAULT \'{{}}\'::jsonb{fk}, '
            f'CONSTRAINT "t{i}_name_unique" UNIQUE("name"), CONSTRAINT "t{i}_code_check" CHECK (length("code") < 30));'
        )
        out.append(f'CREATE INDEX "t{i}_live_idx" ON "t{i}" USING btree ("code") WHERE "deleted_at" is null;')
    return "\n".join(out)


def main() -> None:
    import psycopg

    from gtsd_tui.db.drift_catalog import read_schema
    from gtsd_tui.db.history import ensure_table, insert_row_sql
    from gtsd_tui.db.pg_binaries import client_bindir

    url = fresh_database(database_url(), "bench_drift")
    folder = OUT / "drift500"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "meta").mkdir(parents=True)
    text = schema_sql()
    (folder / "0000_big.sql").write_text(text)
    journal = {"version": "7", "dialect": "postgresql", "entries": []}
    journal["entries"].append(
        {"idx": 0, "version": "7", "when": 1_700_000_000_000, "tag": "0000_big", "breakpoints": True}
    )
    (folder / "meta" / "_journal.json").write_text(json.dumps(journal, indent=2))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(text)
        body = read_schema(conn, "drizzle", "__drizzle_migrations")
        for name, t in body["tables"].items():  # the expressions as drizzle-kit writes them, not as read
            table = name.split(".", 1)[1]
            for ch in t["checkConstraints"].values():
                ch["value"] = 'length("code") < 30'
            for ix in t["indexes"].values():
                ix["where"] = f'"{table}"."deleted_at" is null'
                for c in ix["columns"]:
                    c.pop("opclass", None)
        snap = {"id": str(uuid.uuid4()), "prevId": "00000000-0000-0000-0000-000000000000", "version": "7"}
        snap.update({"dialect": "postgresql", **body, "roles": {}, "policies": {}, "views": {}})
        (folder / "meta" / "0000_snapshot.json").write_text(json.dumps(snap, indent=2))
        ensure_table(conn, "drizzle", "__drizzle_migrations")
        from gtsd_tui.core.migrations.hashing import drizzle_hash

        conn.execute(
            insert_row_sql("drizzle", "__drizzle_migrations"), (drizzle_hash(text.encode()), 1_700_000_000_000)
        )

    bindir = client_bindir(url)
    pg_dump = str(bindir / "pg_dump") if bindir and (bindir / "pg_dump").exists() else shutil.which("pg_dump")
    assert pg_dump, "pg_dump not found"
    dump = [pg_dump, "--schema-only", "--no-owner", "-d", url]
    drift = gtsd("drift", "--json", "--migrations", str(folder), "--database-url", url)
    t, r = timed(dump)
    assert r.returncode == 0, r.stderr
    t, r = timed(drift)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    assert json.loads(r.stdout)["differences"] == []
    from gtsd_tui.config import load_settings
    from gtsd_tui.services.drift import drift as drift_service
    from gtsd_tui.services.project import Project

    project = Project(load_settings(database_url=url, migrations=str(folder)))
    dumps, drifts, services = [], [], []
    for _ in range(ROUNDS):  # alternating: all three see the same machine load
        dumps.append(timed(dump)[0])
        t, r = timed(drift)
        assert r.returncode == 0, r.stderr
        drifts.append(t)
        t0 = time.perf_counter()
        assert not drift_service(project).differences
        services.append(time.perf_counter() - t0)
    dump_median = statistics.median(dumps)
    name = f"gtsd-tui drift --json ({TABLES} tables, median of {ROUNDS})"
    report(name, statistics.median(drifts), "pg_dump --schema-only", dump_median, "< 2x")
    report("  the drift service in process (no start-up)", statistics.median(services), "pg_dump", dump_median, "< 2x")


if __name__ == "__main__":
    main()
