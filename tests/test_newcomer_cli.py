"""A new user's first commands (real processes, real drizzle-kit / drizzle-orm): where the folder is looked
for, a folder that is not there, ``new`` in a fresh project."""

from __future__ import annotations

from pathlib import Path

import pytest

from gtsd_tui.config import load_settings, missing_folder_message
from tests.helpers.node import drizzle_kit_check, drizzle_migrate, drizzle_rows


def test_folder_discovery_looks_where_drizzle_kit_writes_first(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "drizzle").mkdir()
    s = load_settings(cwd=tmp_path, environ={})
    assert s.migrations_dir == tmp_path / "drizzle" and s.migrations_source == "default"
    (tmp_path / "drizzle.config.ts").write_text('export default { out: "./migrations" };\n')
    assert load_settings(cwd=tmp_path, environ={}).migrations_dir == tmp_path / "migrations"


def test_a_missing_folder_names_what_was_tried(tmp_path: Path) -> None:
    s = load_settings(cwd=tmp_path, environ={})
    assert s.migrations_dir == tmp_path / "drizzle"  # where `new` (as drizzle-kit generate) creates it
    assert missing_folder_message(s) == (
        f"{tmp_path / 'drizzle'}: migrations folder not found "
        "(looked in ./drizzle, ./migrations, ./apps/api/src/db/migrations; use --migrations DIR)"
    )
    (tmp_path / "drizzle.config.ts").write_text("export default { dialect: 'postgresql' };\n")
    assert "looked in drizzle.config out (none set), ./drizzle" in missing_folder_message(load_settings(cwd=tmp_path))
    s = load_settings(cwd=tmp_path, migrations="db/m", environ={})
    assert "(from --migrations; use --migrations DIR)" in missing_folder_message(s)


def test_the_console_refuses_a_missing_folder_as_the_cli_does(cli, tmp_path: Path) -> None:
    env = {"GTSD_TUI_HEADLESS": "1", "GTSD_TUI_EXIT_WHEN_READY": "1"}  # had it opened, it closes at once
    status = cli("status", cwd=tmp_path, env=env, timeout=60)
    console = cli(cwd=tmp_path, env=env, timeout=60)
    assert status.returncode == console.returncode == 2
    assert console.stderr == status.stderr and "looked in ./drizzle, ./migrations" in console.stderr
    assert not (tmp_path / ".gtsd").exists()  # no embedded server started for a console that cannot open


