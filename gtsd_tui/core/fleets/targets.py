"""Targets of ``fleet`` and ``envs``: which databases, under which names (pure; no connection).

A targets file has one database URL per line, optionally named (``name=postgresql://...``); ``#``
starts a comment (at the start of a line, or after whitespace: a URL holds no space), blank lines
are skipped. Every error names ``file:line``; a duplicate name or the same database twice is refused.
A line without ``name=`` is named after its database (``dbname``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gtsd_tui.config import mask_url, parse_target
from gtsd_tui.errors import InputError

_SCHEMES = ("postgresql://", "postgres://")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:@/-]*")
_NAMED = re.compile(r"([^\s=]+)\s*=\s*(\S+)")


@dataclass(frozen=True)
class Target:
    """One database to look at or migrate. ``url`` holds the password: show ``masked_url`` only."""

    name: str
    url: str
    source: str  # where it was defined: "targets.txt:3", ".env.staging", "pg_database on host:5432"
    schema: str = "drizzle"
    table: str = "__drizzle_migrations"

    @property
    def masked_url(self) -> str:
        return mask_url(self.url)

    def server_key(self) -> tuple[str, str, str]:
        """(host, port, dbname): the same database however the URL spells it."""
        t = parse_target(self.url)
        return t.host.lower(), t.port, t.dbname


def _strip_comment(line: str) -> str:
    text = line.strip()
    if text.startswith("#"):
        return ""
    m = re.search(r"\s#", text)
    return text[: m.start()].strip() if m else text


def parse_targets(
    text: str, path: str, *, schema: str = "drizzle", table: str = "__drizzle_migrations"
) -> list[Target]:
    """The targets of a file's text; raises InputError naming ``path:line`` (the URL masked)."""
    out: list[Target] = []
    names: dict[str, int] = {}
    dbs: dict[tuple[str, str, str], int] = {}
    for no, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw)
        if not line:
            continue
        where = f"{path}:{no}"
        name: str | None = None
        url = line
        if not url.startswith(_SCHEMES):
            m = _NAMED.fullmatch(line)
            if not m or not m.group(2).startswith(_SCHEMES):
                raise InputError(
                    f"{where}: expected [name=]postgresql://... (one URL per line), got {mask_url(line)!r}"
                )
            name, url = m.group(1), m.group(2)
            if not _NAME.fullmatch(name):
                raise InputError(f"{where}: invalid target name {name!r} (letters, digits, _ . : @ / -)")
        elif " " in url or "\t" in url:
            raise InputError(f"{where}: one URL per line (found spaces in {mask_url(url)!r})")
        try:
            target = Target(name or "", url, where, schema, table)
            key = target.server_key()
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
        except ValueError as exc:
            raise InputError(f"{where}: {mask_url(url)}: {exc}") from None
        if not key[2]:
            raise InputError(f"{where}: {mask_url(url)} names no database")
        if name is None:
            name = key[2]
            target = Target(name, url, where, schema, table)
        if key in dbs:
            raise InputError(f"{where}: {mask_url(url)} is the same database as line {dbs[key]}")
        if name in names:
            raise InputError(
                f"{where}: duplicate target name {name!r} (first on line {names[name]}); name each target with name=URL"
            )
        names[name], dbs[key] = no, no
        out.append(target)
    return out


def read_targets(path: Path, *, schema: str = "drizzle", table: str = "__drizzle_migrations") -> list[Target]:
    """The targets file at ``path`` (InputError when unreadable, not UTF-8, malformed or empty)."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: targets file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the targets file: {exc}") from None
    targets = parse_targets(text, str(path), schema=schema, table=table)
    if not targets:
        raise InputError(f"{path}: no targets (one postgresql:// URL per line)")
    return targets
