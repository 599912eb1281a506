"""The layering rules of the brief and the no-cycle rule, checked on the real import graph.

Imports are read with ``ast`` in every form (``import a.b.c``, ``from a.b import c``, relative
imports at any depth, ``from pkg import submodule``) and at every level (inside functions too);
``tests/helpers/imports.py`` resolves them. The layer rules count imports under ``if TYPE_CHECKING:``
too; the cycle rule does not (they never run).
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.imports import graph, imports_of, modules, reached_by, strongly_connected

PKG = Path(__file__).resolve().parent.parent / "gtsd_tui"

# layer -> what no module of it may import (outside packages by their top-level name)
RULES: dict[str, set[str]] = {
    "core": {"textual", "psycopg", "psycopg_pool", "gtsd_tui.db", "gtsd_tui.tui", "gtsd_tui.services"},
    "db": {"textual", "gtsd_tui.tui"},
    # the console reaches the database only through services: no psycopg, no db layer, no CLI commands
    "tui": {"psycopg", "psycopg_pool", "gtsd_tui.commands", "gtsd_tui.db", "gtsd_tui.cli"},
    "commands": {"gtsd_tui.db", "psycopg", "psycopg_pool", "gtsd_tui.tui"},
    "services": {"textual", "gtsd_tui.tui", "gtsd_tui.commands"},
}


def _hits(reached: set[str], banned: set[str]) -> set[str]:
    """The banned names ``reached`` touches: a banned package or any module inside it."""
    return {b for b in banned for r in reached if r == b or r.startswith(b + ".")}


def _violations(sub: str, banned: set[str], pkg: Path = PKG) -> list[str]:
    mods = modules(pkg)
    prefix = f"{pkg.name}.{sub}"
    bad = []
    for name, path in sorted(mods.items()):
        if name != prefix and not name.startswith(prefix + "."):
            continue
        hit = _hits(reached_by(name, path, mods, type_checking=True), banned)
        if hit:
            bad.append(f"{path.relative_to(pkg.parent)} imports {sorted(hit)}")
    return bad


def test_core_is_pure() -> None:
    assert _violations("core", RULES["core"]) == []


def test_db_does_not_import_textual() -> None:
    assert _violations("db", RULES["db"]) == []


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
    """The console imports neither psycopg, the CLI's commands nor the db layer: services are its only door."""
    assert _violations("tui", RULES["tui"]) == []


def test_commands_reach_the_database_only_through_services() -> None:
    assert _violations("commands", RULES["commands"]) == []


def test_services_never_print_and_never_import_the_ui() -> None:
    assert _violations("services", RULES["services"]) == []
    printing = []
    for path in sorted((PKG / "services").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                printing.append(f"{path.relative_to(PKG.parent)}:{node.lineno}")
    # notify.py defines the default notify channel (stderr) that services report through
    assert printing == [f"gtsd_tui/services/notify.py:{_stderr_notify_line()}"]


def _stderr_notify_line() -> int:
    tree = ast.parse((PKG / "services" / "notify.py").read_text())
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "stderr_notify")
    return next(n.lineno for n in ast.walk(fn) if isinstance(n, ast.Call))


def _apply_path(pkg: Path) -> tuple[list[str], list[str]]:
    """(modules calling build_plan, modules reaching db.runner.run), by any import form."""
    builders, runners = [], []
    for name, path in sorted(modules(pkg).items()):
        text = path.read_text()
        rel = str(path.relative_to(pkg.parent))
        names = set().union(*(imp.names for imp in imports_of(name, path, type_checking=True)))
        if "build_plan(" in text and not rel.endswith("core/migrations/plan.py"):
            builders.append(rel)
        runner = f"{pkg.name}.db.runner"
        if f"{runner}.run" in names or (runner in names and re.search(r"\brunner\.run\(", text)):
            runners.append(rel)
    return builders, runners


def test_one_place_builds_an_apply_plan_and_runs_it() -> None:
    """build_plan is called only by services/apply.py; db.runner.run only from there too."""
    assert _apply_path(PKG) == (["gtsd_tui/services/apply.py"], ["gtsd_tui/services/apply.py"])


