"""``gtsd-tui git install``: the merge driver and hooks make ``git merge`` / ``git rebase`` / ``git pull``
produce the folder ``renumber`` would. Real git, projects from TypeScript schemas and the real
``drizzle-kit generate``; afterwards ``drizzle-kit check`` passes, ``generate`` finds nothing,
drizzle-orm applies the incoming migrations to a database where the target branch already ran, and
its catalog equals ``drizzle-kit push`` of the merged schema."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.helpers.git import git
from tests.helpers.kit_project import KitProject, base_project, catalog, push_database
from tests.helpers.node import drizzle_kit_check, drizzle_migrate

pytestmark = [pytest.mark.node]

IMPORTS = 'import { pgTable, serial, text, integer } from "drizzle-orm/pg-core";\n'


def users(top: str = "", bottom: str = "") -> str:
    """users with an optional column before and after email: two branches adding one each merge clean."""
    first = f"\n  {top}," if top else ""
    last = f"\n  {bottom}," if bottom else ""
    return (
        f'{IMPORTS}export const users = pgTable("users", {{\n  id: serial("id").primaryKey(),{first}\n'
        f'  email: text("email").notNull(),{last}\n}});\n'
    )


def table(name: str, *cols: str, ref_users: bool = False) -> str:
    head = IMPORTS + ('import { users } from "./users";\n' if ref_users else "")
    body = "".join(f"\n  {c}," for c in cols)
    return f'{head}export const {name} = pgTable("{name}", {{\n  id: serial("id").primaryKey(),{body}\n}});\n'


AUDIT = table("audit_log", 'action: text("action").notNull()')
BILLING = table(
    "billing",
    'userId: integer("user_id").notNull().references(() => users.id, { onDelete: "cascade" })',
    'amount: integer("amount").notNull()',
    ref_users=True,
)


def installed(tmp: Path, base: dict[str, str]) -> KitProject:
    """main with the first migration and ``gtsd-tui git install`` committed (.gitattributes)."""
    p = base_project(tmp, base)
    r = run_cli("git", "install", "--migrations", str(p.folder), cwd=p.root)
    assert r.returncode == 0, r.stdout + r.stderr
    p.commit("gtsd-tui git install")
    return p


def branches(p: KitProject, a: list[tuple[dict[str, str], str]], b: list[tuple[dict[str, str], str]]) -> None:
    p.branch("a")
    for files, name in a:
        p.step(files, name)
    p.branch("b")
    for files, name in b:
        p.step(files, name)


def folder_bytes(p: KitProject) -> dict[str, bytes]:
    return {f: (p.folder / f).read_bytes() for f in p.files()}


def commit_as_told(p: KitProject, out: str) -> None:
    """Run the exact command the hook printed (when it printed one)."""
    cmds = [line.split("commit them: ", 1)[1] for line in out.splitlines() if "commit them: " in line]
    for cmd in cmds:
        r = git(p.root, *shlex.split(cmd)[1:])
        assert r.returncode == 0, r.stdout + r.stderr


def assert_whole(p: KitProject, ours_before: dict[str, bytes], applied_first: Path, pg_url: str | None) -> None:
    """No unmerged path, no marker; ours' files unchanged byte for byte and first in the journal; the real
    drizzle-kit check and generate; drizzle-orm on a database where ours already ran equals push."""
    assert git(p.root, "ls-files", "-u").stdout == ""
    assert git(p.root, "status", "--porcelain", "--", "drizzle").stdout == ""  # committed, nothing left
    files = folder_bytes(p)
    assert not any(b"<<<<<<<" in d or b">>>>>>>" in d for d in files.values())
    for name, data in ours_before.items():
        if name != "meta/_journal.json":
            assert files.get(name) == data, name
    ours_tags = [e["tag"] for e in json.loads(ours_before["meta/_journal.json"])["entries"]]
    journal = json.loads(files["meta/_journal.json"])["entries"]
    assert [e["tag"] for e in journal][: len(ours_tags)] == ours_tags
    old = json.loads(ours_before["meta/_journal.json"])["entries"]
    assert journal[: len(old)] == old  # ours' entries (when included) unchanged
    assert [e["idx"] for e in journal] == list(range(len(journal)))
    kit = drizzle_kit_check(p.folder)
    assert kit.returncode == 0 and "Everything's fine" in kit.stdout + kit.stderr, kit.stdout + kit.stderr
    gen = p.kit("generate", "--name", "after_merge")
    assert gen.returncode == 0 and "No schema changes" in gen.stdout, gen.stdout + gen.stderr
    assert folder_bytes(p) == files
    if pg_url is not None:
        first = drizzle_migrate(pg_url, applied_first)
        assert first.returncode == 0, first.stdout + first.stderr
        applied = drizzle_migrate(pg_url, p.folder)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert catalog(pg_url) == catalog(push_database(p, pg_url))


def snapshot_of(p: KitProject, tmp: Path, branch: str) -> tuple[dict[str, bytes], Path]:
    git(p.root, "checkout", "-q", branch)
    copy = tmp / f"applied-{branch}"
    shutil.copytree(p.folder, copy)
    return folder_bytes(p), copy


def merge(p: KitProject, ours: str, theirs: str):
    git(p.root, "checkout", "-q", ours)
    return git(p.root, "merge", theirs, "--no-edit", check=False)


@pytest.mark.pg
def test_merge_disjoint_tables_and_a_foreign_key(tmp_path: Path, pg_url: str) -> None:
    p = installed(tmp_path, {"users.ts": users()})
    branches(p, [({"audit.ts": AUDIT}, "add_audit")], [({"billing.ts": BILLING}, "add_billing")])
    before, applied = snapshot_of(p, tmp_path, "a")
    m = merge(p, "a", "b")
    assert m.returncode == 0, m.stdout + m.stderr
    assert "renumbered after the merge: 0001_add_billing -> 0002_add_billing" in m.stderr, m.stderr
    commit_as_told(p, m.stderr)
    assert_whole(p, before, applied, pg_url)
    snap = json.loads((p.folder / "meta/0002_snapshot.json").read_text())
    assert list(snap["tables"]) == ["public.audit_log", "public.billing", "public.users"]


@pytest.mark.pg
def test_a_squash_merge_stages_the_renames_into_its_commit(tmp_path: Path, pg_url: str) -> None:
    """``git merge --squash`` makes no commit and writes no MERGE_HEAD: post-merge (told it was a squash)
    finds the merged commit in ``GITHEAD_<commit>`` and stages the renames with the squashed changes;
    the commit that concludes it passes pre-commit and leaves the whole folder (before: a hint only,
    the journal renumbered and the SQL not, the commit refused)."""
    p = installed(tmp_path, {"users.ts": users()})
    branches(p, [({"audit.ts": AUDIT}, "add_audit")], [({"billing.ts": BILLING}, "add_billing")])
    before, applied = snapshot_of(p, tmp_path, "a")
    m = git(p.root, "merge", "--squash", "b", check=False)
    assert m.returncode == 0, m.stdout + m.stderr
    assert "renumbered after the squash merge: 0001_add_billing -> 0002_add_billing" in m.stderr, m.stderr
    staged = git(p.root, "diff", "--cached", "--name-status", "--", "drizzle").stdout.split("\n")
    assert "A\tdrizzle/0002_add_billing.sql" in staged and "A\tdrizzle/meta/0002_snapshot.json" in staged
    c = git(p.root, "commit", "-qm", "squashed b", check=False)
    assert c.returncode == 0, c.stdout + c.stderr
    assert len(git(p.root, "rev-list", "--parents", "-n1", "HEAD").stdout.split()) == 2  # one parent: a squash
    assert_whole(p, before, applied, pg_url)


@pytest.mark.pg
def test_merge_same_table_different_columns_several_migrations(tmp_path: Path, pg_url: str) -> None:
    p = installed(tmp_path, {"users.ts": users()})
    tags = table("tags", 'label: text("label")')
    branches(
        p,
        [({"users.ts": users(top='status: text("status")')}, "add_status")],
        [
            ({"users.ts": users(bottom='plan: text("plan").default("free")')}, "add_plan"),
            ({"tags.ts": tags}, "add_tags"),
        ],
    )
    before, applied = snapshot_of(p, tmp_path, "a")
    m = merge(p, "a", "b")
    assert m.returncode == 0, m.stdout + m.stderr
    assert "0001_add_plan -> 0002_add_plan, 0002_add_tags -> 0003_add_tags" in m.stderr, m.stderr
    commit_as_told(p, m.stderr)
    assert_whole(p, before, applied, pg_url)


@pytest.mark.pg
def test_rebase_completes_by_itself(tmp_path: Path, pg_url: str) -> None:
    p = installed(tmp_path, {"users.ts": users()})
    tags = table("tags", 'label: text("label")')
    branches(
        p,
        [({"audit.ts": AUDIT}, "add_audit")],
        [({"billing.ts": BILLING}, "add_billing"), ({"tags.ts": tags}, "add_tags")],
    )
    before, applied = snapshot_of(p, tmp_path, "a")
    git(p.root, "checkout", "-q", "b")
    r = git(p.root, "rebase", "a", check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not (p.root / ".git" / "rebase-merge").exists()
    assert "renumbered after the rebase: 0001_add_billing -> 0002_add_billing, 0002_add_tags -> 0003_add_tags" in (
        r.stderr
    ), r.stderr
    commit_as_told(p, r.stderr)
    assert_whole(p, before, applied, pg_url)


@pytest.mark.pg
def test_pull_with_merge(tmp_path: Path, pg_url: str) -> None:
    p = installed(tmp_path, {"users.ts": users()})
    branches(p, [({"audit.ts": AUDIT}, "add_audit")], [({"billing.ts": BILLING}, "add_billing")])
    before, applied = snapshot_of(p, tmp_path, "a")
    r = git(p.root, "-c", "pull.rebase=false", "pull", "--no-edit", ".", "b", check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0001_add_billing -> 0002_add_billing" in r.stderr, r.stderr
    commit_as_told(p, r.stderr)
    assert_whole(p, before, applied, pg_url)


def test_without_the_driver_the_same_merge_conflicts(tmp_path: Path) -> None:
    """The yardstick of the tests above: the same branches, no install, git's ordinary conflict."""
    p = base_project(tmp_path, {"users.ts": users()})
    branches(p, [({"audit.ts": AUDIT}, "add_audit")], [({"billing.ts": BILLING}, "add_billing")])
    m = merge(p, "a", "b")
    assert m.returncode != 0
    assert "drizzle/meta/_journal.json" in git(p.root, "ls-files", "-u").stdout


