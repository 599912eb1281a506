"""The layering rules of the brief, checked on the real import graph."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "gtsd_tui"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
            if node.module.startswith("gtsd_tui."):
                names.add(".".join(node.module.split(".")[:2]))
    return names


def _violations(sub: str, banned: set[str]) -> list[str]:
    bad = []
    for path in sorted((PKG / sub).rglob("*.py")):
        hit = _imports(path) & banned
        if hit:
            bad.append(f"{path.relative_to(PKG.parent)} imports {sorted(hit)}")
    return bad


def test_core_is_pure() -> None:
    banned = {"textual", "psycopg", "psycopg_pool", "gtsd_tui.db", "gtsd_tui.tui", "gtsd_tui.services"}
    assert _violations("core", banned) == []


def test_db_does_not_import_textual() -> None:
    assert _violations("db", {"textual", "gtsd_tui.tui"}) == []


def test_tui_does_no_database_io_itself() -> None:
    assert _violations("tui", {"psycopg", "psycopg_pool"}) == []


def test_tui_reads_no_files_itself() -> None:
    """File reads happen in services called from workers, never in the UI code (read_text, open...)."""
    reads = []
    for path in sorted((PKG / "tui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("read_text", "read_bytes"):
                reads.append(f"{path.relative_to(PKG.parent)}:{node.lineno}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open":
                reads.append(f"{path.relative_to(PKG.parent)}:{node.lineno}")
    assert reads == []


def test_tui_reaches_the_database_only_through_services() -> None:
    """The console imports neither the CLI's commands nor the db layer: services are its only door."""
    assert _violations("tui", {"gtsd_tui.commands", "gtsd_tui.db", "gtsd_tui.cli"}) == []


def test_commands_reach_the_database_only_through_services() -> None:
    assert _violations("commands", {"gtsd_tui.db", "psycopg", "psycopg_pool", "gtsd_tui.tui"}) == []


def test_services_never_print_and_never_import_the_ui() -> None:
    assert _violations("services", {"textual", "gtsd_tui.tui", "gtsd_tui.commands"}) == []
    printing = []
    for path in sorted((PKG / "services").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                printing.append(f"{path.relative_to(PKG.parent)}:{node.lineno}")
    # project.py defines the default notify channel (stderr) that services report through
    assert printing == [f"gtsd_tui/services/project.py:{_stderr_notify_line()}"]


def _stderr_notify_line() -> int:
    tree = ast.parse((PKG / "services" / "project.py").read_text())
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "stderr_notify")
    return next(n.lineno for n in ast.walk(fn) if isinstance(n, ast.Call))


def test_one_place_builds_an_apply_plan_and_runs_it() -> None:
    """build_plan is called only by services/apply.py; db.runner.run only from there too."""
    builders, runners = [], []
    for path in sorted(PKG.rglob("*.py")):
        text = path.read_text()
        rel = str(path.relative_to(PKG.parent))
        if "build_plan(" in text and not rel.endswith("core/plan.py"):
            builders.append(rel)
        if re.search(r"from gtsd_tui\.db\.runner import [^\n]*\brun\b", text):
            runners.append(rel)
    assert builders == ["gtsd_tui/services/apply.py"]
    assert runners == ["gtsd_tui/services/apply.py"]


def test_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("import textual\nfrom psycopg import sql\n")
    assert _imports(bad) >= {"textual", "psycopg"}


def test_modules_stay_small() -> None:
    big = [
        f"{p.relative_to(PKG.parent)}: {n}" for p in PKG.rglob("*.py") if (n := len(p.read_text().splitlines())) > 400
    ]
    assert big == []
