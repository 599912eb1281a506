"""squawk's interface: ignore comments, .squawk.toml, --exclude/--include, --pg-version, SARIF, stdin,
--explain; and Drizzle 1.0 generated files without missing-header."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gtsd_tui.core.lint import lint_text

DROP = 'DROP TABLE IF EXISTS "{}";'


def found(text: str) -> list[tuple[str, int]]:
    return [(f.rule, f.line) for f in lint_text("m.sql", text) if f.rule == "ban-drop-table"]


def test_squawk_ignore_comments() -> None:
    text = "\n".join(
        [
            "-- squawk-ignore ban-drop-table",
            DROP.format("a"),
            "-- squawk-ignore renaming-table, ban-drop-table",
            "",  # a blank line between (squawk itself wants the very next line)
            "-- and a note",
            DROP.format("b"),
            DROP.format("c") + " -- squawk-ignore ban-drop-table",
            "/* squawk-ignore ban-drop-table */",
            DROP.format("d"),
            "-- squawk-ignore ban-drop-column",  # another rule: no effect
            DROP.format("e"),
            "-- squawk-ignore",  # no names: every rule
            DROP.format("f"),
            "SELECT 1;",
            DROP.format("g"),
        ]
    )
    assert found(text) == [("ban-drop-table", 11), ("ban-drop-table", 15)]


def test_squawk_ignore_file() -> None:
    text = "-- squawk-ignore-file ban-drop-table\n" + DROP.format("a") + "\n" + DROP.format("b")
    assert found(text) == []
    assert {f.rule for f in lint_text("m.sql", text)} == set()  # drop-if-exists is satisfied too
    text = DROP.format("a") + "\n-- squawk-ignore-file\nDROP TABLE b;"
    assert lint_text("m.sql", text) == []


def test_ignore_inside_a_do_block_follows_the_block() -> None:
    text = (
        "-- squawk-ignore adding-foreign-key-constraint,constraint-missing-not-valid\n"
        'DO $$ BEGIN\n ALTER TABLE "t" ADD CONSTRAINT "f" FOREIGN KEY ("u") REFERENCES "u"("id");\n'
        "EXCEPTION WHEN duplicate_object THEN null; END $$;"
    )
    assert lint_text("m.sql", text) == []


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gtsd_tui", "lint", "--migrations", str(cwd), *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def rules_of(r: subprocess.CompletedProcess[str]) -> set[str]:
    assert r.returncode in (0, 1), r.stderr
    return {f["rule"] for f in json.loads(r.stdout)["findings"]}


ADD10 = 'ALTER TABLE "t" ADD COLUMN IF NOT EXISTS "n" bigint DEFAULT 10;\n'


def test_pg_version_flag_and_config(tmp_path: Path) -> None:
    (tmp_path / "m.sql").write_text(ADD10)
    assert "adding-field-with-default" in rules_of(run("m.sql", "--json", "--pg-version", "10", cwd=tmp_path))
    assert "adding-field-with-default" not in rules_of(run("m.sql", "--json", "--pg-version", "16", cwd=tmp_path))
    (tmp_path / ".squawk.toml").write_text('pg_version = "10.0"\n')
    assert "adding-field-with-default" in rules_of(run("m.sql", "--json", cwd=tmp_path))
    # the flag wins over the file, as in squawk
    assert "adding-field-with-default" not in rules_of(run("m.sql", "--json", "--pg-version", "16", cwd=tmp_path))


def test_squawk_toml_excluded_rules_assume_in_transaction_and_our_table(tmp_path: Path) -> None:
    sub = tmp_path / "project" / "drizzle"
    sub.mkdir(parents=True)
    (sub / "m.sql").write_text('DROP TABLE "t";\nCREATE TABLE "u" ("id" bigint);\n')
    assert rules_of(run("m.sql", "--json", cwd=sub)) == {
        "ban-drop-table",
        "drop-if-exists",
        "create-table-if-not-exists",
    }
    (tmp_path / "project" / ".squawk.toml").write_text(
        'excluded_rules = ["ban-drop-table"]\nassume_in_transaction = false\n'
        '[gtsd-tui]\nexcluded_rules = ["create-table-if-not-exists"]\nincluded_rules = ["require-table-schema"]\n'
    )
    assert rules_of(run("m.sql", "--json", cwd=sub)) == {
        "drop-if-exists",
        "prefer-robust-stmts",
        "require-table-schema",
    }
    # flags add to the file's lists; old gtsd-tui ids are accepted
    r = run("m.sql", "--json", "--exclude", "drop-if-exists,prefer-robust-stmts", "--exclude", "rename", cwd=sub)
    assert rules_of(r) == {"require-table-schema"}
    r = run("m.sql", "--json", "--include", "ban-add-column", "--no-assume-in-transaction", cwd=sub)
    assert "prefer-robust-stmts" in rules_of(r)


def test_bad_settings_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "m.sql").write_text("SELECT 1;\n")
    r = run("m.sql", "--exclude", "no-such-rule", cwd=tmp_path)
    assert r.returncode == 2 and "no-such-rule" in r.stderr
    r = run("m.sql", "--pg-version", "banana", cwd=tmp_path)
    assert r.returncode == 2 and "pg_version" in r.stderr
    (tmp_path / ".squawk.toml").write_text("excluded_rules = [\n")
    r = run("m.sql", cwd=tmp_path)
    assert r.returncode == 2 and ".squawk.toml" in r.stderr and r.stdout == ""


def test_sarif_output(tmp_path: Path) -> None:
    (tmp_path / "m.sql").write_text("SELECT 1;\n" + ADD10.replace("DEFAULT 10", "DEFAULT random()") + "BEGIN;\n")
    r = run("m.sql", "--format", "sarif", cwd=tmp_path)
    assert r.returncode == 1, r.stderr  # transaction-nesting is an error
    doc = json.loads(r.stdout)
    assert doc["version"] == "2.1.0" and "sarif" in doc["$schema"]
    (sarif_run,) = doc["runs"]
    results = {res["ruleId"]: res for res in sarif_run["results"]}
    assert results.keys() == {"adding-field-with-default", "transaction-nesting", "ban-uncommitted-transaction"}
    region = results["adding-field-with-default"]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 2, "startColumn": 61}  # the DEFAULT's expression, as squawk
    assert results["transaction-nesting"]["level"] == "error"
    assert results["adding-field-with-default"]["level"] == "warning"
    rules = {rule["id"]: rule for rule in sarif_run["tool"]["driver"]["rules"]}
    assert rules["adding-field-with-default"]["helpUri"] == "https://squawkhq.com/docs/adding-field-with-default"
    for res in sarif_run["results"]:
        assert sarif_run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == res["ruleId"]


def test_stdin_with_a_file_name_for_editors(tmp_path: Path) -> None:
    r = run("-", "--stdin-filepath", "drizzle/0001_x.sql", "--format", "github", cwd=tmp_path, stdin=ADD10)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    r = run(
        "-",
        "--pg-version",
        "10",
        "--stdin-filepath",
        "drizzle/0001_x.sql",
        "--format",
        "github",
        cwd=tmp_path,
        stdin=ADD10,
    )
    assert r.stdout.startswith("::warning file=drizzle/0001_x.sql,line=1,col=61,title=adding-field-with-default::")
    r = run("-", "--json", cwd=tmp_path, stdin="BEGIN;\n")
    assert r.returncode == 1 and json.loads(r.stdout)["findings"][0]["file"] == "stdin"


def test_explain(tmp_path: Path) -> None:
    r = run("--explain", "constraint-missing-not-valid", cwd=tmp_path)
    assert r.returncode == 0
    assert "NOT VALID" in r.stdout and "https://squawkhq.com/docs/constraint-missing-not-valid" in r.stdout
    r = run("--explain", cwd=tmp_path)
    assert "missing-header" in r.stdout and "require-lock-timeout" in r.stdout
    assert run("--explain", "nope", cwd=tmp_path).returncode == 2


V1_HEAD = 'import { pgTable, bigint, text } from "drizzle-orm/pg-core";\n'
V1_ID = 'id: bigint("id", { mode: "number" }).primaryKey()'
V1_USERS = 'export const users = pgTable("users", { ' + V1_ID + ', name: text("name") });\n'
V1_TEAMS = 'export const teams = pgTable("teams", { ' + V1_ID + " });\n"


def _v1_project(root: Path) -> tuple[Path, str]:
    """A Drizzle 1.0 project made as users make it: a TypeScript schema, the real drizzle-kit 1.0.0-rc.5
    ``generate``, a ``generate --custom`` folder holding a hand-written INSERT, then another generate.
    Returns the migrations folder and the custom migration's folder name."""
    from tests.helpers.node_v1 import check_v1, generate_v1

    project = root / "proj"
    project.mkdir()
    (project / "schema.ts").write_text(V1_HEAD + V1_USERS)
    generate_v1(project, "init")
    seed = generate_v1(project, "seed", custom=True)
    (seed / "migration.sql").write_text('INSERT INTO "users" ("id", "name") VALUES (1, \'ada\');\n')
    (project / "schema.ts").write_text(V1_HEAD + V1_USERS + V1_TEAMS)
    generate_v1(project, "teams")
    kit = check_v1(project)
    assert kit.returncode == 0, kit.stdout + kit.stderr
    return project / "drizzle", seed.name


