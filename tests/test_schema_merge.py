"""Renumber merges the snapshots: projects built with the real drizzle-kit on two git branches,
merged with the real ``git merge``; afterwards ``drizzle-kit generate`` has nothing to do, ``check``
passes, drizzle-orm applies the folder and the database equals ``drizzle-kit push`` of the merged
schema."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.helpers.kit_project import KitProject, base_project, catalog, push_database
from tests.helpers.node import drizzle_kit_check, drizzle_migrate

pytestmark = [pytest.mark.node]

IMPORTS = 'import { pgTable, pgEnum, serial, text, integer, index } from "drizzle-orm/pg-core";\n'


def users(*extra: str, enum: tuple[str, ...] | None = None) -> str:
    cols = "".join(f"\n  {c}," for c in extra)
    head = IMPORTS + 'import { mood } from "./mood";\n' if enum else IMPORTS
    mood_col = '\n  mood: mood("mood"),' if enum else ""
    return (
        f'{head}export const users = pgTable("users", {{\n  id: serial("id").primaryKey(),\n'
        f'  email: text("email").notNull(),{mood_col}{cols}\n}});\n'
    )


def mood(*values: str) -> str:
    vals = ", ".join(f'"{v}"' for v in values)
    return f'{IMPORTS}export const mood = pgEnum("mood", [{vals}]);\n'


AUDIT = IMPORTS + (
    'export const auditLog = pgTable("audit_log", {\n  id: serial("id").primaryKey(),\n'
    '  action: text("action").notNull(),\n});\n'
)
BILLING = IMPORTS + (
    'import { users } from "./users";\n'
    'export const billing = pgTable("billing", {\n  id: serial("id").primaryKey(),\n'
    '  userId: integer("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),\n'
    '  amount: integer("amount").notNull(),\n});\n'
)


def tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def two_branches(
    tmp: Path, base: dict[str, str], a: list[tuple[dict[str, str], str]], b: list[tuple[dict[str, str], str]]
) -> KitProject:
    p = base_project(tmp, base)
    p.branch("a")
    for files, name in a:
        p.step(files, name)
    p.branch("b")
    for files, name in b:
        p.step(files, name)
    return p


def renumbered_is_whole(p: KitProject, cli, pg_url: str) -> str:
    """renumber --yes, then every check the issue asks for; returns renumber's output."""
    r = cli("renumber", "--yes", "--offline", "--migrations", str(p.folder))
    assert r.returncode == 0, r.stdout + r.stderr
    files = {f: (p.folder / f).read_bytes() for f in p.files()}
    gen = p.kit("generate", "--name", "after_merge")
    assert gen.returncode == 0, gen.stdout + gen.stderr
    assert "No schema changes" in gen.stdout, gen.stdout
    assert {f: (p.folder / f).read_bytes() for f in p.files()} == files  # generate wrote nothing
    kit = drizzle_kit_check(p.folder)
    assert kit.returncode == 0 and "Everything's fine" in kit.stdout + kit.stderr, kit.stdout + kit.stderr
    applied = drizzle_migrate(pg_url, p.folder)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert catalog(pg_url) == catalog(push_database(p, pg_url))
    # no leftovers: only migrations and meta/, and no conflict marker anywhere in the folder
    assert all(f.endswith(".sql") or f.startswith("meta/") for f in files), sorted(files)
    assert not any(b"<<<<<<<" in data for data in files.values())
    assert cli("check", "--offline", "--migrations", str(p.folder)).returncode == 0
    return r.stdout


@pytest.mark.pg
def test_disjoint_tables_and_a_foreign_key_to_a_kept_table(cli, tmp_path: Path, pg_url: str) -> None:
    p = two_branches(
        tmp_path,
        {"users.ts": users()},
        [({"audit.ts": AUDIT}, "add_audit")],
        [({"billing.ts": BILLING}, "add_billing")],
    )
    p.merge("a", "b", {"users.ts": users(), "audit.ts": AUDIT, "billing.ts": BILLING})
    plan = cli("renumber", "--dry-run", "--offline", "--migrations", str(p.folder))
    assert "+ table audit_log from 0001_add_audit" in plan.stdout, plan.stdout
    assert "independent: order does not matter" in plan.stdout, plan.stdout
    out = renumbered_is_whole(p, cli, pg_url)
    assert "0001_add_billing: rename to 0002_add_billing" in out
    merged = json.loads((p.folder / "meta/0002_snapshot.json").read_text())
    assert list(merged["tables"]) == ["public.audit_log", "public.billing", "public.users"]


