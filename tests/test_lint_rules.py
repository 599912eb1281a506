"""squawk's rules under squawk's ids: each fires on its bad example (id, line, column) and is silent on
the good one; squawk itself (pip squawk-cli) agrees on the same files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gtsd_tui.core.lint import RULES, Settings, lint_text
from gtsd_tui.core.lint.config import LATEST_PG
from tests.lint_cases import CASES, HAND_WRITTEN, NO_TRANSACTION, OPT_IN, PG_VERSION


def settings_for(rule: str) -> Settings:
    return Settings(
        pg_version=PG_VERSION.get(rule, LATEST_PG),
        assume_in_transaction=rule not in NO_TRANSACTION,
        included=frozenset(OPT_IN),
    )


def found(rule: str, text: str) -> list[tuple[int, int]]:
    findings = lint_text("m.sql", text, hand_written=rule in HAND_WRITTEN, settings=settings_for(rule))
    return [(f.line, f.column) for f in findings if f.rule == rule]


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires_at_its_position_and_not_on_the_safe_form(rule: str) -> None:
    bad, position, good = CASES[rule]
    assert found(rule, bad)[:1] == [position]
    assert found(rule, good) == []


def test_every_rule_has_a_positioned_case() -> None:
    assert set(RULES) - set(CASES) == set()


def _squawk() -> str:
    exe = shutil.which("squawk") or str(Path(sys.executable).parent / "squawk")
    if not Path(exe).exists():
        pytest.skip("squawk-cli is not installed (pip install squawk-cli; .ci/run installs it)")
    return exe


def _squawk_lines(
    files: dict[str, str], tmp: Path, in_transaction: bool, pg_version: int | None = None
) -> dict[str, dict[str, set[int]]]:
    """file name -> rule -> lines (1-based) squawk reports."""
    paths = []
    for name, text in files.items():
        (tmp / name).write_text(text)
        paths.append(str(tmp / name))
    flags = ["--assume-in-transaction"] if in_transaction else ["--no-assume-in-transaction"]
    flags += ["--include=" + ",".join(sorted(OPT_IN))]
    flags += [f"--pg-version={pg_version}"] if pg_version else []
    r = subprocess.run([_squawk(), *flags, "--reporter", "json", *paths], capture_output=True, text=True, cwd=tmp)
    assert r.returncode in (0, 1), r.stderr
    out: dict[str, dict[str, set[int]]] = {name: {} for name in files}
    for v in json.loads(r.stdout or "[]"):
        out[Path(v["file"]).name].setdefault(v["rule_name"], set()).add(v["line"] + 1)
    return out


# Where squawk 2.70 and gtsd-tui differ on purpose, per rule: nothing here may hide a disagreement on
# the bad/good examples themselves; these are the examples' other statements.
def test_squawk_agrees_on_every_case(tmp_path: Path) -> None:
    shared = sorted(r for r in CASES if RULES[r].squawk)
    assert set(shared) >= OPT_IN  # squawk's opt-in rules too, turned on with --include
    disagreements = []
    for in_tx, pg in ((True, None), (False, None), (True, 19)):
        rules = [r for r in shared if (r not in NO_TRANSACTION) == in_tx and PG_VERSION.get(r) == pg]
        files = {f"{r}.{kind}.sql": CASES[r][0 if kind == "bad" else 2] for r in rules for kind in ("bad", "good")}
        theirs = _squawk_lines(files, tmp_path, in_tx, pg)
        for name, text in files.items():
            rule = name.split(".")[0]
            ours = {line for line, _ in found(rule, text)}
            if ours != theirs[name].get(rule, set()):
                disagreements.append((name, sorted(ours), sorted(theirs[name].get(rule, set()))))
    assert disagreements == []


def test_squawk_and_gtsd_tui_agree_on_pg_version(tmp_path: Path) -> None:
    text = 'ALTER TABLE "orders" ADD COLUMN IF NOT EXISTS "n" bigint DEFAULT 10;\n'
    (tmp_path / "m.sql").write_text(text)
    for version, fires in (("10", True), ("16", False)):
        r = subprocess.run(
            [_squawk(), "--pg-version", version, "--reporter", "json", "m.sql"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        theirs = {v["rule_name"] for v in json.loads(r.stdout or "[]")}
        ours = {f.rule for f in lint_text("m.sql", text, settings=Settings(pg_version=int(version)))}
        assert ("adding-field-with-default" in theirs) is fires
        assert ("adding-field-with-default" in ours) is fires