def test_a_clash_stops_the_merge_and_nothing_is_renamed(tmp_path: Path) -> None:
    p = installed(tmp_path, {"users.ts": users()})
    branches(
        p,
        [({"users.ts": users(top='status: text("status")')}, "status_text")],
        [({"users.ts": users(bottom='status: integer("status")')}, "status_int")],
    )
    m = merge(p, "a", "b")
    assert m.returncode != 0
    assert "the branches' schemas clash; merge stopped" in m.stderr, m.stderr
    clash = [ln for ln in m.stderr.splitlines() if "column users.status" in ln]
    assert len(clash) == 1 and "ours" in clash[0] and "theirs" in clash[0] and "integer" in clash[0], m.stderr
    unmerged = git(p.root, "ls-files", "-u").stdout
    assert "drizzle/meta/_journal.json" in unmerged
    assert "<<<<<<<" in (p.folder / "meta/_journal.json").read_text()  # git's ordinary conflict
    assert sorted(f for f in p.files() if f.endswith(".sql"))[1:] == ["0001_status_int.sql", "0001_status_text.sql"]
    assert not (p.folder / "meta/0002_snapshot.json").exists()
    check = run_cli("check", "--offline", "--migrations", str(p.folder))
    assert check.returncode == 1 and "schema-conflict" in check.stdout and "users.status" in check.stdout
    git(p.root, "add", "-A")  # committing the conflict as it is: pre-commit names the clash
    c = git(p.root, "commit", "--no-edit", check=False)
    assert c.returncode != 0
    refused = [ln for ln in c.stderr.splitlines() if "refused: schema-conflict:" in ln]
    assert refused and "0001_status_int.sql" in refused[0] and "users.status" in refused[0], c.stderr


