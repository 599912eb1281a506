"""Settings from flags, then the environment, then ``.env`` (or ``.env.NAME``), then defaults."""

from __future__ import annotations

import os
import re
from pathlib import Path

from gtsd_tui.core.record import FrozenRecord, Record
from gtsd_tui.errors import InputError

DEFAULT_SCHEMA = "drizzle"
DEFAULT_TABLE = "__drizzle_migrations"
# where drizzle-kit writes by default (./drizzle), then the usual hand-made places
FOLDER_CANDIDATES = ("drizzle", "migrations", "apps/api/src/db/migrations")
APPLY_KEYS = ("GTSD_LOCK_TIMEOUT", "GTSD_STATEMENT_TIMEOUT", "GTSD_LOCK_RETRIES", "GTSD_PREFLIGHT_TIMEOUT")
DRIZZLE_CONFIGS = ("drizzle.config.ts", "drizzle.config.js", "drizzle.config.mjs", "drizzle.config.cjs")


class Settings(Record):
    _fields = (
        "cwd",
        "database_url",
        "database_source",
        "migrations_dir",
        "migrations_source",
        "schema",
        "table",
        "env",
        "migrations_tried",
        "apply_defaults",
    )

    cwd: Path
    database_url: str | None  # None: use the embedded server
    database_source: str  # "flag", "environment", ".env", "embedded"
    migrations_dir: Path
    migrations_source: str
    schema: str
    table: str
    env: dict[str, str]  # the merged environment actually used
    migrations_tried: tuple[str, ...]  # the places looked at when none was named (for the error)
    # migrate's safety defaults as given (GTSD_LOCK_TIMEOUT, ..., GTSD_PREFLIGHT_TIMEOUT): (value, source)
    apply_defaults: dict[str, tuple[str, str]]

    def __init__(
        self,
        cwd: Path,
        database_url: str | None,
        database_source: str,
        migrations_dir: Path,
        migrations_source: str,
        schema: str = DEFAULT_SCHEMA,
        table: str = DEFAULT_TABLE,
        env: dict[str, str] | None = None,
        migrations_tried: tuple[str, ...] = (),
        apply_defaults: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        self.cwd = cwd
        self.database_url = database_url
        self.database_source = database_source
        self.migrations_dir = migrations_dir
        self.migrations_source = migrations_source
        self.schema = schema
        self.table = table
        self.env = {} if env is None else env
        self.migrations_tried = migrations_tried
        self.apply_defaults = {} if apply_defaults is None else apply_defaults

    @property
    def table_label(self) -> str:
        return f"{self.schema}.{self.table}"


def parse_dotenv(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines; ``export``, comments, single/double quotes; no interpolation."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", key):
            continue
        value = value.strip()
        if value[:1] in ("'", '"'):
            quote = value[0]
            end = value.find(quote, 1)
            value = value[1:end] if end > 0 else value[1:]
            if quote == '"':
                value = value.replace("\\n", "\n")
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
        out[key] = value
    return out


def read_drizzle_config(cwd: Path) -> dict[str, str]:
    """``out``, ``migrations.table`` and ``migrations.schema`` from a drizzle.config file, if any."""
    for name in DRIZZLE_CONFIGS:
        path = cwd / name
        if not path.is_file():
            continue
        try:
            text = path.read_text("utf-8", "replace")
        except OSError:
            return {}
        text = re.sub(r"//[^\n]*", "", text)
        found: dict[str, str] = {}
        m = re.search(r"\bout\s*:\s*['\"`]([^'\"`]+)['\"`]", text)
        if m:
            found["out"] = m.group(1)
        block = re.search(r"\bmigrations\s*:\s*\{([^}]*)\}", text)
        if block:
            for key in ("table", "schema"):
                km = re.search(rf"\b{key}\s*:\s*['\"`]([^'\"`]+)['\"`]", block.group(1))
                if km:
                    found[key] = km.group(1)
        return found
    return {}


def load_settings(
    *,
    cwd: Path | None = None,
    database_url: str | None = None,
    migrations: str | None = None,
    schema: str | None = None,
    table: str | None = None,
    env_name: str | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    cwd = (cwd or Path.cwd()).resolve()
    environ = dict(os.environ if environ is None else environ)
    dotenv_name = f".env.{env_name}" if env_name else ".env"
    dotenv_path = cwd / dotenv_name
    dotenv: dict[str, str] = {}
    if dotenv_path.is_file():
        try:
            dotenv = parse_dotenv(dotenv_path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{dotenv_path}: cannot read: {exc}") from None
    elif env_name:
        raise InputError(f"{dotenv_path}: not found (--env {env_name})")
    merged = {**dotenv, **environ}

    def pick(flag: str | None, key: str) -> tuple[str | None, str]:
        if flag:
            return flag, "flag"
        if environ.get(key):
            return environ[key], "environment"
        if dotenv.get(key):
            return dotenv[key], dotenv_name
        return None, ""

    url, url_source = pick(database_url, "DATABASE_URL")
    drizzle_cfg = read_drizzle_config(cwd)
    folder, folder_source = pick(migrations, "GTSD_MIGRATIONS_DIR")
    if folder is None and drizzle_cfg.get("out"):
        folder, folder_source = drizzle_cfg["out"], "drizzle.config"
    tried: tuple[str, ...] = ()
    if folder is None:
        for cand in FOLDER_CANDIDATES:
            if (cwd / cand).is_dir():
                folder, folder_source = cand, "default"
                break
    if folder is None:  # none there yet: drizzle-kit's default, where `new` (as drizzle-kit) creates it
        tried = tuple(f"./{c}" for c in FOLDER_CANDIDATES)
        if any((cwd / n).is_file() for n in DRIZZLE_CONFIGS):
            tried = ("drizzle.config out (none set)", *tried)
        folder, folder_source = FOLDER_CANDIDATES[0], "default"
    apply_defaults = {}
    for key in APPLY_KEYS:
        value, source = pick(None, key)
        if value is not None:
            apply_defaults[key] = (value, source)
    schema_v, _ = pick(schema, "GTSD_MIGRATIONS_SCHEMA")
    table_v, _ = pick(table, "GTSD_MIGRATIONS_TABLE")
    return Settings(
        cwd=cwd,
        database_url=url,
        database_source=url_source or "embedded",
        migrations_dir=(cwd / folder).resolve() if not Path(folder).is_absolute() else Path(folder),
        migrations_source=folder_source,
        migrations_tried=tried,
        schema=schema_v or drizzle_cfg.get("schema") or DEFAULT_SCHEMA,
        table=table_v or drizzle_cfg.get("table") or DEFAULT_TABLE,
        env=merged,
        apply_defaults=apply_defaults,
    )


def missing_folder_message(settings: Settings) -> str:
    """The one line for a migrations folder that is not there, naming where it came from or what was tried."""
    where = {
        "flag": "from --migrations",
        "environment": "from GTSD_MIGRATIONS_DIR",
        "drizzle.config": "from drizzle.config's out",
    }.get(settings.migrations_source)
    if where is None and settings.migrations_tried:
        where = "looked in " + ", ".join(settings.migrations_tried)
    elif where is None:
        where = f"from GTSD_MIGRATIONS_DIR in {settings.migrations_source}"
    return f"{settings.migrations_dir}: migrations folder not found ({where}; use --migrations DIR)"


# patterns compiled on first use (re's cache): a command that prints no URL compiles none
_BAD_ESCAPE = r"%(?![0-9A-Fa-f]{2})"


def bad_escape_part(url: str) -> str | None:
    """Which part of a ``postgresql://`` URL holds a ``%`` not followed by two hex digits (the user, the
    password, the host, the database name or the query), without ever returning the part itself."""
    m = re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*://", url)
    if not m:
        return None
    rest = url[m.end() :]
    at = rest.rfind("@", 0, min([i for i in (rest.find("/"), rest.find("?")) if i >= 0] or [len(rest)]))
    userinfo, hostpart = (rest[:at], rest[at + 1 :]) if at >= 0 else ("", rest)
    user, _, password = userinfo.partition(":")
    host, _, tail = hostpart.partition("/")
    dbname, _, query = tail.partition("?")
    if "?" in host:
        host, _, query = host.partition("?")
    for part, text in (("user", user), ("password", password), ("host", host), ("database name", dbname)):
        if re.search(_BAD_ESCAPE, text):
            return part
    return "query" if re.search(_BAD_ESCAPE, query) else None


_SECRET_KEYS = ("password", "pass", "passwd", "pwd", "sslpassword")
_KV_SECRET = r"(?<![\w.])((?:" + "|".join(_SECRET_KEYS) + r")\s*=\s*)('(?:[^'\\]|\\.)*(?:'|$)|\S+)"
_QUERY_SECRET = r"([?&](?:" + "|".join(_SECRET_KEYS) + r")=)([^&#]*)"


def _userinfo_password(url: str) -> tuple[int, int] | None:
    """Span of the password in ``scheme://user:password@...``, read generously: from the first ``:``
    of the user part to the LAST ``@`` (a raw ``@``, ``/`` or ``#`` typed in a password still counts as
    password, so a malformed URL never shows part of it)."""
    m = re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*://", url)
    if not m:
        return None
    start = m.end()
    colon = url.find(":", start)
    at = url.rfind("@")
    if colon < 0 or at < colon or any(c in url[start:colon] for c in "@/[?#"):
        return None
    return colon + 1, at


def _secret_spans(url: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    user = _userinfo_password(url)
    if user:
        spans.append(user)
    if "://" in url:
        spans += [m.span(2) for m in re.finditer(_QUERY_SECRET, url, re.IGNORECASE)]
    else:
        spans += [m.span(2) for m in re.finditer(_KV_SECRET, url, re.IGNORECASE)]
    return sorted(spans)


def mask_url(url: str | None) -> str:
    """The URL with any password replaced by ``***`` (URL userinfo, query and key=value forms), also
    when the URL is malformed."""
    if not url:
        return ""
    out, last = [], 0
    for a, b in _secret_spans(url):
        if a < last:
            continue
        out.append(url[last:a] + "***")
        last = b
    return "".join(out) + url[last:]


def _unquote(text: str) -> str:
    from urllib.parse import unquote  # (only when a URL has a password)

    return unquote(text)


def url_secrets(url: str | None) -> list[str]:
    """Every form in which the URL's passwords may show up in a message: as typed, percent-decoded, and
    unquoted (key=value form); longest first."""
    if not url:
        return []
    found: set[str] = set()
    for a, b in _secret_spans(url):
        raw = url[a:b]
        for form in (raw, _unquote(raw), raw.strip("'"), raw.strip("'").replace("\\'", "'").replace("\\\\", "\\")):
            if form and form != "***":
                found.add(form)
    return sorted(found, key=len, reverse=True)


def scrub(text: str, url: str | None) -> str:
    """``text`` (a driver's or a child's message) with the URL masked and its passwords removed."""
    if not url:
        return text
    text = text.replace(url, mask_url(url))
    for secret in url_secrets(url):
        if len(secret) >= 6:
            text = text.replace(secret, "***")
        else:  # a short one only as a word of its own: a password "p" must not eat every p of the message
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", "***", text)
    return text


class Target(FrozenRecord):
    _fields = ("host", "port", "dbname", "user", "sslmode")

    host: str  # "" for the default unix socket
    port: str
    dbname: str
    user: str
    sslmode: str

    def __init__(self, host: str, port: str, dbname: str, user: str, sslmode: str) -> None:
        self.host = host
        self.port = port
        self.dbname = dbname
        self.user = user
        self.sslmode = sslmode


def parse_target(url: str) -> Target:
    """Host, port, database and sslmode of a URL or key=value DSN, without any network access."""
    if "://" in url:
        from urllib.parse import parse_qsl, unquote, urlsplit  # (not on a command without a URL)

        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        host = unquote(parts.hostname or "") if parts.hostname else ""
        if "host" in query:
            host = query["host"]
        try:
            port = str(parts.port or query.get("port", "5432"))
        except ValueError:
            raise InputError(f"{mask_url(url)}: invalid port") from None
        dbname = unquote(parts.path.lstrip("/")) or query.get("dbname", "")
        user = unquote(parts.username or "") or query.get("user", "")
        return Target(host, port, dbname, user, query.get("sslmode", ""))
    kv = dict(re.findall(r"(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", url))
    kv = {k: v.strip("'") for k, v in kv.items()}
    return Target(
        kv.get("host", ""),
        kv.get("port", "5432"),
        kv.get("dbname", ""),
        kv.get("user", ""),
        kv.get("sslmode", ""),
    )


def is_local_host(host: str) -> bool:
    """A unix socket, ``localhost``, 127.0.0.0/8 or ::1."""
    if not host or host.startswith("/") or host.startswith("@"):
        return True
    hosts = [h.strip() for h in host.split(",")]
    return all(_local_one(h) for h in hosts)


def _local_one(host: str) -> bool:
    if not host or host.startswith("/") or host.lower() == "localhost":
        return True
    import ipaddress  # only for a URL's host (not on a command without a database)

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
