"""``envs`` over a project's .env files and ``fleet status --databases-like``, on the real test server."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.conftest import PW_ROLE, PW_SECRET
from tests.helpers.fleet import create_databases, drop_databases, five_migrations, tags

pytestmark = [pytest.mark.pg, pytest.mark.node]


def _port(pg_server: str) -> str:
    return pg_server.rsplit(":", 1)[1].split("/", 1)[0]


@pytest.fixture
def envs_project(pg_server: str, tmp_path: Path, cli) -> Iterator[Path]:
    """.env.dev (all applied), .env.staging (first three), .env.prod (a port nobody listens on), all
    logging in with a password; .env.example (a template) is not an environment."""
    root = tmp_path / "app"
    shutil.copytree(five_migrations(), root / "migrations")
    uid = uuid.uuid4().hex[:6]
    names = [f"envs_{uid}_dev", f"envs_{uid}_staging"]
    create_databases(pg_server, names)
    with psycopg.connect(pg_server, autocommit=True) as conn:
        for n in names:
            conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(n), sql.Identifier(PW_ROLE)))
    url = f"postgresql://{PW_ROLE}:{PW_SECRET}@127.0.0.1:{_port(pg_server)}/"
    (root / ".env.dev").write_text(f"DATABASE_URL={url}{names[0]}\n")
    (root / ".env.staging").write_text(f'DATABASE_URL="{url}{names[1]}"\n')
    (root / ".env.prod").write_text(f"DATABASE_URL=postgresql://{PW_ROLE}:{PW_SECRET}@127.0.0.1:1/prod\n")
    (root / ".env.example").write_text("DATABASE_URL=postgresql://user:password@host/db\n")
    all_tags = tags(root / "migrations")
    assert cli("migrate", "--env", "dev", cwd=root).returncode == 0
    assert cli("migrate", "--env", "staging", "--to", all_tags[2], cwd=root).returncode == 0
    yield root
    drop_databases(pg_server, names)


def test_envs_json_dev_staging_prod(cli, envs_project: Path) -> None:
    all_tags = tags(envs_project / "migrations")
    r = cli("envs", "--json", "--connect-timeout", "2", cwd=envs_project)
    assert r.returncode == 1, r.stderr  # prod unreachable, staging behind dev
    out = json.loads(r.stdout)
    envs = {e["name"]: e for e in out["environments"]}
    assert list(envs) == ["dev", "prod", "staging"]
    dev, prod, staging = envs["dev"], envs["prod"], envs["staging"]
    assert dev["reachable"] and [m["state"] for m in dev["migrations"]] == ["applied"] * 5
    assert dev["newest_applied"] == all_tags[4] and dev["server_version"]
    assert staging["counts"]["applied"] == 3 and staging["counts"]["pending"] == 2
    assert [m["state"] for m in staging["migrations"]] == ["applied"] * 3 + ["pending"] * 2
    assert staging["newest_applied"] == all_tags[2] and staging["source"] == ".env.staging"
    assert prod["reachable"] is False and prod["migrations"] == []
    assert "port 1 failed" in prod["error"] and "refused" in prod["error"]
    assert out["differences"] == [
        f"dev has {all_tags[3]} that staging lacks",
        f"dev has {all_tags[4]} that staging lacks",
    ]
    assert PW_SECRET not in r.stdout + r.stderr
    assert f"{PW_ROLE}:***@" in prod["url"]


def test_envs_text_matrix_and_named_selection(cli, envs_project: Path) -> None:
    all_tags = tags(envs_project / "migrations")
    r = cli("envs", "dev", "staging", cwd=envs_project)
    assert r.returncode == 1 and PW_SECRET not in r.stdout + r.stderr
    lines = r.stdout.splitlines()
    head = next(line for line in lines if line.startswith("MIGRATION"))
    assert head.split() == ["MIGRATION", "dev", "staging"]
    row = next(line for line in lines if line.startswith(all_tags[4]))
    assert row.split()[1:] == ["✓", "applied", "•", "pending"]
    assert f"! dev has {all_tags[3]} that staging lacks" in lines
    r = cli("envs", "dev", cwd=envs_project)
    assert r.returncode == 0, r.stdout + r.stderr  # one environment, all applied: consistent
    r = cli("envs", "qa", cwd=envs_project)
    assert r.returncode == 2 and ".env.qa: not found" in r.stderr


def test_envs_refuses_a_malformed_url_before_connecting(cli, envs_project: Path) -> None:
    (envs_project / ".env.broken").write_text(f"DATABASE_URL=postgresql://{PW_ROLE}:{PW_SECRET}@127.0.0.1:%zz/x\n")
    r = cli("envs", "--json", cwd=envs_project)
    assert r.returncode == 2 and ".env.broken" in r.stderr and PW_SECRET not in r.stdout + r.stderr


def test_fleet_status_databases_like(cli, pg_server: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(five_migrations(), folder)
    all_tags = tags(folder)
    names = ["tenant_a", "tenant_b", "tenant_c", "tenant_tpl", "other_a"]
    urls = create_databases(pg_server, names)
    try:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute("ALTER DATABASE tenant_tpl IS_TEMPLATE true")
        assert cli("migrate", "--migrations", str(folder), "--database-url", urls[0]).returncode == 0
        two = ("--to", all_tags[1])
        assert cli("migrate", "--migrations", str(folder), "--database-url", urls[1], *two).returncode == 0
        r = cli(
            "fleet", "status", "--databases-like", "tenant_%", "--migrations", str(folder),
            "--database-url", pg_server, "--json",
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        got = {t["name"]: [m["state"] for m in t["migrations"]] for t in json.loads(r.stdout)["targets"]}
        assert got == {
            "tenant_a": ["applied"] * 5,
            "tenant_b": ["applied"] * 2 + ["pending"] * 3,
            "tenant_c": ["pending"] * 5,
        }
        r = cli("fleet", "status", "--databases-like", "tenant_%", "--migrations", str(folder),
                "--database-url", pg_server, "--exit-code")  # fmt: skip
        assert r.returncode == 1
        assert [line.split()[:2] for line in r.stdout.splitlines()[1:4]] == [
            ["tenant_a", "✓✓✓✓✓"],
            ["tenant_b", "✓✓•••"],
            ["tenant_c", "•••••"],
        ]
        r = cli("fleet", "migrate", "--databases-like", "tenant_%", "--migrations", str(folder),
                "--database-url", pg_server, "--json")  # fmt: skip
        assert r.returncode == 0, r.stderr
        applied = {t["name"]: len(t["applied"]) for t in json.loads(r.stdout)["targets"]}
        assert applied == {"tenant_a": 0, "tenant_b": 3, "tenant_c": 5}  # the template and other_a untouched
        for url in (urls[3], urls[4]):
            with psycopg.connect(url) as conn:
                assert conn.execute("SELECT to_regclass('drizzle.__drizzle_migrations')").fetchone() == (None,)
    finally:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute("ALTER DATABASE tenant_tpl IS_TEMPLATE false")
        drop_databases(pg_server, names)


def test_envs_without_a_dotenv_lists_the_default_database(cli, pg_url: str, tmp_path: Path) -> None:
    """Issue 33 (8): with no .env, DATABASE_URL and --database-url were ignored ("no environments")."""
    root = tmp_path / "app"
    shutil.copytree(five_migrations(), root / "migrations")
    assert cli("migrate", "--database-url", pg_url, cwd=root).returncode == 0
    for how in ({"env": {"DATABASE_URL": pg_url}}, {"args": ("--database-url", pg_url)}):
        r = cli("envs", "--json", *how.get("args", ()), cwd=root, env=how.get("env"))
        assert r.returncode == 0, r.stderr
        envs = json.loads(r.stdout)["environments"]
        assert [e["name"] for e in envs] == ["default"] and envs[0]["counts"]["applied"] == 5
        assert envs[0]["source"] == ("DATABASE_URL" if "env" in how else "--database-url")
