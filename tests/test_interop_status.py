"""status after the real drizzle-orm migrator (npm) applied part of the sample folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers.node import drizzle_migrate

pytestmark = [pytest.mark.pg, pytest.mark.node]


def first_n(folder: Path, n: int, dest: Path) -> Path:
    shutil.copytree(folder, dest)
    journal = json.loads((dest / "meta/_journal.json").read_text())
    journal["entries"] = journal["entries"][:n]
    (dest / "meta/_journal.json").write_text(json.dumps(journal, indent=2))
    return dest


def test_status_after_drizzle_applied_two(cli, sample: Path, pg_url: str, tmp_path: Path) -> None:
    partial = first_n(sample, 2, tmp_path / "partial")
    r = drizzle_migrate(pg_url, partial)
    assert r.returncode == 0, r.stderr
    out = cli("status", "--json", "--migrations", str(sample), "--database-url", pg_url)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [(m["tag"], m["state"]) for m in data["migrations"]] == [
        ("0000_initial_schema", "applied"),
        ("0001_onboarding", "applied"),
        ("0002_partners", "pending"),
        ("0003_today_checklist", "pending"),
    ]
    assert data["unknown_rows"] == []
    assert data["migrations"][0]["created_at"] == data["migrations"][0]["when"]
    assert data["database"]["connected"] is True and data["database"]["table"] == "drizzle.__drizzle_migrations"
    assert cli("status", "--exit-code", "--migrations", str(sample), "--database-url", pg_url).returncode == 1


def test_sample_folder_applies_with_real_drizzle(sample: Path, pg_url: str) -> None:
    r = drizzle_migrate(pg_url, sample)
    assert r.returncode == 0, r.stderr


def test_status_with_nothing_configured_uses_the_embedded_server(cli, outside_tmp: Path) -> None:
    tmp_path = outside_tmp
    from gtsd_tui.db.embedded import stop_server

    shutil.copytree(Path(__file__).resolve().parent.parent / "migrations", tmp_path / "migrations")
    try:
        first = cli("status", cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        assert "started embedded PostgreSQL" in first.stderr and str(tmp_path / ".gtsd") in first.stderr
        assert first.stdout.count("• pending") == 4
        second = cli("status", "--json", cwd=tmp_path)
        assert "reusing embedded PostgreSQL" in second.stderr
        assert {m["state"] for m in json.loads(second.stdout)["migrations"]} == {"pending"}
    finally:
        stop_server(tmp_path / ".gtsd")
