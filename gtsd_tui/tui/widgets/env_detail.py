"""The selected cell of the Environments matrix in words: the environment (URL masked, where it is
defined, server version or why it cannot be reached), the migration's state there and when it was
applied, the environment's counts, and how the environments differ."""

from __future__ import annotations

from textual.widgets import Static

from gtsd_tui.core.display import shown
from gtsd_tui.core.migrations.status import MigrationStatus
from gtsd_tui.services.console_envs import EnvColumn, Environments
from gtsd_tui.tui.render import when_text
from gtsd_tui.tui.widgets.env_matrix import ROW_PREFIX

SHOWN_DIFFS = 3  # the rest would push the details off an 80×24 screen


def applied_line(item: MigrationStatus) -> str:
    """When it was applied, as far as the table knows: a drizzle v1 table has applied_at; a v0 table has
    only created_at, which is the migration's own ``when``, not the time it was applied."""
    row = item.row
    if row is None:
        return "not applied here"
    if row.legacy:
        return f"applied at: unknown (a v0 table has no applied-at column; created_at {when_text(row.created_at)})"
    if row.applied_at is None:
        return f"applied at: unknown (row named by the v1 upgrade; created_at {when_text(row.created_at)})"
    return f"applied at {when_text(row.applied_at)} UTC"


def detail_lines(envs: Environments, env: EnvColumn, key: str) -> list[str]:
    here = " (this console's database)" if env.current else ""
    lines = [f"{env.name}{here} · {env.url} · from {env.source}"]
    if not env.reachable or env.report is None:
        lines.append(f"✗ unreachable: {env.error or 'no reason given'}")
    else:
        lines.append(f"PostgreSQL {env.server_version or '?'} · {env.summary()}")
        if key.startswith(ROW_PREFIX):
            digest = key.removeprefix(ROW_PREFIX)
            row = next((r for r in env.report.unknown_rows if r.hash == digest), None)
            where = f"id {row.id}, created_at {when_text(row.created_at)}" if row else "not in this environment"
            lines.append(f"row {digest[:12]}: no migration of the folder has this hash ({where})")
        else:
            item = env.item(key)
            if item is not None:
                lines.append(f"{shown(key)}: {item.glyph} {item.label} · {applied_line(item)}")
    return lines


class EnvDetail(Static):
    def __init__(self) -> None:
        super().__init__("", id="envs-detail", markup=False)

    def show(self, envs: Environments, selected: tuple[str, str] | None) -> None:
        if envs.error is not None:
            self.update(f"✗ {envs.error}")
            return
        env = envs.env(selected[0]) if selected is not None else None
        lines = detail_lines(envs, env, selected[1]) if env is not None and selected is not None else []
        diffs = list(envs.differences)
        if diffs:
            extra = len(diffs) - SHOWN_DIFFS
            more = f"; and {extra} more (gtsd-tui envs lists them)" if extra > 0 else ""
            lines.append("differences: " + "; ".join(shown(d) for d in diffs[:SHOWN_DIFFS]) + more)
        elif envs.envs:
            lines.append("no differences between the reachable environments")
        self.update("\n".join(lines))
