"""The project's words (``core/vocab.py``) are used, not spelled: no attribute holding one is compared
with a bare string, and a member reads as its string wherever it is printed."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import msgspec
import pytest

from gtsd_tui.core import vocab
from gtsd_tui.core.migrations.modes import PgBouncerMode, TxMode
from gtsd_tui.core.migrations.status import MigrationState
from gtsd_tui.core.vocab import Layout, Severity
from gtsd_tui.tui.busy import Busy

ROOT = Path(__file__).resolve().parent.parent
# attribute -> the vocabulary type it holds (``state`` is left out: rollouts and sessions have states of
# their own; MigrationState is checked by mypy where it is held)
TYPED = {
    "layout": Layout,
    "tx_mode": TxMode,
    "pgbouncer": PgBouncerMode,
    "severity": Severity,
    "busy_state": Busy,
}


def _spelled(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, word) of each comparison of a typed attribute (``x.layout``, ``getattr(x, "layout", ...)``)
    with a string constant, and of any comparison with ``"v0"`` / ``"v1"``."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        consts = [s.value for s in sides if isinstance(s, ast.Constant) and isinstance(s.value, str)]
        for side in sides:
            if isinstance(side, (ast.Tuple, ast.List, ast.Set)):  # x.state in ("applied", ...)
                consts += [e.value for e in side.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        if not consts:
            continue
        names = {s.attr for s in sides if isinstance(s, ast.Attribute)}
        names |= {
            s.args[1].value
            for s in sides
            if isinstance(s, ast.Call)
            and isinstance(s.func, ast.Name)
            and s.func.id == "getattr"
            and len(s.args) >= 2
            and isinstance(s.args[1], ast.Constant)
        }
        typed = names & set(TYPED)
        if typed or {"v0", "v1"} & set(consts):
            found.append((node.lineno, ", ".join(sorted(typed) or ["layout"])))
    return found


def _violations(paths: list[Path]) -> list[str]:
    out = []
    for path in paths:
        for line, word in _spelled(ast.parse(path.read_text(encoding="utf-8"))):
            out.append(f"{path.relative_to(ROOT)}:{line}: {word} compared with a bare string")
    return out


def test_no_vocabulary_word_is_compared_as_a_string() -> None:
    """``folder.layout == Layout.V1``, never ``folder.layout == "v1"`` (the package and the tests)."""
    paths = sorted((ROOT / "gtsd_tui").rglob("*.py")) + sorted((ROOT / "tests").glob("*.py"))
    assert _violations(paths) == []


@pytest.mark.parametrize(
    "code",
    [
        'if folder.layout == "v1":\n    pass\n',
        'ok = folder.layout != "v0"\n',
        'v1 = getattr(folder, "layout", "v0") == "v1"\n',
        'n = sum(1 for f in found if f.severity == "error")\n',
        'n = [f for f in found if f.severity in ("error", "warning")]\n',
        'if request.pgbouncer == "yes":\n    pass\n',
        'if plan.tx_mode == "all":\n    pass\n',
        'if self.console.busy_state == "applying":\n    pass\n',
        'if kind == "v1":\n    pass\n',
    ],
)
def test_the_rule_sees_a_spelled_word(tmp_path: Path, code: str) -> None:
    bad = tmp_path / "x.py"
    bad.write_text(code)
    assert len(_spelled(ast.parse(bad.read_text()))) == 1


def test_the_rule_lets_members_and_other_strings_be() -> None:
    code = (
        "a = folder.layout == Layout.V1\n"
        "b = f.severity != Severity.ERROR\n"
        'c = pane == "pending"\n'  # a pane's name, not a migration state
        'd = m.tag == "0001_x"\n'
    )
    assert _spelled(ast.parse(code)) == []


VOCAB = {t.__name__ for t in (*TYPED.values(), MigrationState)}


def _identity(tree: ast.AST) -> list[int]:
    """Lines comparing with a member by identity (``x is Layout.V1``): silently false for the plain string
    a JSON decode, a cache or a subprocess hands back, where ``==`` is true."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and any(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops)
        and any(
            isinstance(s, ast.Attribute) and isinstance(s.value, ast.Name) and s.value.id in VOCAB
            for s in (node.left, *node.comparators)
        )
    ]


def test_members_are_compared_by_value_not_identity() -> None:
    paths = sorted((ROOT / "gtsd_tui").rglob("*.py"))
    found = [f"{p.relative_to(ROOT)}:{n}" for p in paths for n in _identity(ast.parse(p.read_text("utf-8")))]
    assert found == []
    decoded = json.loads(json.dumps(Layout.V1))  # why: what a decode hands back is equal, never identical
    assert decoded == Layout.V1 and type(decoded) is str


@pytest.mark.parametrize(
    "code", ["ok = folder.layout is Layout.V1\n", "if f.severity is not Severity.ERROR:\n    pass\n"]
)
def test_the_identity_rule_sees_is(code: str) -> None:
    assert len(_identity(ast.parse(code))) == 1


@pytest.mark.parametrize("word", [m for enum in (*TYPED.values(), MigrationState) for m in enum])
def test_a_member_reads_as_its_string(word: vocab.StrEnum) -> None:
    """Output does not change: text, f-strings, JSON (both encoders) and comparisons see the value."""
    value = word.value
    assert str(word) == f"{word}" == value and word == value
    assert json.dumps({"k": word}) == json.dumps({"k": value})
    assert msgspec.json.encode(word) == msgspec.json.encode(value)
    assert type(word)(value) is word  # what argparse and JSON hand back comes back as the member
