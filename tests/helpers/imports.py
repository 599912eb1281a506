"""The import graph of a package, read with ``ast`` (nothing is imported).

Every import form counts, at any level (inside functions and methods too), except under
``if TYPE_CHECKING:``: ``import a.b.c``, ``from a.b import c``, ``from . import c``,
``from ..db import runner`` (relative at any depth) and ``from pkg import submodule``. Each import
is resolved to the dotted names it reaches: a module of the package (its parents included, since
importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__``) or an outside top-level name.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Import:
    """One import statement of a module, resolved: ``names`` are absolute dotted names."""

    line: int
    names: frozenset[str]


def modules(pkg_dir: Path) -> dict[str, Path]:
    """Dotted name -> file, for every module of the package at ``pkg_dir`` (``__init__`` as the package)."""
    root = pkg_dir.resolve().parent
    out: dict[str, Path] = {}
    for path in sorted(pkg_dir.resolve().rglob("*.py")):
        name = ".".join(path.relative_to(root).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for sub in node.body:
                skip.update(id(n) for n in ast.walk(sub))
    return skip


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str, path: Path, *, type_checking: bool = False) -> list[Import]:
    """The imports of module ``name`` (file ``path``), each resolved to every dotted name it may reach:
    the module named and, for ``from X import y``, also ``X.y`` (a submodule when there is one).
    Imports under ``if TYPE_CHECKING:`` are left out unless ``type_checking``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set() if type_checking else _type_checking_nodes(tree)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: list[Import] = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.append(Import(node.lineno, frozenset(a.name for a in node.names)))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if node.level > len(package):
                    raise ValueError(f"{path}:{node.lineno}: relative import beyond the top package")
                parts = package[: len(package) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names = {base} | {f"{base}.{a.name}" for a in node.names if a.name != "*"}
            found.append(Import(node.lineno, frozenset(names)))
    return found


def resolve(target: str, mods: dict[str, Path]) -> str | None:
    """The module of the package an imported dotted name is (``from pkg.mod import function``: the
    function is no module, ``pkg.mod`` is), or None for a name outside the package."""
    parts = target.split(".")
    while parts and ".".join(parts) not in mods:
        parts.pop()
    return ".".join(parts) or None


def reached(target: str, mods: dict[str, Path]) -> set[str]:
    """What importing ``target`` runs: for a name inside the package, its module and all its parent
    packages; for an outside name, its top-level package alone."""
    if target.split(".")[0] not in {m.split(".")[0] for m in mods}:
        return {target.split(".")[0]}
    module = resolve(target, mods)
    return ({module} | _parents(module)) if module else set()


def reached_by(name: str, path: Path, mods: dict[str, Path], *, type_checking: bool = False) -> set[str]:
    """Every dotted name module ``name`` reaches by any of its imports (outside names by their top level)."""
    out: set[str] = set()
    for imp in imports_of(name, path, type_checking=type_checking):
        for target in imp.names:
            out |= reached(target, mods)
    return out


def graph(pkg_dir: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (any form, any level), itself excluded.

    An import names a module and runs its parent packages first: both are edges, except the
    importer's own parents, which always run before it (an edge to them only when named)."""
    mods = modules(pkg_dir)
    out: dict[str, set[str]] = {}
    for name, path in mods.items():
        named: set[str] = set()
        for imp in imports_of(name, path):
            named |= {m for t in imp.names if (m := resolve(t, mods))}
        implied = set().union(*(_parents(m) for m in named)) - _parents(name)
        out[name] = (named | implied) - {name}
    return out


def _parents(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def strongly_connected(g: dict[str, set[str]]) -> list[list[str]]:
    """The components of more than one module, and single modules importing themselves (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(g):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(g.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, todo = work[-1]
            if todo:
                w = todo.pop(0)
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, sorted(g.get(w, ()))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1 or v in g.get(v, ()):
                    found.append(sorted(comp))
    return sorted(found)
