"""A local database per git branch (docs/local-database.md): what ``post-checkout`` does, the parked
databases ``branches`` lists, and ``reset --to TAG``; one implementation for the CLI and the console.

Names (``core/dbnames.py``): the database in place keeps the configured name ``<db>``; a branch's
database, while another branch is checked out, is parked as ``<db>__gtsd_br_<branch>_<hash8>``; a
parked database whose migrations no longer fit its branch is kept as ``<db>__gtsd_brold_<16 hex>``;
the template of the first ``k`` migrations is ``<db>__gtsd_pt_<fingerprint16>`` (reset's template
``<db>__gtsd_template`` is used as well when its fingerprint is the one wanted); a database being
built is ``<db>__gtsd_bnext`` (it never holds data: dropped whenever found).

Every step runs under the reset lock of ``<db>`` (the advisory lock ``reset`` and its background job
take): two worktrees (or a reset and a checkout) never work on the same database at once. Each step
is one rename or a database that holds no data yet, so a switch killed at any point leaves every
database with data under a name that says whose it is; the next checkout finishes the switch.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gtsd_tui.core import dbnames
from gtsd_tui.core.migrations.prefixes import applied_prefix, common_prefix, index_of, prefix_fingerprints
from gtsd_tui.errors import GtsdError, InputError
from gtsd_tui.services.project import Project

if TYPE_CHECKING:
    from gtsd_tui.core.migrations.folder import Migration

Step = Callable[[str], None]
Progress = Callable[[str], None]
_KILL_ENV = "GTSD_TEST_KILL_BRANCH_STEP"  # test hook: SIGKILL ourselves after the step of this name
_PAUSE_ENV = "GTSD_TEST_BRANCH_PAUSE"  # test hook: sleep this long once decided (two switches meet without a lock)
UNKNOWN = "(unknown)"  # the branch of a database in place with no label whose branch git cannot name


def _quiet(_message: str) -> None:
    """Heard by nobody."""


def _kill_hook() -> Step:
    """With ``GTSD_TEST_KILL_BRANCH_STEP=NAME`` the process kills itself (SIGKILL) right after the step
    of that name (the crash tests' way to stop a switch at every point); ``GTSD_TEST_BRANCH_PAUSE=S``
    waits S seconds after reading whose the database in place is (the concurrency test's way to make two
    switches meet: under the lock, the second reads after the first has finished)."""
    want = os.environ.get(_KILL_ENV)
    pause = float(os.environ.get(_PAUSE_ENV) or 0)

    def step(name: str) -> None:
        if want and want == name:
            os.kill(os.getpid(), signal.SIGKILL)
        if pause and name == "decided":
            time.sleep(pause)

    return step


# ---- what the console and the CLI show --------------------------------------------------------


@dataclass(frozen=True)
class ParkedDatabase:
    branch: str
    database: str
    size: int  # bytes
    age: float  # seconds since it was parked
    matches: bool | None  # its rows are a prefix of its branch's migrations (None: the branch is gone)
    branch_exists: bool
    stale: bool  # kept aside because its migrations no longer fitted its branch


@dataclass(frozen=True)
class BranchState:
    branch: str | None  # checked out (None: detached HEAD or not a git work tree)
    database: str  # the database in place
    database_branch: str | None  # whose it is, by its label (None: no label, e.g. after a reset)
    applied: int | None  # migrations of the folder it holds (None: rows no prefix of the folder explains)
    total: int  # migrations in the folder
    exists: bool

    @property
    def matches(self) -> bool:
        """The database holds exactly the folder's migrations, nothing unexplained."""
        return self.exists and self.applied == self.total


@dataclass(frozen=True)
class SwitchOutcome:
    lines: list[str]
    code: int = 0


# ---- git --------------------------------------------------------------------------------------


def _git(top: Path, *args: str) -> str | None:
    import subprocess

    r = subprocess.run(["git", *args], cwd=top, capture_output=True, text=True, timeout=30)
    return r.stdout.strip() if r.returncode == 0 else None


def checked_out(top: Path) -> str | None:
    """The branch checked out in the work tree ``top`` (None: detached HEAD)."""
    return _git(top, "symbolic-ref", "-q", "--short", "HEAD") or None


def previous_branch(top: Path) -> str | None:
    """The branch this work tree was on before it moved to the branch it is on: the newest checkout in
    HEAD's reflog that changed branch (``git checkout X`` while on X, as after a switch that was
    stopped, moves nowhere and is skipped). None when that was no branch (a detached HEAD)."""
    log = _git(top, "log", "-g", "--format=%gs", "-n", "200", "HEAD") or ""
    for line in log.splitlines():
        m = _MOVE.match(line)
        if m and m.group(1) != m.group(2):
            name = m.group(1)
            return name if branch_exists(top, name) or not _looks_like_commit(name) else None
    return None


_MOVE = re.compile(r"checkout: moving from (.+) to (.+)\Z")


def _looks_like_commit(name: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{7,64}", name))


def branch_exists(top: Path, branch: str) -> bool:
    return _git(top, "rev-parse", "-q", "--verify", f"refs/heads/{branch}^{{commit}}") is not None


def _rebasing(top: Path) -> bool:
    paths = (_git(top, "rev-parse", "--git-path", "rebase-merge", "--git-path", "rebase-apply") or "").splitlines()
    return any((top / p).exists() for p in paths if p)


# ---- building blocks ---------------------------------------------------------------------------


@dataclass
class _Ctx:
    """One switch or reset: the project, the server, the target and the folder's prefixes."""

    project: Project
    url: str
    target: str
    migrations: list[Migration]
    fps: list[str]
    step: Step
    lines: list[str]

    @classmethod
    def of(cls, project: Project, url: str, step: Step | None = None) -> _Ctx:
        from gtsd_tui.db.admin import dbname_of

        folder = project.load_folder()
        migs = list(folder.journal_migrations)
        s = project.settings
        return cls(project, url, dbname_of(url), migs, prefix_fingerprints(s.schema, s.table, migs), step or _quiet, [])

    def rows(self, name: str) -> list[Any]:
        from gtsd_tui.db.branches import rows_of

        return rows_of(self.url, name, self.project.settings.schema, self.project.settings.table)

    def prefix_of(self, name: str) -> int | None:
        return applied_prefix(self.rows(name), self.migrations)

    def apply_to(self, name: str, upto: int) -> int:
        """Apply the folder's migrations up to the ``upto``-th to database ``name``; how many ran."""
        from gtsd_tui.db.branches import url_for
        from gtsd_tui.services.apply import ApplyRequest, apply

        if upto == 0:
            return 0
        there = Project(self.project.settings, url=url_for(self.url, name), notify=_quiet)
        result = apply(there, ApplyRequest(to_tag=self.migrations[upto - 1].tag))
        return len(result.applied)


def _applied(ran: int) -> str:
    return f", {ran} migration(s) applied" if ran else ""


def _stale_tag() -> str:
    return f"{int(time.time() * 1000):012x}{int.from_bytes(os.urandom(2), 'big'):04x}"


def _best_template(conn: Any, ctx: _Ctx, upto: int) -> tuple[int, str | None]:
    """The longest prefix ``k <= upto`` with a template labelled with exactly its fingerprint."""
    from gtsd_tui.db.admin import template_name
    from gtsd_tui.db.branches import template_labels

    names = {dbnames.prefix_template_name(ctx.target, fp): fp for fp in ctx.fps[1 : upto + 1]}
    reset_tpl = template_name(ctx.target)
    found = template_labels(conn, [*names, reset_tpl])
    best: tuple[int, str | None] = (0, None)
    for k in range(1, upto + 1):
        fp = ctx.fps[k]
        name = dbnames.prefix_template_name(ctx.target, fp)
        if found.get(name) == fp:
            best = (k, name)
        elif found.get(reset_tpl) == fp:
            best = (k, reset_tpl)
    return best


def build(conn: Any, ctx: _Ctx, upto: int, waypoint: int = 0) -> tuple[str, int, int]:
    """A new database holding exactly the first ``upto`` migrations and no data, under the stage name:
    a copy of the template of the longest prefix known, the rest applied, then saved as the template of
    ``upto`` migrations; ``waypoint`` (where the branch parts from the one checked out before) is saved
    as a template on the way, so the next branch from the same point starts there. Returns (stage name,
    migrations taken from a template, migrations applied). On failure the stage is dropped and the
    error raised (nothing else was touched)."""
    from gtsd_tui.db import branches as b

    stage = dbnames.stage_name(ctx.target)
    b.drop(conn, stage)
    k, template = _best_template(conn, ctx, upto)
    b.create(conn, stage, template)
    ctx.step("stage created")
    marks = [n for n in (waypoint, upto) if k < n <= upto]
    ran = 0
    for n in sorted(set(marks)):
        try:
            ran += ctx.apply_to(stage, n)
        except BaseException:
            b.drop(conn, stage)
            raise
        ctx.step("stage migrated")
        _save_template(conn, ctx, stage, n)
    return stage, k, ran


def _save_template(conn: Any, ctx: _Ctx, stage: str, n: int) -> None:
    from gtsd_tui.db import branches as b

    name = dbnames.prefix_template_name(ctx.target, ctx.fps[n])
    b.drop(conn, name)
    b.create(conn, name, stage)
    b.mark_template(conn, name, ctx.fps[n])  # labelled last: a template killed before is never used
    ctx.step("template saved")
    for old in b.prefix_templates(conn, dbnames.prefix_template_family(ctx.target))[KEPT_TEMPLATES:]:
        b.drop(conn, old)  # the least recently made beyond the cap: a cache, rebuilt when needed


KEPT_TEMPLATES = 8  # prefix templates kept per database (each about the size of an empty migrated one)


def _set_aside(conn: Any, ctx: _Ctx, name: str, branch: str, why: str) -> str:
    """Rename a database that holds data but no longer fits ``branch`` to a stale name (never dropped)."""
    from gtsd_tui.db import branches as b

    stale = dbnames.stale_name(ctx.target, _stale_tag())
    b.set_label(conn, name, ctx.target, branch, stale=True)
    b.rename(conn, name, stale)
    ctx.step("set aside")
    ctx.lines.append(f"gtsd-tui: {branch}'s database {name} {why}: kept as {stale} (gtsd-tui branches lists it)")
    return stale


def _park(conn: Any, ctx: _Ctx, owner: str) -> None:
    """The database in place to ``owner``'s parked name (labelled first, so a kill in between leaves it
    in place with the right owner)."""
    from gtsd_tui.db import branches as b

    if owner == UNKNOWN:
        _set_aside(conn, ctx, ctx.target, owner, "belongs to no branch git can name")
        return
    dest = dbnames.parked_name(ctx.target, owner)
    if b.exists(conn, dest):
        _set_aside(conn, ctx, dest, owner, "was parked already")
    b.set_label(conn, ctx.target, ctx.target, owner)
    b.rename(conn, ctx.target, dest)
    ctx.step("parked")


def _from_parked(conn: Any, ctx: _Ctx, branch: str) -> str | None:
    """``branch``'s parked database brought up to the folder, if it has one that fits; else None
    (one that does not fit is set aside)."""
    from gtsd_tui.db import branches as b

    name = dbnames.parked_name(ctx.target, branch)
    if not b.exists(conn, name):
        return None
    k = ctx.prefix_of(name)
    if k is None:
        _set_aside(conn, ctx, name, branch, "has migrations this folder does not explain")
        return None
    ran = ctx.apply_to(name, len(ctx.migrations)) if k < len(ctx.migrations) else 0
    ctx.step("parked migrated")
    ctx.lines.append(f"gtsd-tui: {branch}'s database is back in place{_applied(ran)}")
    return name


# ---- the switch (post-checkout) -----------------------------------------------------------------


def _switch_locked(conn: Any, ctx: _Ctx, new: str, prev: Callable[[], str | None]) -> None:
    from gtsd_tui.db import branches as b
    from gtsd_tui.db.admin import repair

    fixed = repair(conn, ctx.target)  # a reset stopped between its renames: its database back first
    if fixed:
        ctx.lines.append(f"gtsd-tui: {fixed}")
    b.drop(conn, dbnames.stage_name(ctx.target))  # a build that was stopped: never holds data
    here = b.exists(conn, ctx.target)
    owner = None
    if here:
        lab = b.label(conn, ctx.target)
        owner = str(lab["branch"]) if lab else (prev() or UNKNOWN)
    ctx.step("decided")
    if here and owner == new:
        k = ctx.prefix_of(ctx.target)
        if k is not None:
            ran = ctx.apply_to(ctx.target, len(ctx.migrations)) if k < len(ctx.migrations) else 0
            b.set_label(conn, ctx.target, ctx.target, new)
            ctx.lines.append(f"gtsd-tui: {new}'s database is in place{_applied(ran)}")
            return
        _set_aside(conn, ctx, ctx.target, new, "has migrations this folder does not explain")
        here = False
    source = _from_parked(conn, ctx, new)
    if source is None:
        parting = common_prefix(ctx.rows(ctx.target), ctx.migrations) if here else 0
        source, k, ran = build(conn, ctx, len(ctx.migrations), parting)
        how = f"from the template of {k} migration(s)" if k else "empty"
        ctx.lines.append(f"gtsd-tui: {new} has no database yet: made {how}, {ran} migration(s) applied")
    if here and owner is not None:
        _park(conn, ctx, owner)
        ctx.lines.append(f"gtsd-tui: {owner}'s database parked as {dbnames.parked_name(ctx.target, owner)}")
    b.set_label(conn, source, ctx.target, new)  # labelled before it takes the name: whose it is survives a kill
    ctx.step("labelled")
    b.rename(conn, source, ctx.target)
    ctx.step("in place")


def switch(project: Project, url: str, new: str, prev: Callable[[], str | None], *, wait: float = 30.0) -> list[str]:
    """Put ``new``'s database in place of the configured one (parking the one there), under the reset
    lock; the lines to print. ``prev`` names the branch checked out before (asked only when the
    database in place has no label). Raises what apply raises (the database in place is then untouched),
    LockTimeout, DatabaseError."""
    from gtsd_tui.db import admin, lock
    from gtsd_tui.db.connect import connect

    t0 = time.perf_counter()
    ctx = _Ctx.of(project, url, _kill_hook())
    with connect(admin.admin_url(url)) as conn:
        key = admin.reset_lock_key(ctx.target)
        lock.acquire(conn, key, timeout=wait, what=f"reset lock of {ctx.target}")
        try:
            ctx.step("locked")
            _switch_locked(conn, ctx, new, prev)
        finally:
            lock.release_quietly(conn, key)
    ms = (time.perf_counter() - t0) * 1000
    ctx.lines.append(f"gtsd-tui: database {ctx.target} is now {new}'s ({ms:.0f} ms)")
    return ctx.lines


def _hook_notify(message: str) -> None:
    """What the hook says besides its own lines: all but the reuse of a running embedded server, which
    every checkout would repeat (its start is said)."""
    if not message.startswith("no DATABASE_URL configured: reusing"):
        from gtsd_tui.services.notify import stderr_notify

        stderr_notify(message)


def post_checkout(top: Path, folder: Path, prev: str, new: str, flag: str) -> SwitchOutcome:
    """git's ``post-checkout PREV NEW FLAG``: on a branch checkout (FLAG 1) the local database follows
    the branch. Never raises: the checkout is done whatever happens here, so every problem is one line
    (exit 1 when the user must act, 0 when it was right to leave the database alone)."""
    if flag != "1" or _rebasing(top):
        return SwitchOutcome([])
    branch = checked_out(top)
    if branch is None:
        return SwitchOutcome(["gtsd-tui: detached HEAD: the local database was left as it is"])
    from gtsd_tui.config import load_settings

    try:
        settings = load_settings(cwd=top, migrations=str(folder))
        project = Project(settings, notify=_hook_notify)
        if settings.database_url:
            from gtsd_tui.services.local_guard import require_local

            require_local(settings.database_url, what="branch database", source=project.url_source)
    except GtsdError as exc:  # the hook has no --allow-db: a branch database is for local servers only
        why = str(exc).split("; to allow it, pass --allow-db", 1)[0]
        return SwitchOutcome([f"gtsd-tui: {why}; the database was left alone (branch databases are local only)"])
    return _run_switch(project, branch, lambda: previous_branch(top))


def _run_switch(project: Project, branch: str, prev: Callable[[], str | None]) -> SwitchOutcome:
    from gtsd_tui.errors import LockTimeout
    from gtsd_tui.services.apply import failure_of

    try:
        url = project.resolve_url()
        return SwitchOutcome(switch(project, url, branch, prev))
    except LockTimeout as exc:
        return SwitchOutcome([f"gtsd-tui: {exc}; nothing changed: run `git checkout {branch}` again"], 4)
    except GtsdError as exc:
        failure = failure_of(exc)
        where = f"{failure.where}: " if failure.where and failure.where not in failure.message else ""
        return SwitchOutcome(
            [
                f"gtsd-tui: {where}{failure.message}",
                f"gtsd-tui: the database in place was left as it was; fix that, then run `git checkout {branch}` again",
            ],
            1,
        )


# ---- what is parked, what is in place ----------------------------------------------------------


def _folder_at(top: Path, ref: str, folder: Path) -> list[Migration] | None:
    """The journal migrations of ``folder`` as committed on ``ref`` (None: not there)."""
    import io
    import subprocess
    import tarfile
    import tempfile

    from gtsd_tui.core.migrations.folder import load_folder
    from gtsd_tui.services.gitutil import _extract_data

    rel = os.path.relpath(folder.resolve(), top.resolve())
    archive = subprocess.run(["git", "archive", "--format=tar", ref, rel], cwd=top, capture_output=True, timeout=60)
    if archive.returncode != 0:
        return None
    with tempfile.TemporaryDirectory(prefix="gtsd-branch-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            _extract_data(tar, Path(tmp))
        try:
            return list(load_folder(Path(tmp) / rel).journal_migrations)
        except GtsdError:
            return None


def list_parked(project: Project, url: str | None = None) -> list[ParkedDatabase]:
    """Every database parked for the configured one: branch, name, size, age, and whether its rows are
    still a prefix of its branch's migrations (as committed on the branch)."""
    from gtsd_tui.db import admin
    from gtsd_tui.db import branches as b
    from gtsd_tui.db.connect import connect
    from gtsd_tui.services.gitutil import work_tree

    url = url or project.resolve_url()
    target = admin.dbname_of(url)
    with connect(admin.admin_url(url)) as conn:
        found = b.labelled(conn, target)
    top = work_tree(project.folder_path)
    s = project.settings
    out = []
    now = time.time() * 1000
    for name, lab, size in found:
        branch = str(lab["branch"])
        there = top is not None and branch_exists(top, branch)
        matches = None
        if there and top is not None:
            migs = _folder_at(top, f"refs/heads/{branch}", project.folder_path)
            rows = b.rows_of(url, name, s.schema, s.table)
            matches = migs is not None and applied_prefix(rows, migs) is not None
        age = max(0.0, (now - float(lab.get("at") or now)) / 1000)
        out.append(ParkedDatabase(branch, name, size, age, matches, there, bool(lab.get("stale"))))
    return out


def current_branch_state(project: Project, url: str | None = None, top: Path | None = None) -> BranchState:
    """The branch checked out, the database in place, whose it is and whether it matches the folder;
    ``top``: the work tree when the caller has found it already (one ``git`` process fewer)."""
    from gtsd_tui.db import admin
    from gtsd_tui.db import branches as b
    from gtsd_tui.db.connect import connect
    from gtsd_tui.services.gitutil import work_tree

    url = url or project.resolve_url()
    ctx = _Ctx.of(project, url)
    top = top or work_tree(project.folder_path)
    with connect(admin.admin_url(url)) as conn:
        here = b.exists(conn, ctx.target)
        lab = b.label(conn, ctx.target) if here else None
    applied = ctx.prefix_of(ctx.target) if here else None
    return BranchState(
        checked_out(top) if top else None,
        ctx.target,
        str(lab["branch"]) if lab else None,
        applied,
        len(ctx.migrations),
        here,
    )


def prune(project: Project, names: list[str], url: str | None = None) -> list[str]:
    """Drop the parked databases ``names`` (each must still be labelled for this target); the dropped."""
    from gtsd_tui.db import admin, lock
    from gtsd_tui.db import branches as b
    from gtsd_tui.db.connect import connect

    url = url or project.resolve_url()
    target = admin.dbname_of(url)
    dropped = []
    with connect(admin.admin_url(url)) as conn:
        key = admin.reset_lock_key(target)
        lock.acquire(conn, key, timeout=30.0, what=f"reset lock of {target}")
        try:
            labelled = {name for name, _, _ in b.labelled(conn, target)}
            for name in names:
                if name in labelled and name != target:
                    b.drop(conn, name)
                    dropped.append(name)
        finally:
            lock.release_quietly(conn, key)
    return dropped


# ---- reset --to TAG --------------------------------------------------------------------------------


def check_tag(project: Project, tag: str) -> int:
    """How many migrations ``reset --to tag`` keeps; InputError (exit 2) when the folder has no such tag."""
    upto = index_of(tag, project.load_folder().journal_migrations)
    if upto is None:
        raise InputError(f"--to {tag}: no such migration in {project.folder_path}")
    return upto


def reset_to(
    project: Project,
    url: str,
    tag: str,
    *,
    seed: str | None = None,
    progress: Progress | None = None,
    wait: float = 60.0,
) -> dict[str, float]:
    """Replace the database by one holding exactly the migrations up to ``tag`` (and no data): built
    from the template of the longest prefix known, under the reset lock; the old one is renamed to a
    reset trash name first (``reset`` puts it back if this stops half-way) and dropped at the end."""
    from gtsd_tui.db import admin, lock
    from gtsd_tui.db import branches as b
    from gtsd_tui.db.connect import connect

    progress = progress or _quiet
    ctx = _Ctx.of(project, url, _kill_hook())
    upto = check_tag(project, tag)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with connect(admin.admin_url(url)) as conn:
        key = admin.reset_lock_key(ctx.target)
        lock.acquire(conn, key, timeout=wait, what=f"reset lock of {ctx.target}")
        try:
            fixed = admin.repair(conn, ctx.target)
            if fixed:
                project.notify(fixed)
            progress(f"building {ctx.target} up to {tag}")
            stage, k, ran = build(conn, ctx, upto)
            timings[f"build ({k} from template, {ran} applied)"] = time.perf_counter() - t0
            t1 = time.perf_counter()
            lab = b.label(conn, ctx.target) if b.exists(conn, ctx.target) else None
            trash = None
            if b.exists(conn, ctx.target):
                trash = admin.trash_name(ctx.target)
                b.rename(conn, ctx.target, trash)
                ctx.step("old renamed")
            b.rename(conn, stage, ctx.target)
            if lab:
                b.set_label(conn, ctx.target, ctx.target, str(lab["branch"]))
            ctx.step("in place")
            if trash:
                b.drop(conn, trash)
            timings["swap"] = time.perf_counter() - t1
        finally:
            lock.release_quietly(conn, key)
    if seed:
        from gtsd_tui.services.reset import run_seed

        run_seed(url, seed, progress, timings)
    timings["total"] = time.perf_counter() - t0
    return timings
