"""``gtsd-tui lint [FILES...]``: the guide's rules on pglast's parse tree (pending migrations by default)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gtsd_tui.core.display import shown
from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS, InputError
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("lint", parents=[common], help="lint migration SQL (default: the pending migrations)")
    p.add_argument("files", nargs="*", help="SQL files (default: pending migrations, or all without a database)")
    p.add_argument("--format", choices=("text", "json", "github"), default=None, help="output format")


def targets(args: argparse.Namespace, project: Project) -> list[tuple[Path, bool]]:
    """(path, hand_written) to lint."""
    from gtsd_tui.core.lint import hand_written_tags
    from gtsd_tui.core.status import APPLIED, MODIFIED, compute_status

    if args.files:
        out = []
        folder = None
        for name in args.files:
            path = Path(name)
            if not path.is_file():
                raise InputError(f"{path}: no such file")
            if folder is None and path.resolve().parent == project.folder_path.resolve():
                try:
                    folder = project.load_folder()
                except InputError:
                    folder = None  # loose files: no journal to tell hand-written ones
            hand = folder is not None and path.stem in hand_written_tags(folder)
            out.append((path, hand))
        return out
    folder = project.load_folder()
    rows, _ = project.try_rows(start_embedded=False)
    report = compute_status(folder, rows or [])
    written_by_hand = hand_written_tags(folder)
    return [
        (folder.file_path(s.migration), s.migration.tag in written_by_hand)
        for s in report.items
        if s.migration.file and s.state not in (APPLIED, MODIFIED)
    ]


def run(args: argparse.Namespace, project: Project) -> int:
    from gtsd_tui.services.lint_runner import lint_paths

    fmt = args.format or ("json" if args.json else "text")
    findings = lint_paths(targets(args, project))
    errors = sum(1 for f in findings if f.severity == "error")
    if fmt == "json":
        sys.stdout.write(json.dumps({"findings": [f.to_json() for f in findings], "errors": errors}) + "\n")
    elif fmt == "github":
        for f in findings:
            level = "error" if f.severity == "error" else "warning"
            where = f"file={shown(f.file)},line={f.line},col={f.column},title={f.rule}"
            print(f"::{level} {where}::{shown(f.message)} (safe: {f.safe})")
    else:
        for f in findings:
            print(f"{shown(f.file)}:{f.line}:{f.column}: {f.severity} {f.rule}: {shown(f.message)}\n    safe: {f.safe}")
        print(f"{len(findings)} finding(s), {errors} error(s)")
    return EXIT_PROBLEMS if errors else EXIT_OK