@pytest.mark.node
def test_drizzle_1_0_generated_files_are_not_hand_written(tmp_path: Path) -> None:
    from gtsd_tui.core.lint import hand_written_tags
    from gtsd_tui.core.migrations.folder import load_folder

    out, seed = _v1_project(tmp_path)
    generated = sorted(p.parent.name for p in out.glob("*/migration.sql") if p.parent.name != seed)
    assert len(generated) == 2 and all("CREATE TABLE" in (out / g / "migration.sql").read_text() for g in generated)
    assert hand_written_tags(load_folder(out)) == {seed}
    r = run(*(str(p) for p in sorted(out.glob("*/migration.sql"))), "--json", cwd=out)
    headers = {Path(f["file"]).parent.name for f in json.loads(r.stdout)["findings"] if f["rule"] == "missing-header"}
    assert headers == {seed}
    r = subprocess.run(
        [sys.executable, "-m", "gtsd_tui", "lint", "--json", "--migrations", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    headers = {Path(f["file"]).parent.name for f in json.loads(r.stdout)["findings"] if f["rule"] == "missing-header"}
    assert headers == {seed}, r.stderr


@pytest.mark.node
def test_drizzle_1_0_custom_first_migration_is_hand_written(tmp_path: Path) -> None:
    """rc.5 writes a ``base`` snapshot with an empty ``ddl`` for a first ``--custom`` migration."""
    from gtsd_tui.core.lint import hand_written_tags
    from gtsd_tui.core.migrations.folder import load_folder
    from tests.helpers.node_v1 import generate_v1

    project = tmp_path / "proj"
    project.mkdir()
    (project / "schema.ts").write_text(V1_HEAD + V1_USERS)
    first = generate_v1(project, "extensions", custom=True)
    (first / "migration.sql").write_text("CREATE EXTENSION IF NOT EXISTS citext;\n")
    assert json.loads((first / "snapshot.json").read_text())["type"] == "base"
    generate_v1(project, "init")
    assert hand_written_tags(load_folder(project / "drizzle")) == {first.name}


def test_the_config_search_order_and_each_directory_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``.squawk.toml``: the working directory's or a parent's first, then the migrations folder's project
    (a folder outside the working directory); the folder's walk stops where it joins the first one."""
    import os

    from gtsd_tui.services import lint_runner

    work, project = tmp_path / "work" / "sub", tmp_path / "elsewhere" / "app"
    folder = project / "drizzle"
    work.mkdir(parents=True)
    folder.mkdir(parents=True)
    assert lint_runner.find_config(work, folder) is None
    (project / ".squawk.toml").write_text("")
    assert lint_runner.find_config(work, folder) == project / ".squawk.toml"
    (tmp_path / "work" / ".squawk.toml").write_text("")
    assert lint_runner.find_config(work, folder) == tmp_path / "work" / ".squawk.toml"  # the working tree's wins
    looked: list[str] = []
    real = os.path.isfile
    monkeypatch.setattr(lint_runner.os.path, "isfile", lambda p: looked.append(p) or real(p))
    (tmp_path / "work" / ".squawk.toml").unlink()
    (project / ".squawk.toml").unlink()
    inside = work / "drizzle"
    inside.mkdir()
    assert lint_runner.find_config(work, inside) is None
    assert len(looked) == len(set(looked)) == len(work.parts) + 1  # each directory up to / once, plus drizzle/
