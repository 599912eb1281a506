"""Where the targets of ``envs`` and ``fleet`` come from: the project's ``.env`` files, a targets
file, or the databases of one server whose name matches a pattern."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from gtsd_tui.config import Settings, load_settings
from gtsd_tui.core.fleets.targets import Target, read_targets
from gtsd_tui.errors import InputError

DEFAULT_ENV = "default"
# .env.NAME files that hold no environment: templates for people to copy
SKIPPED_ENV_NAMES = ("example", "sample", "template", "dist", "defaults")
_ENV_FILE = re.compile(r"\.env\.([A-Za-z0-9_][A-Za-z0-9_.-]*)")


def env_names(cwd: Path) -> list[str]:
    """``default`` (when ``.env`` exists) and every NAME of a ``.env.NAME`` file in ``cwd``, sorted;
    templates (``.env.example``, ``.sample``, ``.template``, ``.dist``, ``.defaults``) left out."""
    names = [DEFAULT_ENV] if (cwd / ".env").is_file() else []
    found = []
    for path in cwd.iterdir():
        m = _ENV_FILE.fullmatch(path.name)
        if m and path.is_file() and m.group(1).lower() not in SKIPPED_ENV_NAMES:
            found.append(m.group(1))
    return names + sorted(found)


def discover_envs(
    settings: Settings, names: Sequence[str] = (), environ: Mapping[str, str] | None = None
) -> list[Target]:
    """One :class:`Target` per environment: ``names`` when given (``default`` = ``.env``), else
    ``default`` + every ``.env.NAME`` of the project (:func:`env_names`).

    ``default`` is what ``status`` uses (``--database-url``, ``DATABASE_URL``, ``.env``); a named one is
    its file's ``DATABASE_URL`` (the file wins over the shell's, since it names that environment).
    The tracking schema and table come from each environment's settings. A named environment
    without a file or without ``DATABASE_URL`` is an input error; nothing connects here.
    """
    cwd = settings.cwd
    wanted = list(dict.fromkeys(names)) or env_names(cwd)
    # DATABASE_URL or the flag, no .env: the default environment all the same. Not a URL read from
    # .env.NAME under --env NAME: that one is environment NAME, listed under its own name.
    if not names and settings.database_source in ("flag", "environment") and DEFAULT_ENV not in wanted:
        wanted.insert(0, DEFAULT_ENV)
    shell = {k: v for k, v in (environ or {}).items() if k != "DATABASE_URL"}
    out: list[Target] = []
    for name in wanted:
        if name == DEFAULT_ENV:
            if not settings.database_url:
                if names:
                    raise InputError("environment default: no DATABASE_URL (flag, environment or .env)")
                continue  # the embedded server is not an environment to compare
            source = {"flag": "--database-url", "environment": "DATABASE_URL"}.get(
                settings.database_source, settings.database_source
            )
            out.append(Target(DEFAULT_ENV, settings.database_url, source, settings.schema, settings.table))
            continue
        own = load_settings(cwd=cwd, env_name=name, environ=shell)  # InputError when .env.NAME is missing
        if not own.database_url:
            raise InputError(f"{cwd / ('.env.' + name)}: no DATABASE_URL (environment {name})")
        out.append(Target(name, own.database_url, f".env.{name}", own.schema, own.table))
    return out


def targets_file(settings: Settings, path: Path) -> list[Target]:
    """The targets of ``--targets FILE`` (relative to the project), with the project's tracking table."""
    full = path if path.is_absolute() else settings.cwd / path
    return read_targets(full, schema=settings.schema, table=settings.table)


def databases_like(settings: Settings, server_url: str, pattern: str, *, connect_timeout: float = 5) -> list[Target]:
    """Every database of ``server_url``'s server whose name is ``LIKE pattern`` (templates and databases
    that refuse connections left out), in name order; its targets use the project's tracking table."""
    from gtsd_tui.db.connect import connect, server_label
    from gtsd_tui.db.fleet import list_databases_like, with_dbname

    with connect(server_url, connect_timeout=connect_timeout) as conn:
        names = list_databases_like(conn, pattern)
    source = f"pg_database on {server_label(server_url).rsplit('/', 1)[0]}"
    return [Target(n, with_dbname(server_url, n), source, settings.schema, settings.table) for n in names]
