"""``gtsd-tui lint [FILES... | -]``: squawk's rules and the guide's on pglast's parse tree (pending
migrations by default); ``.squawk.toml``, ``--exclude/--include``, ``--pg-version``, SARIF, stdin."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from gtsd_tui.core.vocab import Severity
from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS, InputError
from gtsd_tui.services.project import Project

TYPE_CHECKING = False
if TYPE_CHECKING:  # (argparse and typing are not imported at start-up)
    import argparse
    from typing import Any


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    import argparse

    p = sub.add_parser("lint", parents=[common], help="lint migration SQL (default: the pending migrations)")
    p.add_argument("files", nargs="*", help="SQL files, or - for standard input (default: pending migrations)")
    p.add_argument("--format", choices=("text", "json", "github", "sarif"), default=None, help="output format")
    p.add_argument("-e", "--exclude", action="append", default=[], metavar="RULES", help="rules to turn off")
    p.add_argument("-i", "--include", action="append", default=[], metavar="RULES", help="opt-in rules to turn on")
    p.add_argument("--pg-version", default=None, help="target PostgreSQL version, e.g. 16 or 13.0")
    p.add_argument(
        "--assume-in-transaction",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="as squawk: every file runs in a transaction (default: drizzle's semantics)",
    )
    p.add_argument("-c", "--config", default=None, help="path to a .squawk.toml (default: searched upwards)")
    p.add_argument("--stdin-filepath", default=None, help="file name to report for standard input")
    p.add_argument("--explain", nargs="?", const="", default=None, metavar="RULE", help="describe a rule (or all)")


class _Where:
    """Which files are migrations of the folder: the folder resolved once, each file's directory resolved
    once (thousands of files in one directory cost one ``realpath``), a symlinked file on its own."""

    def __init__(self, folder_path: Path) -> None:
        self.root = os.path.realpath(folder_path)
        self.dirs: dict[str, str] = {}

    def tag_of(self, path: Path) -> str | None:
        """The migration tag of a file inside the folder (v0 ``NNNN_tag.sql``, v1 ``<dir>/migration.sql``)."""
        raw = os.fspath(path)
        if os.path.islink(raw):
            real = os.path.realpath(raw)
        else:
            parent, name = os.path.split(os.path.abspath(raw))
            if parent not in self.dirs:
                self.dirs[parent] = os.path.realpath(parent)
            real = os.path.join(self.dirs[parent], name)
        parent, name = os.path.split(real)
        if parent == self.root:
            return path.stem
        if name == "migration.sql" and os.path.dirname(parent) == self.root:
            return os.path.basename(parent)
        return None


def _tag_of(path: Path, folder_path: Path) -> str | None:
    return _Where(folder_path).tag_of(path)


def targets(args: argparse.Namespace, project: Project) -> tuple[list[tuple[Path, bool]], frozenset[Path]]:
    """(path, hand_written) to lint, and the files among them outside the migrations folder."""
    from gtsd_tui.core.lint import hand_written_tags, verdict_by_stats

    if args.files:
        out = []
        plain: set[Path] = set()
        written_by_hand: set[str] | None = None
        where = _Where(project.folder_path)
        for name in args.files:
            path = Path(name)
            if not os.path.isfile(name):
                raise InputError(f"{path}: no such file")
            tag = where.tag_of(path)
            if tag is not None and written_by_hand is None:
                written_by_hand, stats = verdict_by_stats(str(project.folder_path))
                if written_by_hand is None:
                    try:
                        written_by_hand = hand_written_tags(project.load_folder(), stats_key=stats)
                    except InputError:
                        written_by_hand = set()  # loose files: no journal to tell hand-written ones
            out.append((path, tag is not None and tag in (written_by_hand or set())))
            if tag is None:
                plain.add(path)
        return out, frozenset(plain)
    from gtsd_tui.core.migrations.status import APPLIED, MODIFIED, compute_status

    folder = project.load_folder()
    rows, _ = project.try_rows(start_embedded=False)
    report = compute_status(folder, rows or [])
    written_by_hand = hand_written_tags(folder)
    return [
        (folder.file_path(s.migration), s.migration.tag in written_by_hand)
        for s in report.items
        if s.migration.file and s.state not in (APPLIED, MODIFIED)
    ], frozenset()


def run(args: argparse.Namespace, project: Project) -> int:
    from gtsd_tui import __version__
    from gtsd_tui.core.lint import lint_text, report
    from gtsd_tui.core.lint.config import Overrides
    from gtsd_tui.core.lint.rules import ALIASES, RULES
    from gtsd_tui.services.lint_runner import decode, lint_paths, load_settings

    if args.explain is not None:
        if args.explain and args.explain not in RULES and args.explain not in ALIASES:
            raise InputError(f"--explain: unknown rule {args.explain!r}")
        names = ALIASES.get(args.explain, (args.explain,)) if args.explain else (None,)
        print("\n".join(report.explain(n) for n in names))
        return EXIT_OK
    fmt = args.format or ("json" if args.json else "text")
    config = Path(args.config) if args.config else None
    if config is not None and not config.is_file():
        raise InputError(f"{config}: no such file")
    settings = load_settings(config, Path.cwd(), project.folder_path)
    settings = Overrides(args.pg_version, args.assume_in_transaction, args.exclude, args.include).apply(settings)
    if args.files == ["-"]:
        name = args.stdin_filepath or "stdin"
        if args.stdin_filepath is None or _tag_of(Path(name), project.folder_path) is None:
            settings = settings.plain()
        findings = lint_text(name, decode(name, sys.stdin.buffer.read()), settings=settings)
    elif "-" in args.files:
        raise InputError("-: standard input cannot be mixed with files")
    else:
        items, plain = targets(args, project)
        if not items and fmt == "text":  # not "0 finding(s)": there was nothing to lint
            print("nothing pending: every migration of the folder is applied (name files to lint them)")
            return EXIT_OK
        findings = lint_paths(items, settings=settings, plain=plain)
    errors = sum(1 for f in findings if f.severity == Severity.ERROR)
    if fmt == "json":
        from gtsd_tui.commands.output import envelope

        out = report.as_json(findings, envelope())
    elif fmt == "github":
        out = report.github(findings)
    elif fmt == "sarif":
        out = report.sarif(findings, __version__)
    else:
        out = report.text(findings)
    if out:
        sys.stdout.write(out + "\n")
    return EXIT_PROBLEMS if errors else EXIT_OK
