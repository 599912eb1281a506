"""``check --base REF --format github|sarif``: the CI gate annotates the migration whose number the
target branch took (a merge done on the hosting site is caught before it lands)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli
from tests.helpers.git import add_migration, base_repo, git


def forked(tmp_path: Path, sample: Path) -> Path:
    """main and branch b each add a 0004 from the same parent; b is checked out."""
    repo = base_repo(tmp_path, sample)
    git(repo, "checkout", "-qb", "b")
    add_migration(repo / "migrations", "b_badges", 'CREATE TABLE "badges" ("id" serial);', 1_900_000_000_000)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "b")
    git(repo, "checkout", "-q", "main")
    add_migration(repo / "migrations", "a_streaks", 'CREATE TABLE "streaks" ("id" serial);', 1_900_000_000_500)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "main moves on")
    git(repo, "checkout", "-q", "b")
    return repo


def test_github_annotations_name_the_taken_number(tmp_path: Path, sample: Path) -> None:
    repo = forked(tmp_path, sample)
    r = run_cli("check", "--offline", "--base", "main", "--format", "github", "--migrations", "migrations", cwd=repo)
    assert r.returncode == 1, r.stdout + r.stderr
    errors = [ln for ln in r.stdout.splitlines() if ln.startswith("::error ")]
    dup = [ln for ln in errors if "title=duplicate-prefix" in ln]
    assert dup, r.stdout
    assert "file=migrations/0004_" in dup[0] and "after merging main" in dup[0]
    assert all(ln.startswith(("::error ", "::warning ")) for ln in r.stdout.splitlines()), r.stdout
    # the branch alone is fine: without --base nothing is annotated
    alone = run_cli("check", "--offline", "--format", "github", "--migrations", "migrations", cwd=repo)
    assert alone.returncode == 0 and "::error" not in alone.stdout, alone.stdout


def test_sarif_is_sarif_2_1_0(tmp_path: Path, sample: Path) -> None:
    repo = forked(tmp_path, sample)
    r = run_cli("check", "--offline", "--base", "main", "--format", "sarif", "--migrations", "migrations", cwd=repo)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "gtsd-tui check" and driver["version"]
    assert run["results"], doc
    for res in run["results"]:
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note", "none") and res["message"]["text"]
        for loc in res.get("locations", []):
            uri = loc["physicalLocation"]["artifactLocation"]["uri"]
            assert uri.startswith("migrations/") and (repo / uri).exists() or "0004_a_streaks" in uri, uri
    assert any(res["ruleId"] == "duplicate-prefix" and res["level"] == "error" for res in run["results"])


def test_github_messages_are_escaped(tmp_path: Path) -> None:
    from gtsd_tui.core.merging.check_report import github
    from gtsd_tui.core.merging.conflicts import Finding

    out = github([Finding("x", "error", ("a,b:c.sql",), "50% done\nnext")], "m/")
    assert out == "::error file=m/a%2Cb%3Ac.sql,title=x::50%25 done%0Anext"
