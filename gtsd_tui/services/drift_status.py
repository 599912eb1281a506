"""The drift flag of ``status``, ``envs`` and ``fleet status``: a cheap fingerprint first, the full
comparison only when the fingerprint is not one recorded after a clean comparison.

The record (``<cache>/drift.json``) maps a database (its URL without password, and the tracking
table) to the digest of (catalog fingerprint, expected schema) of its last clean comparison.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from typing import Any

from gtsd_tui.core.migrations.folder import Folder
from gtsd_tui.core.migrations.status import StatusReport
from gtsd_tui.errors import GtsdError


@dataclass(frozen=True)
class SchemaState:
    tag: str | None  # the snapshot compared with (newest applied migration)
    drift: bool | None  # None: not known (``note`` says why)
    differences: int = 0
    cached: bool = False  # the fingerprint matched a clean comparison
    note: str | None = None

    @property
    def label(self) -> str:
        return "?" if self.drift is None else "drift" if self.drift else "no drift"

    def as_json(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "drift": self.drift,
            "differences": self.differences,
            "fingerprint_matched": self.cached,
            "note": self.note,
        }


def _record_path() -> Any:
    from gtsd_tui.core.migrations.digest_cache import cache_dir

    return cache_dir() / "drift.json"


def _load_record() -> dict[str, str]:
    try:
        data = json.loads(_record_path().read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


_SAVING = threading.Lock()  # fleet status checks several databases at once


def _save_record(key: str, value: str) -> None:
    path = _record_path()
    with _SAVING:
        _write(path, key, value)


def _write(path: Any, key: str, value: str) -> None:
    try:
        data = _load_record()
        data[key] = value
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".drift.{os.getpid()}.json")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, path)
    except OSError:
        pass  # a cache: a failure to write only costs a full comparison next time


def schema_state(
    url: str,
    schema: str,
    table: str,
    folder: Folder,
    report: StatusReport,
    *,
    timeout: float = 5,
    taken: str | None = None,
) -> SchemaState:
    """Drift of one database against the snapshot of its newest applied migration. ``taken``: the
    catalog's fingerprint, already read (status's child): when it matches the record, no connection."""
    from gtsd_tui.config import mask_url
    from gtsd_tui.services.drift import expected_schema

    applied = [s.migration for s in report.items if s.row is not None and s.migration.file is not None]
    if not applied:
        return SchemaState(None, None, note="no migration applied")
    m = applied[-1]
    try:
        expected = expected_schema(folder, m)
    except GtsdError as exc:
        return SchemaState(m.tag, None, note=str(exc))
    key = hashlib.sha256(f"{mask_url(url)}\0{schema}.{table}".encode()).hexdigest()
    want = json.dumps(expected, sort_keys=True, default=str).encode()
    if taken is not None and _load_record().get(key) == hashlib.sha256(taken.encode() + b"\0" + want).hexdigest():
        return SchemaState(m.tag, False, cached=True)
    return _compare_live(url, schema, table, m.tag, expected, key, want, timeout)


def _compare_live(
    url: str, schema: str, table: str, tag: str, expected: dict[str, Any], key: str, want: bytes, timeout: float
) -> SchemaState:
    """The fingerprint read now; the full comparison when it is not one recorded after a clean one."""
    import psycopg

    from gtsd_tui.core.schema_drift.drift import compare
    from gtsd_tui.db.connect import connect
    from gtsd_tui.db.drift_catalog import fingerprint, read_schema

    try:
        with connect(url, connect_timeout=timeout) as conn:
            fp = fingerprint(conn, schema, table)
            digest = hashlib.sha256(fp.encode() + b"\0" + want).hexdigest()
            if _load_record().get(key) == digest:
                return SchemaState(tag, False, cached=True)
            differences = compare(expected, read_schema(conn, schema, table))
    except (GtsdError, psycopg.Error, OSError) as exc:
        return SchemaState(tag, None, note=str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable")
    if not differences:
        _save_record(key, digest)
    return SchemaState(tag, bool(differences), len(differences))


def target_states(
    targets: list[Any], folder: Folder, statuses: list[Any], *, timeout: float = 5, jobs: int | None = None
) -> dict[str, SchemaState]:
    """The drift flag of every reachable target (``services.targets.Target`` + its ``TargetStatus``), by
    name; ``jobs`` databases at a time."""
    from concurrent.futures import ThreadPoolExecutor

    by_name = {t.name: t for t in targets}
    todo = [
        (st.name, by_name[st.name], st.report)
        for st in statuses
        if st.name in by_name and st.reachable and st.report is not None
    ]
    if not todo:
        return {}

    def one(item: tuple[str, Any, StatusReport]) -> SchemaState:
        _, target, report = item
        return schema_state(target.url, target.schema, target.table, folder, report, timeout=timeout)

    with ThreadPoolExecutor(max_workers=max(1, min(jobs or 8, len(todo)))) as pool:
        return {name: state for (name, _, _), state in zip(todo, pool.map(one, todo), strict=True)}


def drift_line(states: dict[str, SchemaState]) -> str:
    """``fleet status``'s drift line: the targets whose schema differs from their snapshot, by name."""
    drifted = [f"{n} ({s.differences})" for n, s in states.items() if s.drift]
    clean = sum(1 for s in states.values() if s.drift is False)
    unknown = sum(1 for s in states.values() if s.drift is None)
    parts = [
        f"{len(drifted)} with drift" + (f": {', '.join(drifted)}" if drifted else ""),
        f"{clean} as their snapshot",
    ]
    if unknown:
        parts.append(f"{unknown} not known")
    return "schema: " + ", ".join(parts)