@pytest.mark.parametrize(
    "code",
    [
        "from gtsd_tui.db.runner import run\n",
        "from ..db.runner import Events, run\n",
        "def f():\n    from gtsd_tui.db import runner\n    return runner.run(1)\n",
        "import gtsd_tui.db.runner\n\ngtsd_tui.db.runner.run(1)\n",
    ],
)
def test_a_second_runner_is_seen_in_any_form(tmp_path: Path, code: str) -> None:
    pkg = _tree(tmp_path)
    (pkg / "tui" / "x.py").write_text(code)
    assert _apply_path(pkg)[1] == ["gtsd_tui/tui/x.py"]


# Each import form that reaches the db layer from a console module; the layer test must see every one.
FORMS = {
    "absolute dotted": "import gtsd_tui.db.runner\n",
    "absolute from": "from gtsd_tui.db.runner import run\n",
    "package import of a submodule": "from gtsd_tui import db\n",
    "relative, one level up": "from ..db import runner\n",
    "relative, two levels up": "from ...db.runner import run\n",
    "relative package of a submodule": "from .. import db\n",
    "inside a function": "def f():\n    from gtsd_tui.db import runner\n    return runner\n",
    "inside a method, relative": (
        "class C:\n    def m(self):\n        from ...db.runner import run\n        return run\n"
    ),
    "under TYPE_CHECKING": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import gtsd_tui.db\n",
}


def _tree(tmp_path: Path) -> Path:
    """A small package shaped like ours: gtsd_tui/{db,tui,tui/screens,core}."""
    pkg = tmp_path / "gtsd_tui"
    for sub in ("", "db", "tui", "tui/screens", "core"):
        (pkg / sub).mkdir(parents=True, exist_ok=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "db" / "runner.py").write_text("def run():\n    pass\n")
    (pkg / "tui" / "app.py").write_text("from gtsd_tui.core import display\n")
    (pkg / "core" / "display.py").write_text("import json\n")
    return pkg


def test_the_injection_tree_is_clean(tmp_path: Path) -> None:
    pkg = _tree(tmp_path)
    assert _violations("tui", RULES["tui"], pkg) == []
    assert strongly_connected(graph(pkg)) == []


@pytest.mark.parametrize("form", sorted(FORMS))
def test_layer_rule_fails_for_each_import_form(tmp_path: Path, form: str) -> None:
    """Every form, injected in a console module (``tui/screens/x.py``: relative imports climb from there)."""
    pkg = _tree(tmp_path)
    code = FORMS[form]
    if code.startswith("from ..") and "..." not in code:
        where = pkg / "tui" / "x.py"  # ``..`` from gtsd_tui.tui is gtsd_tui
    else:
        where = pkg / "tui" / "screens" / "x.py"
    where.write_text(code)
    assert _violations("tui", RULES["tui"], pkg) == [f"gtsd_tui/{where.relative_to(pkg)} imports ['gtsd_tui.db']"]


def test_layer_rule_sees_outside_packages_in_every_form(tmp_path: Path) -> None:
    pkg = _tree(tmp_path)
    (pkg / "tui" / "a.py").write_text("import psycopg.sql\n")
    (pkg / "tui" / "b.py").write_text("def f():\n    from psycopg_pool import ConnectionPool\n")
    assert _violations("tui", RULES["tui"], pkg) == [
        "gtsd_tui/tui/a.py imports ['psycopg']",
        "gtsd_tui/tui/b.py imports ['psycopg_pool']",
    ]


def test_no_import_cycles() -> None:
    """No strongly connected component in the import graph: every import at any level counts (inside
    functions too), only ``if TYPE_CHECKING:`` does not. A cycle is broken by moving the shared part
    down a level, not by importing late."""
    assert strongly_connected(graph(PKG)) == []


