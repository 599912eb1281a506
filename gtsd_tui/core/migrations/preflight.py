"""What must be refused before the first statement: a folder drizzle-orm would reject, bytes
PostgreSQL would cut short, values the tracking table cannot hold, files from outside the folder.

``check`` reports these as findings; ``migrate`` refuses (exit 2) before it connects, so a refused
run writes nothing, not even drizzle's schema and table.
"""

from __future__ import annotations

from gtsd_tui.core.migrations.folder import Folder, Migration
from gtsd_tui.core.migrations.hashing import NUL_MESSAGE
from gtsd_tui.errors import EXIT_USAGE, GtsdError

BIGINT_MAX = 2**63 - 1
JS_SAFE_MAX = 2**53 - 1  # drizzle-orm reads `when` with JSON.parse: a double


class Refused(GtsdError):
    """The folder cannot be applied as it is; nothing was sent to the database (exit 2)."""

    exit_code = EXIT_USAGE


def nul_error(folder: Folder, m: Migration) -> str | None:
    if m.digest is None or m.digest.nul_at is None:
        return None
    line, col = m.digest.nul_at
    return f"{folder.path / (m.file or '')}:{line}:{col}: {NUL_MESSAGE}"


def when_problem(when: int) -> str | None:
    """Why drizzle-orm cannot record this ``when`` as it stands, or None."""
    if not -BIGINT_MAX - 1 <= when <= BIGINT_MAX:
        return f"when {when} is beyond bigint: the row's insert fails after the migration's SQL ran"
    if abs(when) > JS_SAFE_MAX:
        return (
            f"when {when} is above 2^53: drizzle-orm reads it as a JavaScript number and records "
            f"{int(float(when))} instead"
        )
    return None


def missing_file_error(folder: Folder, m: Migration) -> str:
    return (
        f"{folder.path / (m.tag + '.sql')}: listed in the journal but missing; drizzle-orm refuses the whole "
        f'folder ("No file {m.tag}.sql found in {folder.path} folder")'
    )


def link_warning(folder: Folder, file: str) -> str:
    return f"{folder.path / file}: a symbolic link to {folder.links_outside[file]}, outside the migrations folder"


def refusals(folder: Folder, *, to_tag: str | None = None, allow_symlinks: bool = False) -> list[str]:
    """Every reason, one line each, not to send a single statement for this folder."""
    out: list[str] = []
    if folder.journal and folder.journal.conflicted:
        out.append(
            f"{folder.journal_path}:{folder.journal.conflict_lines[0]}: git conflict markers; "
            "resolve first (gtsd-tui renumber)"
        )
    for m in folder.migrations:
        if m.in_journal and m.file is None:
            out.append(missing_file_error(folder, m))
        nul = nul_error(folder, m)
        if nul:
            out.append(nul)
        if m.in_journal and m.when is not None and (why := when_problem(m.when)):
            out.append(f"{folder.journal_path}: {m.tag}: {why}")
    if not allow_symlinks:
        out += [f"{link_warning(folder, f)}; pass --allow-symlinks to run it" for f in sorted(folder.links_outside)]
    if to_tag is not None and folder.by_tag(to_tag) is None:
        out.append(f"--to {to_tag}: no such migration in {folder.path}")
    return out


def require_applicable(folder: Folder, *, to_tag: str | None = None, allow_symlinks: bool = False) -> None:
    """Raise Refused with the first reason (and how many more) when the folder must not be applied."""
    found = refusals(folder, to_tag=to_tag, allow_symlinks=allow_symlinks)
    if found:
        more = f" (and {len(found) - 1} more problem(s): gtsd-tui check lists them)" if len(found) > 1 else ""
        raise Refused(found[0] + more)
