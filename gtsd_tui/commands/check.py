"""``gtsd-tui check``: what is wrong with the folder (offline), and with the database when reachable."""

from __future__ import annotations

import sys
from pathlib import Path

from gtsd_tui.commands.output import paint, print_json, without_gc_passes
from gtsd_tui.core.display import shown
from gtsd_tui.core.merging.conflicts import CheckReport, Finding, check_database, check_folder
from gtsd_tui.core.migrations.folder import load_folder
from gtsd_tui.core.migrations.status import compute_status
from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, InputError
from gtsd_tui.services.project import Project

TYPE_CHECKING = False
if TYPE_CHECKING:  # (argparse and typing are not imported at start-up)
    import argparse
    from typing import Any

INPUT_ERRORS = ("nul-byte",)  # findings that make the folder unusable as it is: exit 2, like status


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("check", parents=[common], help="find merge conflicts and inconsistencies (offline first)")
    p.add_argument("--base", metavar="REF", help="git ref the branch merges into: label migrations, check the merge")
    p.add_argument("--offline", action="store_true", help="do not look at the database")
    p.add_argument(
        "--format", choices=("text", "json", "github", "sarif"), default=None, help="output format (CI: github, sarif)"
    )


def run_check(project: Project, base: str | None, offline: bool) -> tuple[CheckReport, str | None]:
    folder = project.load_folder()
    report = CheckReport(check_folder(folder))
    db_note: str | None = "offline"
    if not offline:
        rows, db_note = project.try_rows(start_embedded=False)
        if rows is not None:
            from gtsd_tui.services.invalid_index import invalid_indexes

            status = compute_status(folder, rows)
            report.findings += check_database(status)
            report.findings += [i.finding() for i in invalid_indexes(project, folder, status)]
    if base:
        from gtsd_tui.services import gitutil

        top = gitutil.work_tree(folder.path)
        if top is None:
            raise InputError(f"--base {base}: {folder.path} is not in a git work tree")
        on_base = gitutil.base_tags(top, base, folder.path)
        report.base_labels = {m.tag: ("base" if m.tag in on_base else "branch") for m in folder.migrations}
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            merged = gitutil.merged_tree_folder(top, base, folder.path, Path(tmp))
            if merged is not None and merged.is_dir():
                seen = {(f.code, f.files) for f in report.findings}
                for f in check_folder(load_folder(merged, allow_empty=True)):
                    if (f.code, f.files) not in seen:
                        report.findings.append(
                            Finding(f.code, f.severity, f.files, f"after merging {base}: {f.message}", f.fix)
                        )
    return report, db_note


def _annotations(fmt: str, findings: list[Finding], folder: Path) -> None:
    """GitHub workflow commands or SARIF, paths relative to where the job runs."""
    import os

    from gtsd_tui import __version__
    from gtsd_tui.core.merging import check_report

    rel = os.path.relpath(folder.resolve(), Path.cwd().resolve()).replace(os.sep, "/")
    prefix = "" if rel == "." else f"{rel}/"
    if fmt == "github":
        out = check_report.github(findings, prefix)
    else:
        out = check_report.sarif(findings, prefix, __version__)
    if out:
        sys.stdout.write(out + "\n")


def run(args: argparse.Namespace, project: Project) -> int:
    with without_gc_passes():
        return _run(args, project)


def _run(args: argparse.Namespace, project: Project) -> int:
    report, db_note = run_check(project, args.base, args.offline)
    # A database that was configured but could not be read: the check is incomplete (exit 3, or 2
    # for a malformed URL), said on stderr; --offline checks the folder alone.
    db_error = project.db_error if project.settings.database_url and not args.offline else None
    refusal = next((f for f in report.findings if f.code in INPUT_ERRORS), None)
    fmt = args.format or ("json" if args.json else "text")
    if fmt in ("github", "sarif"):
        _annotations(fmt, report.findings, project.folder_path)
        if db_note and db_note != "offline" and db_error is None:
            print(f"database not checked: {shown(db_note)}", file=sys.stderr)
    elif fmt == "json":
        out = {
            "findings": [f.to_json() for f in report.findings],
            "errors": len(report.errors),
            "database": db_note or "checked",
            "base": report.base_labels or None,
        }
        if refusal is not None:
            out.update(error=f"{project.folder_path / refusal.files[0]}:{refusal.message}", exit_code=EXIT_USAGE)
        elif db_error is not None:
            out.update(error=f"database not checked: {db_error}", exit_code=db_error.exit_code)
        print_json(out)
    else:
        for f in report.findings:
            fix = f" (fix: {f.fix})" if f.fix else ""
            print(f"{paint(f.severity, f.severity)} {f.code}: {shown(', '.join(f.files))}: {shown(f.message + fix)}")
        if report.base_labels:
            for tag, label in report.base_labels.items():
                print(f"  {label:6} {shown(tag)}")
        if db_note and db_note != "offline" and db_error is None:
            print(f"database not checked: {shown(db_note)}", file=sys.stderr)
        if not report.findings:
            print("no problems found")
    if refusal is not None:
        print(
            f"gtsd-tui: {shown(str(project.folder_path / refusal.files[0]))}:{shown(refusal.message)}", file=sys.stderr
        )
        return EXIT_USAGE
    if db_error is not None:
        print(
            f"gtsd-tui: database not checked: {shown(str(db_error))} (--offline checks the folder alone)",
            file=sys.stderr,
        )
        return db_error.exit_code
    return EXIT_PROBLEMS if report.errors else EXIT_OK