@pytest.mark.pg
@pytest.mark.node
def test_new_in_a_fresh_project_creates_the_folder_and_journal(cli, tmp_path: Path, pg_url: str) -> None:
    bad = cli("new", "!!", cwd=tmp_path)
    assert bad.returncode == 2 and not (tmp_path / "drizzle").exists()  # bad input: nothing written
    r = cli("new", "init", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    folder = tmp_path / "drizzle"
    assert (folder / "meta" / "_journal.json").is_file() and (folder / "0000_init.sql").is_file()
    sql = folder / "0000_init.sql"
    sql.write_text(sql.read_text() + 'CREATE TABLE "first" ("id" serial PRIMARY KEY);\n')
    assert drizzle_kit_check(folder).returncode == 0
    assert drizzle_migrate(pg_url, folder).returncode == 0 and len(drizzle_rows(pg_url)) == 1


@pytest.mark.parametrize(
    ("url", "part"),
    [
        ("postgresql://app:pa%zzss@127.0.0.1:5432/db", "password"),
        ("postgresql://a%zzpp:secret@127.0.0.1:5432/db", "user"),
        ("postgresql://app:secret@127.0.0.1:5432/d%b", "database name"),
    ],
)
def test_a_bad_percent_escape_names_the_part_and_where_the_url_came_from(
    cli, sample: Path, tmp_path: Path, url: str, part: str
) -> None:
    flag = cli("status", "--migrations", str(sample), "--database-url", url, cwd=tmp_path)
    (tmp_path / ".env").write_text(f"DATABASE_URL={url}\n")
    dotenv = cli("status", "--migrations", str(sample), cwd=tmp_path)
    for r, origin in ((flag, "--database-url"), (dotenv, "DATABASE_URL in .env")):
        assert r.returncode == 2
        assert r.stderr.startswith(f"gtsd-tui: {origin} postgresql://")
        assert f"a % in its {part} is not followed by two hex digits" in r.stderr
        assert "pa%zzss" not in r.stderr and "secret" not in r.stderr and "zzss" not in r.stderr


@pytest.mark.pg
def test_nothing_pending_is_said_and_status_names_the_journal_when(cli, sample: Path, pg_url: str) -> None:
    base = ("--migrations", str(sample), "--database-url", pg_url)
    assert cli("migrate", *base).returncode == 0
    lint = cli("lint", *base)
    assert lint.returncode == 0 and lint.stdout.startswith("nothing pending: every migration of the folder is applied")
    rehearse = cli("rehearse", *base)
    assert rehearse.returncode == 0, rehearse.stderr
    assert rehearse.stdout.startswith("nothing pending: every migration of the folder is applied")
    status = cli("status", *base)
    header = status.stdout.splitlines()[1]
    assert "CREATED (JOURNAL WHEN)" in header and "APPLIED AT" not in header


@pytest.mark.pg
def test_json_means_json_with_one_envelope_for_every_command(cli, sample: Path, pg_url: str, tmp_path: Path) -> None:
    """Every --json output, success, refusal or usage error, is a JSON object on stdout that starts with
    version, tool_version and command (docs/cli.md)."""
    import json

    from gtsd_tui import __version__

    base = ("--migrations", str(sample), "--database-url", pg_url)
    runs = {
        "status": cli("status", "--json", *base),
        "migrate": cli("migrate", "--json", "--to", "0000_initial_schema", *base),
        "lint": cli("lint", "--json", *base),
        "check": cli("check", "--json", "--offline", *base),
        "backup": cli("backup", "--json", *base, cwd=tmp_path),
        "health": cli("health", "--json", *base),
        "rehearse": cli("rehearse", "--json", *base),
        "server": cli("server", "status", "--json", cwd=tmp_path, env={"GTSD_CACHE_DIR": str(tmp_path / "c")}),
        "stats": cli("stats", "--json", *base),
        "envs": cli("envs", "--json", *base),
        "preflight": cli("preflight", "--json", *base),
        "drift": cli("drift", "--json", *base),
        "renumber": cli("renumber", "--dry-run", "--json", "--offline", *base),
    }
    (tmp_path / "targets.txt").write_text(pg_url + "\n")
    runs["fleet"] = cli("fleet", "status", "--json", "--targets", str(tmp_path / "targets.txt"), *base)
    runs["new"] = cli("new", "added_last", "--json", *base)  # last: it writes a migration into the folder
    usage = cli("status", "--json", "--no-such-flag")
    failed = cli("status", "--json", "--migrations", str(sample), "--database-url", pg_url + "_absent")
    for name, r in runs.items():
        out = json.loads(r.stdout)
        assert r.returncode in (0, 1), (name, r.stderr)
        assert (out["version"], out["tool_version"], out["command"]) == (1, __version__, name), name
    assert Path(json.loads(runs["backup"].stdout)["file"]).parent == tmp_path / ".gtsd" / "backups"
    for r, code in ((usage, 2), (failed, 3)):
        out = json.loads(r.stdout)
        assert r.returncode == code and out["exit_code"] == code and out["command"] == "status"
        assert out["version"] == 1 and out["error"] and r.stderr.startswith("gtsd-tui: ")


def test_bash_completion_completes_subcommands_flags_tags_and_environments(cli, sample: Path, tmp_path: Path) -> None:
    """The script runs in a real bash: the words it offers at each place of a command line."""
    import os
    import shutil
    import subprocess
    import sys

    script = cli("completion", "bash")
    assert script.returncode == 0 and "complete -o default -F _gtsd_tui gtsd-tui" in script.stdout
    (tmp_path / "script.bash").write_text(script.stdout)
    assert sample == tmp_path / "migrations"  # the folder found by default
    (tmp_path / ".env.staging").write_text("DATABASE_URL=postgresql://u@db.invalid/s\n")
    (tmp_path / ".env.example").write_text("DATABASE_URL=\n")

    def complete(*words: str) -> list[str]:
        line = " ".join(f"'{w}'" for w in words)
        cword = len(words) - 1
        body = f"source script.bash; COMP_WORDS=({line}); COMP_CWORD={cword}; _gtsd_tui; "
        body += 'printf "%s\\n" "${COMPREPLY[@]}"'
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
        env.pop("DATABASE_URL", None)
        out = subprocess.run(["bash", "-c", body], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60)
        return [w for w in out.stdout.split("\n") if w]

    tags = ["0000_initial_schema", "0001_onboarding", "0002_partners", "0003_today_checklist"]
    assert complete("gtsd-tui", "st") == ["stats", "status"]
    assert complete("gtsd-tui", "migrate", "--to", "") == tags
    assert complete("gtsd-tui", "--database-url", "postgresql://x", "revert", "0002") == ["0002_partners"]
    assert complete("gtsd-tui", "status", "--env", "") == ["staging"]  # templates (.env.example) left out
    assert {"status", "stop", "--all"} <= set(complete("gtsd-tui", "server", ""))
    assert "--rehearse" in complete("gtsd-tui", "migrate", "--re")
    for shell in ("zsh", "fish"):
        r = cli("completion", shell)
        assert r.returncode == 0 and "gtsd-tui completion --values tags" in r.stdout
        if shutil.which(shell):  # a syntax check where the shell is installed
            check = ["zsh", "-n"] if shell == "zsh" else ["fish", "--no-execute"]
            assert subprocess.run([*check], input=r.stdout, text=True, capture_output=True).returncode == 0


def test_the_console_says_on_quit_that_the_embedded_server_keeps_running(cli, outside_tmp: Path) -> None:
    import shutil

    from gtsd_tui.db.embedded import stop_server

    shutil.copytree(Path(__file__).resolve().parent.parent / "migrations", outside_tmp / "drizzle")
    env = {"GTSD_TUI_HEADLESS": "1", "GTSD_TUI_EXIT_WHEN_READY": "1", "GTSD_CACHE_DIR": str(outside_tmp / "c")}
    try:
        r = cli(cwd=outside_tmp, env=env, timeout=120)
        assert r.returncode == 0, r.stderr
        assert "gtsd-tui: the embedded PostgreSQL in .gtsd/ keeps running (gtsd-tui server stop)" in r.stderr
        assert (outside_tmp / ".gtsd" / ".gitignore").is_file()
    finally:
        stop_server(outside_tmp / ".gtsd")


def test_two_commands_started_at_once_in_a_new_folder_both_connect(outside_tmp: Path) -> None:
    """Both start the embedded server: the one that waited for the other's lock found the server running
    before its database was created ("database gtsd does not exist", exit 3, a console 'disconnected')."""
    import os
    import shutil
    import subprocess
    import sys

    from gtsd_tui.db.embedded import stop_server

    shutil.copytree(Path(__file__).resolve().parent.parent / "migrations", outside_tmp / "drizzle")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["GTSD_CACHE_DIR"] = str(outside_tmp / "c")
    args = [sys.executable, "-m", "gtsd_tui", "status"]
    try:
        procs = [
            subprocess.Popen(args, cwd=outside_tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        results = [(p.wait(120), p.stderr.read() if p.stderr else "") for p in procs]
        assert [code for code, _ in results] == [0, 0], results
    finally:
        stop_server(outside_tmp / ".gtsd")
