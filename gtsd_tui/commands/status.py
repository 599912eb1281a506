"""``gtsd-tui status``: every migration with exactly one state, and rows that match none."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from gtsd_tui import __version__
from gtsd_tui.commands.output import fmt_ms, print_json, state_cell, table, without_gc_passes
from gtsd_tui.core.display import shown
from gtsd_tui.core.migrations.folder import Folder
from gtsd_tui.core.migrations.preflight import link_warning, nul_error
from gtsd_tui.core.migrations.status import APPLIED, MODIFIED, StatusReport, compute_status
from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE
from gtsd_tui.services.project import Project

if TYPE_CHECKING:
    from gtsd_tui.services.status_read import DbSide

JSON_FORMAT_VERSION = 1
BULK_JSON = 500  # migrations from which --json's list is written by msgspec (its import costs a small one)


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("status", parents=[common], help="show every migration's state against the database")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when anything is not applied")


def status_json(project: Project, report: StatusReport) -> dict[str, Any]:
    return {
        "version": JSON_FORMAT_VERSION,
        "tool_version": __version__,
        "migrations_dir": str(project.folder_path),
        "database": project.database_json(True),
        "migrations": [
            {
                "tag": s.migration.tag,
                "idx": s.migration.idx,
                "file": s.migration.file,
                "when": s.migration.when,
                "hash": s.migration.hash,
                "state": s.state,
                "restamped": s.restamped,
                "created_at": s.row.created_at if s.row else None,
                "notes": s.notes,
            }
            for s in report.items
        ],
        "unknown_rows": [{"id": r.id, "hash": r.hash, "created_at": r.created_at} for r in report.unknown_rows],
        "warnings": report.warnings,
    }


def input_errors(folder: Folder) -> list[str]:
    """Problems that make drizzle-orm unable to use the folder as it is (exit 2), one line each."""
    errors: list[str] = []
    if folder.journal and folder.journal.conflicted:
        errors.append(
            f"{folder.journal_path}:{folder.journal.conflict_lines[0]}: git conflict markers "
            "(drizzle-orm cannot parse it); showing both sides; fix with `gtsd-tui renumber`"
        )
    for m in folder.migrations:
        nul = nul_error(folder, m)
        if nul:
            errors.append(nul)
        if m.digest and m.digest.utf8_error_at is not None:
            errors.append(
                f"{folder.path / (m.file or '')}: not valid UTF-8 at byte {m.digest.utf8_error_at} "
                "(drizzle-orm would run it with U+FFFD in place of the bad bytes)"
            )
    return errors


def run(args: argparse.Namespace, project: Project) -> int:
    with without_gc_passes():
        return _run(args, project)


def _read(project: Project) -> tuple[Folder, StatusReport, DbSide | None]:
    """The folder and its status; the database side read by a forked child meanwhile when it can be
    (services/status_read.py), else here, after the folder, as before."""
    from gtsd_tui.services import status_read

    child = status_read.start(project)
    try:
        folder = project.load_folder()
        if child is not None:
            _ready_for_rows(folder)
        side = status_read.take(project, child)
    finally:
        if child is not None:
            child.close()
    if side is None:  # no child, or it failed: read here (and meet its error here)
        return folder, project.status(folder), None
    return folder, compute_status(folder, side.rows), side


def _ready_for_rows(folder: Folder) -> None:
    """What comes after the rows, imported while the child still imports psycopg (this process would
    only wait): the INVALID index and drift flag services, and msgspec for a long ``--json`` list."""
    import gtsd_tui.services.accept
    import gtsd_tui.services.drift
    import gtsd_tui.services.drift_status
    import gtsd_tui.services.invalid_index  # noqa: F401

    if len(folder.migrations) >= BULK_JSON:
        import msgspec  # noqa: F401


def _run(args: argparse.Namespace, project: Project) -> int:
    from gtsd_tui.services.accept import classify_item
    from gtsd_tui.services.invalid_index import invalid_indexes

    folder, report, side = _read(project)
    errors = input_errors(folder)
    report.warnings += [link_warning(folder, f) for f in sorted(folder.links_outside)]
    invalid = invalid_indexes(project, folder, report, side.invalid if side else None)
    schema = _schema_state(project, folder, report, side.fingerprint if side else None)
    if args.json:
        out = status_json(project, report)
        out["errors"] = errors
        out["invalid_indexes"] = [i.as_json() for i in invalid]
        out["schema"] = schema.as_json() if schema else None
        for entry, item in zip(out["migrations"], report.items, strict=True):
            if item.state == MODIFIED and item.row is not None:
                entry["edit"] = classify_item(project, item).as_json()
        print_json(out, bulk="migrations" if len(report.items) >= BULK_JSON else None)
    else:
        _print_text(project, report, invalid, schema)
    for e in errors:
        print(f"gtsd-tui: {shown(e)}", file=sys.stderr)
    if errors:
        return EXIT_USAGE
    if args.exit_code and (any(s.state != APPLIED for s in report.items) or report.unknown_rows or invalid):
        return EXIT_PROBLEMS
    return EXIT_OK


def _print_text(project: Project, report: StatusReport, invalid: list[Any], schema: Any) -> None:
    """The table, then what else there is to say (the text form of ``--json``)."""
    from gtsd_tui.services.accept import classify_item

    rows: list[list[str]] = []
    colors: list[str] = []
    for s in report.items:
        h = s.migration.hash[:12] if s.migration.hash else "-"
        rows.append([s.migration.tag, state_cell(s), fmt_ms(s.row.created_at if s.row else None), h])
        colors.append(s.state)
    print(f"{shown(str(project.folder_path))}  ->  {shown(project.masked_url)}  ({project.settings.table_label})")
    # the row's created_at is the journal's `when` (drizzle-orm records no apply time): named as such
    print(table(rows, ["TAG", "STATE", "CREATED (JOURNAL WHEN)", "HASH"], colors) if rows else "(no migrations)")
    for r in report.unknown_rows:
        print(f"! unknown row id={r.id} created_at={r.created_at} hash={shown(r.hash[:12])}: matches no migration")
    for i in invalid:
        print(f"! invalid-index {i.message()}")
    for item in report.in_state(MODIFIED):
        if item.row is not None:
            edit = classify_item(project, item)
            hint = " (gtsd-tui accept records it)" if edit.cosmetic else ""
            print(f"≠ {shown(item.migration.tag)}: {edit.kind or edit.unknown} edit{hint}")
            for line in edit.diff:
                print(f"    {line}")
    for w in report.warnings:
        print(f"warning: {shown(w)}", file=sys.stderr)
    counts: dict[str, int] = {}
    for s in report.items:
        counts[s.state] = counts.get(s.state, 0) + 1
    print(", ".join(f"{n} {k}" for k, n in counts.items()) or "nothing")
    if schema and schema.drift is not None:
        print(_schema_line(schema))


def _schema_state(project: Project, folder: Folder, report: StatusReport, taken: str | None) -> Any:
    """The drift flag (services.drift_status); None when nothing is applied. ``taken``: the catalog's
    fingerprint the child read."""
    from gtsd_tui.services.drift_status import schema_state

    if not any(s.row is not None for s in report.items) or project.url is None:
        return None
    settings = project.settings
    return schema_state(project.url, settings.schema, settings.table, folder, report, taken=taken)


def _schema_line(state: Any) -> str:
    if state.drift:
        n = state.differences
        return (
            f"drift: the schema differs from the snapshot of {shown(state.tag)} "
            f"({n} difference{'s' if n != 1 else ''}; `gtsd-tui drift` lists them with their fix)"
        )
    return f"schema: as the snapshot of {shown(state.tag)} (no drift)"
