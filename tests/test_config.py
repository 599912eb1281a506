"""Settings precedence, drizzle.config, .env files, URL masking, the v1 layout, missing binaries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gtsd_tui.config import is_local_host, load_settings, mask_url, parse_dotenv, parse_target
from gtsd_tui.core.migrations.folder import load_folder, v1_when
from gtsd_tui.core.migrations.status import HistoryRow, compute_status
from gtsd_tui.core.vocab import Layout
from gtsd_tui.errors import GtsdError, InputError


def test_flags_then_environment_then_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=postgresql://dotenv@127.0.0.1/a\n")
    (tmp_path / ".env.test").write_text("export DATABASE_URL='postgresql://testenv@127.0.0.1/t' # comment\n")
    s = load_settings(cwd=tmp_path, environ={})
    assert (s.database_url, s.database_source) == ("postgresql://dotenv@127.0.0.1/a", ".env")
    s = load_settings(cwd=tmp_path, environ={"DATABASE_URL": "postgresql://env@127.0.0.1/e"})
    assert s.database_source == "environment"
    s = load_settings(
        cwd=tmp_path,
        database_url="postgresql://flag@127.0.0.1/f",
        environ={"DATABASE_URL": "postgresql://env@127.0.0.1/e"},
    )
    assert s.database_url == "postgresql://flag@127.0.0.1/f"
    s = load_settings(cwd=tmp_path, env_name="test", environ={})
    assert s.database_url == "postgresql://testenv@127.0.0.1/t"
    with pytest.raises(InputError, match=r"\.env\.staging: not found"):
        load_settings(cwd=tmp_path, env_name="staging", environ={})
    (tmp_path / "none").mkdir()
    assert load_settings(cwd=tmp_path / "none", environ={}).database_source == "embedded"


def test_migrations_folder_and_table_from_drizzle_config(tmp_path: Path) -> None:
    (tmp_path / "drizzle.config.ts").write_text(
        'export default defineConfig({\n  // out: "./wrong",\n  out: "./src/db/migrations",\n'
        "  migrations: { table: 'kit_migrations', schema: 'kit' },\n});\n"
    )
    s = load_settings(cwd=tmp_path, environ={})
    assert s.migrations_dir == tmp_path / "src/db/migrations" and s.migrations_source == "drizzle.config"
    assert (s.schema, s.table) == ("kit", "kit_migrations")
    assert load_settings(cwd=tmp_path, migrations="other", environ={}).migrations_dir == tmp_path / "other"


def test_default_folders(tmp_path: Path) -> None:
    (tmp_path / "apps/api/src/db/migrations").mkdir(parents=True)
    assert load_settings(cwd=tmp_path, environ={}).migrations_dir == tmp_path / "apps/api/src/db/migrations"
    (tmp_path / "migrations").mkdir()
    assert load_settings(cwd=tmp_path, environ={}).migrations_dir == tmp_path / "migrations"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://app:s3cr%40t@db:5432/x", "postgresql://app:***@db:5432/x"),
        ("postgres://app@db/x?password=s3cret&sslmode=require", "postgres://app@db/x?password=***&sslmode=require"),
        ("host=db user=app password='s3 cret' dbname=x", "host=db user=app password=*** dbname=x"),
        ("postgresql://app@db/x", "postgresql://app@db/x"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_local_hosts() -> None:
    for host in ("", "/var/run/postgresql", "localhost", "127.0.0.1", "127.5.5.5", "::1", "[::1]"):
        assert is_local_host(host), host
    for host in ("db.example.invalid", "10.0.0.5", "192.168.1.2", "localhost,db.remote"):
        assert not is_local_host(host), host
    assert parse_target("postgresql://u@h:6543/db?sslmode=require").sslmode == "require"


def test_dotenv_parser() -> None:
    env = parse_dotenv("A=1\n# c\nexport B=\"two words\"\nC=x # trailing\nnot a line\nD='q'\n")
    assert env == {"A": "1", "B": "two words", "C": "x", "D": "q"}


def test_v1_layout_is_read_and_matched_by_name(tmp_path: Path) -> None:
    for name, sql in (("20261124033641_init", "CREATE TABLE a (id int);"), ("20261124033644_posts", "SELECT 1;")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "migration.sql").write_text(sql)
        (tmp_path / name / "snapshot.json").write_text(json.dumps({"id": name, "prevIds": []}))
    folder = load_folder(tmp_path)
    assert folder.layout is Layout.V1
    assert [m.when for m in folder.migrations] == [1795491401000, 1795491404000]
    assert v1_when("20261124033641_init") == 1795491401000
    first = folder.migrations[0]
    report = compute_status(folder, [HistoryRow(1, first.hash or "", first.when, first.tag)])
    assert [s.state for s in report.items] == ["applied", "pending"]


def test_no_binaries_says_how_to_point_at_a_server(monkeypatch, tmp_path: Path) -> None:
    import gtsd_tui.db.embedded as embedded

    monkeypatch.setattr(embedded, "find_bindir", lambda: None)
    with pytest.raises(GtsdError, match="DATABASE_URL") as err:
        embedded.ensure_server(tmp_path / ".gtsd")
    assert err.value.exit_code == 2


def test_system_binaries_are_found_without_pgserver(monkeypatch) -> None:
    import importlib.util

    import gtsd_tui.db.embedded as embedded

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    found = embedded.find_bindir()
    candidates = list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if found is None:
        assert not candidates, "system PostgreSQL binaries exist but were not found"
    else:
        assert (found / "pg_ctl").exists() and "pgserver" not in str(found)


def test_a_project_names_its_configured_database_before_resolving_it(tmp_path: Path) -> None:
    """Before the URL is resolved (a console whose first read is in its child, a failed resolution), the
    project names the configured database, masked; "embedded" only when none is configured."""
    from gtsd_tui.services.project import Project

    configured = Project(load_settings(cwd=tmp_path, database_url="postgresql://app:s3cret@db1:5432/a", environ={}))
    assert configured.url is None
    assert configured.masked_url == "postgresql://app:***@db1:5432/a"
    assert Project(load_settings(cwd=tmp_path, environ={})).masked_url == "(embedded, not started)"