@pytest.mark.parametrize("step", ["ordinary", "model", "write"])
def test_a_driver_killed_half_way_leaves_git_s_ordinary_conflict(tmp_path: Path, step: str) -> None:
    p = installed(tmp_path, {"users.ts": users()})
    branches(p, [({"audit.ts": AUDIT}, "add_audit")], [({"billing.ts": BILLING}, "add_billing")])
    git(p.root, "checkout", "-q", "a")
    ordinary = git(p.root, "merge-tree", "--write-tree", "a", "b", check=False)  # git's own merge, no driver
    journal = p.folder / "meta/_journal.json"
    import os

    os.environ["GTSD_TEST_KILL_DRIVER_AT"] = step
    try:
        m = git(p.root, "merge", "b", "--no-edit", check=False)
    finally:
        del os.environ["GTSD_TEST_KILL_DRIVER_AT"]
    assert m.returncode != 0, m.stdout + m.stderr
    assert "drizzle/meta/_journal.json" in git(p.root, "ls-files", "-u").stdout
    text = journal.read_text()
    assert "<<<<<<< ours" in text and ">>>>>>> theirs" in text  # markers as git's merge-file writes them
    assert ordinary.returncode == 1
    # the conflict is the ordinary one: renumber (as today) finishes it
    r = run_cli("renumber", "--yes", "--offline", "--migrations", str(p.folder))
    assert r.returncode == 0, r.stdout + r.stderr
    assert drizzle_kit_check(p.folder).returncode == 0


