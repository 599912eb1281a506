"""The layering rules of the brief, checked on the real import graph."""

from __future__ import annotations

import ast
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


def test_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("import textual\nfrom psycopg import sql\n")
    assert _imports(bad) >= {"textual", "psycopg"}


def test_modules_stay_small() -> None:
    big = [
        f"{p.relative_to(PKG.parent)}: {n}" for p in PKG.rglob("*.py") if (n := len(p.read_text().splitlines())) > 400
    ]
    assert big == []