@pytest.mark.parametrize(
    ("files", "cycle"),
    [
        (  # two modules, the back edge inside a function
            {"core/a.py": "from gtsd_tui.core.b import x\n", "core/b.py": "def x():\n    from . import a\n"},
            ["gtsd_tui.core.a", "gtsd_tui.core.b"],
        ),
        (  # three modules across layers, one edge relative two levels up, one a package import
            {
                "db/runner.py": "from ..core import display\n",
                "core/display.py": "import gtsd_tui.tui.app\n",
                "tui/app.py": "from gtsd_tui.db import runner\n",
            },
            ["gtsd_tui.core.display", "gtsd_tui.db.runner", "gtsd_tui.tui.app"],
        ),
        (  # a package's __init__ importing a module that imports the package back
            {"tui/__init__.py": "from gtsd_tui.tui.app import x\n", "tui/app.py": "from gtsd_tui import tui\nx = 1\n"},
            ["gtsd_tui.tui", "gtsd_tui.tui.app"],
        ),
    ],
)
def test_cycle_rule_fails_on_an_injected_cycle(tmp_path: Path, files: dict[str, str], cycle: list[str]) -> None:
    pkg = _tree(tmp_path)
    for rel, code in files.items():
        (pkg / rel).write_text(code)
    assert strongly_connected(graph(pkg)) == [cycle]


def test_type_checking_imports_make_no_cycle(tmp_path: Path) -> None:
    pkg = _tree(tmp_path)
    (pkg / "core" / "a.py").write_text("from gtsd_tui.core.b import x\n")
    (pkg / "core" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\nx = 1\n"
    )
    assert strongly_connected(graph(pkg)) == []


def test_the_graph_of_the_real_package_is_seen(tmp_path: Path) -> None:
    """The cycle rule is not vacuous on our own tree: copied, and one late import added, it fails."""
    copy = tmp_path / "gtsd_tui"
    shutil.copytree(PKG, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert strongly_connected(graph(copy)) == []
    target = copy / "core" / "display.py"
    target.write_text(target.read_text() + "\n\ndef _late():\n    from gtsd_tui.services import project\n")
    comps = strongly_connected(graph(copy))
    assert len(comps) == 1 and {"gtsd_tui.core.display", "gtsd_tui.services.project"} <= set(comps[0])


# The complexity budget (it replaces a 400-line cap per module, which split modules without cutting a
# dependency): no function over McCabe complexity 15 (ruff's C901); the few older ones above it may not grow.
MAX_COMPLEXITY = 15
OVER_BUDGET = {
    "gtsd_tui/core/lint/statements.py:check": 38,
    "gtsd_tui/core/data/data_schema.py:record": 29,
    "gtsd_tui/core/sql/sql_objects.py:_touches": 25,
    "gtsd_tui/services/rollout.py:run_rollout": 22,
    "gtsd_tui/core/lint/tables.py:_cmd": 20,
    "gtsd_tui/core/fleets/rollout.py:fold": 18,
    "gtsd_tui/core/migrations/status.py:compute_status": 17,
    "gtsd_tui/config.py:load_settings": 16,
}


def _complexities(root: Path, budget: int) -> dict[str, int]:
    """``file:function`` -> McCabe complexity, for every function over ``budget`` (ruff's C901)."""
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "C901", "--output-format", "json"]
        + ["--config", f"lint.mccabe.max-complexity={budget}", str(root)],
        capture_output=True,
        text=True,
        cwd=root.parent,
    )
    found = {}
    for item in json.loads(out.stdout):
        m = re.match(r"`(.+)` is too complex \((\d+) > \d+\)", item["message"])
        assert m, item["message"]
        rel = Path(item["filename"]).resolve().relative_to(root.parent)
        found[f"{rel}:{m.group(1)}"] = int(m.group(2))
    return found


def test_complexity_budget() -> None:
    found = _complexities(PKG, MAX_COMPLEXITY)
    grown = {k: v for k, v in found.items() if v > OVER_BUDGET.get(k, MAX_COMPLEXITY)}
    assert grown == {}


def test_complexity_budget_sees_a_complex_function(tmp_path: Path) -> None:
    pkg = _tree(tmp_path)
    branches = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(MAX_COMPLEXITY))
    (pkg / "core" / "big.py").write_text(f"def big(x):\n{branches}    return -1\n")
    assert _complexities(pkg, MAX_COMPLEXITY) == {"gtsd_tui/core/big.py:big": MAX_COMPLEXITY + 1}