@pytest.mark.pg
def test_a_merge_stopped_by_the_typescript_finishes_at_the_commit(tmp_path: Path, pg_url: str) -> None:
    """Both branches add a column at the same place of users.ts: git stops on the TypeScript (not on the
    folder, which the driver merged); the developer resolves the schema and commits; pre-commit makes
    the renames part of that commit (post-merge never runs for a merge that stopped)."""
    p = installed(tmp_path, {"users.ts": users()})
    branches(
        p,
        [({"users.ts": users(bottom='status: text("status")')}, "add_status")],
        [({"users.ts": users(bottom='plan: text("plan")')}, "add_plan")],
    )
    before, applied = snapshot_of(p, tmp_path, "a")
    m = merge(p, "a", "b")
    assert m.returncode != 0
    unmerged = git(p.root, "ls-files", "-u").stdout
    assert "schema/users.ts" in unmerged and "drizzle/" not in unmerged, unmerged
    p.schema({"users.ts": users(bottom='status: text("status"),\n  plan: text("plan")')})
    git(p.root, "add", "schema")
    c = git(p.root, "commit", "--no-edit", check=False)
    assert c.returncode == 0, c.stdout + c.stderr
    assert "0001_add_plan -> 0002_add_plan (staged into this commit)" in c.stderr, c.stderr
    assert len(git(p.root, "rev-list", "--parents", "-n1", "HEAD").stdout.split()) == 3  # the merge commit
    assert_whole(p, before, applied, pg_url)


def test_a_folder_resolved_otherwise_is_left_alone(tmp_path: Path) -> None:
    """The hooks finish only the driver's decision: a journal someone changed since is not touched."""
    p = installed(tmp_path, {"users.ts": users()})
    branches(
        p,
        [({"users.ts": users(bottom='status: text("status")')}, "add_status")],
        [({"users.ts": users(bottom='plan: text("plan")')}, "add_plan")],
    )
    merge(p, "a", "b")
    journal = p.folder / "meta/_journal.json"
    edited = journal.read_text().replace('"breakpoints": true', '"breakpoints": false')
    journal.write_text(edited)
    p.schema({"users.ts": users(bottom='status: text("status"),\n  plan: text("plan")')})
    git(p.root, "add", "-A")
    c = git(p.root, "commit", "--no-edit", check=False)
    assert "staged into this commit" not in c.stderr
    assert journal.read_text() == edited
    assert (p.folder / "0001_add_plan.sql").exists()  # not renamed