@pytest.mark.pg
def test_same_table_different_columns(cli, tmp_path: Path, pg_url: str) -> None:
    p = two_branches(
        tmp_path,
        {"users.ts": users()},
        [({"users.ts": users('status: text("status")')}, "add_status")],
        [({"users.ts": users('plan: text("plan").default("free")')}, "add_plan")],
    )
    p.merge("a", "b", {"users.ts": users('status: text("status")', 'plan: text("plan").default("free")')})
    out = renumbered_is_whole(p, cli, pg_url)
    assert "+ column users.status from 0001_add_status" in out


@pytest.mark.pg
def test_several_migrations_on_the_moved_side(cli, tmp_path: Path, pg_url: str) -> None:
    tags = IMPORTS + 'export const tags = pgTable("tags", {\n  id: serial("id").primaryKey(),\n});\n'
    projects = IMPORTS + (
        'export const projects = pgTable("projects", {\n  id: serial("id").primaryKey(),\n'
        '  name: text("name").notNull(),EXTRA\n}IDX);\n'
    )
    idx = ', (t) => [index("projects_name_idx").on(t.name)]'
    owner = '\n  owner: integer("owner")'
    p = two_branches(
        tmp_path,
        {"users.ts": users()},
        [({"tags.ts": tags}, "add_tags")],
        [
            ({"projects.ts": projects.replace("EXTRA", "").replace("IDX", "")}, "add_projects"),
            ({"projects.ts": projects.replace("EXTRA", "").replace("IDX", idx)}, "index_projects"),
            ({"projects.ts": projects.replace("EXTRA", owner).replace("IDX", idx)}, "projects_owner"),
        ],
    )
    final = projects.replace("EXTRA", owner).replace("IDX", idx)
    p.merge("a", "b", {"users.ts": users(), "tags.ts": tags, "projects.ts": final})
    out = renumbered_is_whole(p, cli, pg_url)
    assert "0003_projects_owner: rename to 0004_projects_owner" in out


@pytest.mark.pg
def test_enum_values_added_on_both_sides(cli, tmp_path: Path, pg_url: str) -> None:
    p = two_branches(
        tmp_path,
        {"users.ts": users(enum=("sad", "ok")), "mood.ts": mood("sad", "ok")},
        [({"mood.ts": mood("sad", "ok", "happy")}, "mood_happy")],
        [({"mood.ts": mood("sad", "ok", "angry")}, "mood_angry")],
    )
    p.merge("a", "b", {"mood.ts": mood("sad", "ok", "happy", "angry")})
    out = renumbered_is_whole(p, cli, pg_url)
    assert "+ enum value mood.happy from 0001_mood_happy" in out
    merged = json.loads((p.folder / "meta/0002_snapshot.json").read_text())
    assert merged["enums"]["public.mood"]["values"] == ["sad", "ok", "happy", "angry"]


def test_a_real_clash_is_caught_before_anything_moves(cli, tmp_path: Path) -> None:
    p = two_branches(
        tmp_path,
        {"users.ts": users()},
        [({"users.ts": users('status: text("status")')}, "status_text")],
        [({"users.ts": users('status: integer("status")')}, "status_int")],
    )
    p.merge("a", "b", {"users.ts": users('status: text("status")')})
    r = cli("check", "--json", "--offline", "--migrations", str(p.folder))
    assert r.returncode == 1
    found = [f for f in json.loads(r.stdout)["findings"] if f["code"] == "schema-conflict"]
    assert len(found) == 1, r.stdout
    detail = found[0]["detail"]
    assert detail["object"] == "users.status" and detail["kind"] == "column"
    assert detail["ours"]["type"] == "text" and detail["theirs"]["type"] == "integer" and detail["base"] is None
    assert "0001_status_int.sql" in found[0]["fix"]
    overlap = [f for f in json.loads(r.stdout)["findings"] if f["code"] == "overlap"]
    assert overlap == []  # the same column is reported once, as the clash
    before = tree_hash(p.folder)
    refused = cli("renumber", "--yes", "--offline", "--migrations", str(p.folder))
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert tree_hash(p.folder) == before
    assert "Edit 0001_status_int.sql" in refused.stderr
    assert "column users.status: added on both sides with different definitions" in refused.stdout
    as_json = cli("renumber", "--yes", "--json", "--offline", "--migrations", str(p.folder))
    assert as_json.returncode == 1 and tree_hash(p.folder) == before
    assert json.loads(as_json.stdout)["clashes"][0]["object"] == "users.status"
