"""``fleet migrate`` over 30 databases of the test server, against the real drizzle-orm migrator's rows."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.helpers.fleet import create_databases, drop_databases, five_migrations, tags, tracking_rows
from tests.helpers.node import drizzle_migrate, drizzle_rows

pytestmark = [pytest.mark.pg, pytest.mark.node]

N = 30
BAD = 7  # this target already has a "projects" table: 0001_projects fails there


@pytest.fixture(scope="module")
def fleet(pg_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, list[str]]]:
    """(migrations folder, targets file, target URLs): 30 fresh databases, one with a conflicting table."""
    folder = five_migrations()
    uid = uuid.uuid4().hex[:6]
    names = [f"fleet_{uid}_{i:02d}" for i in range(N)] + [f"fleet_{uid}_ref"]
    urls = create_databases(pg_server, names)
    with psycopg.connect(urls[BAD], autocommit=True) as conn:
        conn.execute("CREATE TABLE projects (id int)")
    targets = tmp_path_factory.mktemp("fleet") / "targets.txt"
    lines = ["# 30 tenants"] + [f"t{i:02d}={u}" for i, u in enumerate(urls[:N])]
    targets.write_text("\n".join(lines) + "\n")
    yield folder, targets, urls
    drop_databases(pg_server, names)


def _migrate(cli, folder: Path, targets: Path, *extra: str):
    r = cli("fleet", "migrate", "--targets", str(targets), "--migrations", str(folder), "--json", *extra)
    return r, json.loads(r.stdout)


@pytest.mark.slow
def test_thirty_databases_one_conflict_then_rerun_resumes_it_alone(cli, fleet) -> None:
    folder, targets, urls = fleet
    all_tags = tags(folder)
    assert len(all_tags) == 5
    ref = urls[N]
    assert drizzle_migrate(ref, folder).returncode == 0  # what drizzle-orm writes, on a database of its own
    ref_rows = [r[:3] for r in tracking_rows(ref)]

    r, out = _migrate(cli, folder, targets, "--jobs", "4")
    assert r.returncode == 3, r.stderr
    records = {t["name"]: t for t in out["targets"]}
    assert len(records) == N and out["ok"] == N - 1 and out["failed"] == 1
    bad = records[f"t{BAD:02d}"]
    assert bad["ok"] is False and bad["failed_migration"] == all_tags[1]
    assert [a["tag"] for a in bad["applied"]] == [all_tags[0]]
    err = bad["error"]
    assert err["file"].endswith(f"{all_tags[1]}.sql") and err["sqlstate"] == "42P07"
    assert isinstance(err["line"], int) and isinstance(err["column"], int)
    assert f"{all_tags[1]}.sql:{err['line']}:{err['column']}" in err["summary"] and "already exists" in err["message"]
    for i, url in enumerate(urls[:N]):
        if i != BAD:
            assert [a["tag"] for a in records[f"t{i:02d}"]["applied"]] == all_tags
            assert [row[:3] for row in tracking_rows(url)] == ref_rows, i  # the rows drizzle-orm writes, once
    assert drizzle_rows(urls[0]) == drizzle_rows(ref)  # as drizzle-orm itself reads them
    before = {i: tracking_rows(u) for i, u in enumerate(urls[:N]) if i != BAD}

    with psycopg.connect(urls[BAD], autocommit=True) as conn:
        conn.execute("DROP TABLE projects")
    r, out = _migrate(cli, folder, targets, "--jobs", "4")
    assert r.returncode == 0, r.stderr
    records = {t["name"]: t for t in out["targets"]}
    assert [a["tag"] for a in records[f"t{BAD:02d}"]["applied"]] == all_tags[1:]
    assert all(records[f"t{i:02d}"]["applied"] == [] for i in before)
    assert {i: tracking_rows(urls[i]) for i in before} == before  # not one row rewritten elsewhere
    assert [row[1:3] for row in tracking_rows(urls[BAD])] == [row[1:3] for row in ref_rows]
    d = drizzle_migrate(urls[BAD], folder)  # drizzle-orm's migrator finds nothing left to do
    assert d.returncode == 0 and [row[1:3] for row in tracking_rows(urls[BAD])] == [row[1:3] for row in ref_rows]
