"""Folders as found in real repositories: a journal entry without its file next to a big snapshot,
a dangling prevId, an unjournaled file whose change a later migration made, an unknown snapshot
version. Built with the real drizzle-kit where drizzle-kit made them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.helpers.folders import make_folder
from tests.helpers.kit_project import base_project, catalog, push_database
from tests.helpers.node import drizzle_kit_check, drizzle_migrate

IMPORTS = 'import { pgTable, serial, text } from "drizzle-orm/pg-core";\n'


def many_tables(n: int) -> str:
    body = "".join(
        f'export const t{i:02d} = pgTable("t{i:02d}", {{ id: serial("id").primaryKey(), name: text("name") }});\n'
        for i in range(1, n + 1)
    )
    return IMPORTS + body


@pytest.mark.node
@pytest.mark.pg
def test_squashed_history_keeps_its_43_table_snapshot(cli, tmp_path: Path, pg_url: str) -> None:
    """(a) The journal's only entry has no .sql, the history lies in unjournaled files, and
    meta/0000_snapshot.json holds the 43 tables: renumber must list the dropped entry and carry
    the 43-table snapshot forward to every registered file."""
    p = base_project(tmp_path, {"all.ts": many_tables(43)})
    init = (p.folder / "0000_init.sql").read_text()
    chunks = init.split("--> statement-breakpoint\n")
    third = len(chunks) // 3
    parts = [chunks[:third], chunks[third : 2 * third], chunks[2 * third :]]
    for i, part in enumerate(parts, start=1):
        (p.folder / f"{i:04d}_history_{i}.sql").write_text("--> statement-breakpoint\n".join(part))
    (p.folder / "0000_init.sql").unlink()
    plan = cli("renumber", "--dry-run", "--offline", "--migrations", str(p.folder))
    assert "drop journal entry 0000_init: 0000_init.sql does not exist" in plan.stdout, plan.stdout
    r = cli("renumber", "--yes", "--offline", "--migrations", str(p.folder))
    assert r.returncode == 0, r.stdout + r.stderr
    for i in range(3):
        snap = json.loads((p.folder / f"meta/{i:04d}_snapshot.json").read_text())
        assert len(snap["tables"]) == 43, i
    gen = p.kit("generate", "--name", "after")
    assert "No schema changes" in gen.stdout, gen.stdout + gen.stderr
    kit = drizzle_kit_check(p.folder)
    assert kit.returncode == 0, kit.stdout + kit.stderr
    assert drizzle_migrate(pg_url, p.folder).returncode == 0
    assert catalog(pg_url) == catalog(push_database(p, pg_url))


@pytest.mark.node
def test_dangling_prev_id_is_reported_and_named_in_the_plan(cli, tmp_path: Path) -> None:
    users = IMPORTS + 'export const users = pgTable("users", { id: serial("id").primaryKey() });\n'
    p = base_project(tmp_path, {"users.ts": users})
    p.step({"users.ts": users.replace("primaryKey() }", 'primaryKey(), name: text("name") }')}, "add_name")
    snap = p.folder / "meta/0001_snapshot.json"
    data = json.loads(snap.read_text())
    data["prevId"] = str(uuid.uuid4())
    snap.write_text(json.dumps(data, indent=2))
    r = cli("check", "--json", "--offline", "--migrations", str(p.folder))
    found = [f for f in json.loads(r.stdout)["findings"] if f["code"] == "snapshot-dangling"]
    assert [f["files"] for f in found] == [["meta/0001_snapshot.json"]], r.stdout
    plan = cli("renumber", "--yes", "--offline", "--migrations", str(p.folder))
    assert "warning: meta/0001_snapshot.json: its prevId named no snapshot" in plan.stdout, plan.stdout
    assert "No schema changes" in p.kit("generate", "--name", "after").stdout
    assert drizzle_kit_check(p.folder).returncode == 0


@pytest.mark.node
def test_unjournaled_file_already_made_suggests_deleting_it(cli, tmp_path: Path) -> None:
    users = IMPORTS + 'export const users = pgTable("users", { id: serial("id").primaryKey() });\n'
    p = base_project(tmp_path, {"users.ts": users})
    p.step({"users.ts": users.replace("primaryKey() }", 'primaryKey(), status: text("status") }')}, "add_status")
    (p.folder / "0002_old_status.sql").write_text('ALTER TABLE "users" ADD COLUMN "status" text;')
    (p.folder / "0003_new_table.sql").write_text('CREATE TABLE "other" ("id" serial);')
    r = cli("check", "--json", "--offline", "--migrations", str(p.folder))
    found = {f["files"][0]: f for f in json.loads(r.stdout)["findings"] if f["code"] == "not-in-journal"}
    assert found["0002_old_status.sql"]["fix"] == "delete 0002_old_status.sql"
    assert "column users.status" in found["0002_old_status.sql"]["message"]
    assert found["0003_new_table.sql"]["fix"] == "gtsd-tui renumber"
    plan = cli("renumber", "--dry-run", "--offline", "--migrations", str(p.folder))
    assert "warning: 0002_old_status.sql: everything it creates already exists (column users.status)" in plan.stdout


def test_unknown_snapshot_version_is_a_finding_and_is_not_merged(cli, tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "m", [("a", "SELECT 1;"), ("b", "SELECT 2;")])
    snap = folder / "meta/0001_snapshot.json"
    data = json.loads(snap.read_text())
    data["version"] = "99"
    snap.write_text(json.dumps(data, indent=2))
    r = cli("check", "--json", "--offline", "--migrations", str(folder))
    found = [f for f in json.loads(r.stdout)["findings"] if f["code"] == "snapshot-version"]
    assert found and "'99' is unknown" in found[0]["message"], r.stdout
