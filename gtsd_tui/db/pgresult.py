"""A libpq error result as a :class:`ServerError` (every field the error locator reads)."""

from __future__ import annotations

from typing import Any

from psycopg import pq

from gtsd_tui.core.sql.errorpos import ServerError

_FIELDS = {
    "sqlstate": pq.DiagnosticField.SQLSTATE,
    "message": pq.DiagnosticField.MESSAGE_PRIMARY,
    "detail": pq.DiagnosticField.MESSAGE_DETAIL,
    "hint": pq.DiagnosticField.MESSAGE_HINT,
    "statement_position": pq.DiagnosticField.STATEMENT_POSITION,
    "internal_position": pq.DiagnosticField.INTERNAL_POSITION,
    "internal_query": pq.DiagnosticField.INTERNAL_QUERY,
    "context": pq.DiagnosticField.CONTEXT,
}


def error_of(res: Any) -> ServerError | None:
    if res.status != pq.ExecStatus.FATAL_ERROR:
        return None
    f = {
        k: (v.decode("utf-8", "replace") if (v := res.error_field(code)) is not None else None)
        for k, code in _FIELDS.items()
    }

    def num(v: str | None) -> int | None:
        return int(v) if v and v.isdigit() else None

    message = f["message"] or (res.error_message.decode("utf-8", "replace").strip() or "error")
    return ServerError(
        f["sqlstate"],
        message,
        f["detail"],
        f["hint"],
        num(f["statement_position"]),
        num(f["internal_position"]),
        f["internal_query"],
        f["context"],
    )
