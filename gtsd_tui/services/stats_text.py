"""Lines about live statistics shared by ``stats`` and the console."""

from __future__ import annotations

from collections.abc import Mapping

from gtsd_tui.core.display import shown


def blocked_line(b: Mapping[str, object]) -> str:
    """One blocked session: who waits for which lock, on what, blocked by whom."""
    rel = f" on {b['relation']}" if b.get("relation") else ""
    return shown(f"pid {b['pid']} waits for {b.get('mode') or b.get('wait_event')}{rel}, blocked by {b['blocked_by']}")


def index_lines(indexes: list[dict[str, object]], limit: int = 8) -> list[str]:
    out = []
    for ix in indexes[:limit]:
        scans = ix.get("idx_scan")
        size = int(str(ix.get("bytes") or 0)) // 1024
        out.append(f"idx {shown(str(ix.get('indexrelname')))} scans {scans} {size} kB{'' if scans else ' (unused)'}")
    return out