def test_pull_with_rebase(tmp_path: Path) -> None:
    p = installed(tmp_path, {"users.ts": users()})
    branches(p, [({"audit.ts": AUDIT}, "add_audit")], [({"billing.ts": BILLING}, "add_billing")])
    before, applied = snapshot_of(p, tmp_path, "a")
    git(p.root, "checkout", "-q", "b")
    r = git(p.root, "pull", "--rebase", ".", "a", check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "renumbered after the rebase: 0001_add_billing -> 0002_add_billing" in r.stderr, r.stderr
    commit_as_told(p, r.stderr)
    assert_whole(p, before, applied, None)


@pytest.mark.pg
@pytest.mark.parametrize("main_moves_on", [False, True])
def test_main_merged_into_a_branch_keeps_main_s_names(tmp_path: Path, pg_url: str, main_moves_on: bool) -> None:
    """The usual life of a branch: main is merged into it, then it into main. Main's migrations keep
    their names, bytes and when even when merged *into* the branch (they may be applied in
    production, and main may later fast-forward to the branch): the branch's own move after them."""
    p = installed(tmp_path, {"users.ts": users()})
    p.branch("feature")
    p.step({"billing.ts": BILLING}, "add_billing")
    git(p.root, "checkout", "-q", "main")
    p.step({"audit.ts": AUDIT}, "add_audit")
    before, applied = snapshot_of(p, tmp_path, "main")
    back = merge(p, "feature", "main")
    assert back.returncode == 0, back.stdout + back.stderr
    assert "renumbered after the merge: 0001_add_billing -> 0002_add_billing" in back.stderr, back.stderr
    commit_as_told(p, back.stderr)
    if main_moves_on:  # main gets another commit (no migration): the merge back is a real merge
        git(p.root, "checkout", "-q", "main")
        (p.root / "notes.txt").write_text("main moved on\n")
        p.commit("notes")
    forward = merge(p, "main", "feature")
    assert forward.returncode == 0, forward.stdout + forward.stderr
    assert "renumbered" not in forward.stderr, forward.stderr  # nothing left to move
    assert sorted(f for f in p.files() if f.endswith(".sql")) == [
        "0000_init.sql",
        "0001_add_audit.sql",
        "0002_add_billing.sql",
    ]
    assert_whole(p, before, applied, pg_url)


CORPUS = Path("/work/shared/corpus/dittofeed/drizzle")


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the dittofeed corpus is not on this machine")
def test_a_real_project_s_folder_merges_clean(tmp_path: Path) -> None:
    """dittofeed's real folder (read-only, copied) as main; two branches each add a migration."""
    from tests.helpers.git import add_migration, base_repo

    repo = base_repo(tmp_path, CORPUS)
    assert run_cli("git", "install", "--migrations", "migrations", cwd=repo).returncode == 0
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "install")
    folder = repo / "migrations"
    tags = {}
    for branch, suffix in (("a", "a_streaks"), ("b", "b_badges")):
        git(repo, "checkout", "-q", "main")
        git(repo, "checkout", "-qb", branch)
        tags[branch] = add_migration(folder, suffix, f'CREATE TABLE "{suffix}" ("id" serial);', 1_900_000_000_000)
        git(repo, "add", ".")
        git(repo, "commit", "-qm", branch)
    git(repo, "checkout", "-q", "a")
    ours = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    m = git(repo, "merge", "b", "--no-edit", check=False)
    assert m.returncode == 0, m.stdout + m.stderr
    number = int(tags["b"][:4])
    assert f"{tags['b']} -> {number + 1:04d}_b_badges" in m.stderr, m.stderr
    cmd = [ln.split("commit them: ", 1)[1] for ln in m.stderr.splitlines() if "commit them: " in ln]
    assert git(repo, *shlex.split(cmd[0])[1:]).returncode == 0
    after = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert all(after[n] == d for n, d in ours.items() if n != "meta/_journal.json")
    assert not any(b"<<<<<<<" in d for d in after.values())
    assert git(repo, "status", "--porcelain").stdout == ""
    assert run_cli("check", "--offline", "--migrations", "migrations", cwd=repo).returncode == 0
    kit = drizzle_kit_check(folder)
    assert kit.returncode == 0 and "Everything's fine" in kit.stdout + kit.stderr, kit.stdout + kit.stderr
