"""Branches (``b``, palette): the databases parked for git branches (``git install --branch-db``), the
one in place, and ``p`` prune (the databases of branches that no longer exist; asks, destructive);
the header's branch mark (the branch checked out and whether the database matches the folder) and
the line said once when a checkout in another terminal put another database in place; History's
``T`` Reset to here (the database holds exactly the migrations up to the highlighted one; local
only, asks with the database's name).

Everything that reads git or the server runs in a worker over ``services.branch_db`` (the
implementation ``gtsd-tui branches`` and ``reset --to`` use).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from gtsd_tui.core.display import shown
from gtsd_tui.errors import GtsdError
from gtsd_tui.tui import actions, flows, live
from gtsd_tui.tui.busy import Busy
from gtsd_tui.tui.features import FeatureMessage, fails, handles
from gtsd_tui.tui.screens.confirm import ConfirmScreen
from gtsd_tui.tui.screens.error import ErrorScreen
from gtsd_tui.tui.widgets.rows import Cell, RowTable

if TYPE_CHECKING:
    from gtsd_tui.services.branch_db import BranchState, ParkedDatabase
    from gtsd_tui.services.console import ConsoleState
    from gtsd_tui.services.project import Project
    from gtsd_tui.tui.app import GtsdApp

TITLE = "[b]Branches[/] · databases parked for git branches · p drops deleted branches'"
MATCHES, STALE, GONE, DIFFERS = "matches", "stale", "branch gone", "differs"


# ---- what the view, the header and the checkout line say (pure) ------------------------------------


def size_text(n: float) -> str:
    for unit in ("B", "kB", "MB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def age_text(s: float) -> str:
    for limit, div, unit in ((120, 1, "s"), (7200, 60, "m"), (172800, 3600, "h")):
        if s < limit:
            return f"{s / div:.0f}{unit}"
    return f"{s / 86400:.0f}d"


def verdict(p: ParkedDatabase) -> str:
    """``stale`` (kept aside), ``branch gone``, ``matches`` or ``differs`` (its rows are no longer a
    prefix of its branch's migrations)."""
    if p.stale:
        return STALE
    if not p.branch_exists:
        return GONE
    return MATCHES if p.matches else DIFFERS


def prunable(parked: list[ParkedDatabase]) -> list[ParkedDatabase]:
    """What prune drops: the parked databases of branches that no longer exist (as ``branches --prune``)."""
    return [p for p in parked if not p.branch_exists and not p.stale]


def db_text(st: BranchState) -> str:
    """Whether the database in place matches the folder, in a few words."""
    if not st.exists:
        return f"no database {st.database}"
    if st.applied is None:
        return "db has rows the folder does not explain"
    if st.applied < st.total:
        return f"db {st.total - st.applied} behind"
    return "db matches"


def mark_text(st: BranchState) -> str:
    """The header's mark: ``main · db matches``; whose database it is when that is another branch's."""
    where = shown(st.branch) if st.branch else "detached HEAD"
    owner = st.database_branch
    other = f" · db is {shown(owner)}'s" if owner and st.branch and owner != st.branch else ""
    return f"{where} · {db_text(st)}{other}"


def moved_text(before: BranchState, now: BranchState) -> str | None:
    """The line said once after a reload when the branch or the database in place changed; else None."""
    if (before.branch, before.database_branch) == (now.branch, now.database_branch):
        return None
    head = f"checked out {shown(now.branch)}" if now.branch else "detached HEAD"
    if now.branch and now.branch == before.branch:  # no checkout: the database in place changed (a reset)
        head = f"on {shown(now.branch)}"
    if now.exists and now.applied is not None and now.database_branch:
        who = shown(now.database_branch)
        return f"{head}: database {now.database} now holds {who}'s {now.applied} migration(s)"
    if now.exists and now.applied is not None:
        return f"{head}: database {now.database} holds {now.applied} migration(s), labelled for no branch"
    return f"{head}: database {now.database}: {db_text(now)}"


# ---- messages ----------------------------------------------------------------------------------


@dataclass(eq=False, repr=False)
class BranchesLoaded(Message):
    """The view's content: the parked databases and the one in place, or why they cannot be read."""

    parked: list[ParkedDatabase]
    state: BranchState | None
    error: str | None = None


@dataclass(eq=False, repr=False)
class BranchesPruned(Message):
    """A prune ended: the databases dropped, or the error."""

    dropped: list[str]
    error: str | None = None


@dataclass(eq=False, repr=False)
class BranchMarked(FeatureMessage):
    """After a state load: the branch checked out and the database in place (None: not a git work tree,
    or it cannot be told)."""

    state: BranchState | None


@dataclass(eq=False, repr=False)
class ResetToTarget(FeatureMessage):
    """What Reset to here would replace: the database's name, the migrations it keeps, and why not
    (not a local server: the reset guard's line)."""

    tag: str
    keep: int
    total: int
    database: str
    refused: str | None


@dataclass(eq=False, repr=False)
class ResetToProgressed(FeatureMessage):
    text: str


@dataclass(eq=False, repr=False)
class ResetToFinished(FeatureMessage):
    tag: str
    timings: dict[str, float] | None
    error: str | None = None


# ---- workers -----------------------------------------------------------------------------------


def _project(app: GtsdApp) -> Project | None:
    project: Project | None = getattr(app.service, "project", None)  # absent on a fake service
    return project


def load_branches(project: Project) -> BranchesLoaded:
    from gtsd_tui.services import branch_db

    try:
        url = project.resolve_url()
        return BranchesLoaded(branch_db.list_parked(project, url), branch_db.current_branch_state(project, url))
    except GtsdError as exc:
        return BranchesLoaded([], None, str(exc))


def prune(project: Project, names: list[str]) -> BranchesPruned:
    from gtsd_tui.services import branch_db

    try:
        return BranchesPruned(branch_db.prune(project, names))
    except GtsdError as exc:
        return BranchesPruned([], str(exc))


def branch_mark(project: Project) -> BranchMarked:
    """The header's mark: nothing outside a git work tree, nothing when the server cannot tell."""
    from gtsd_tui.services import branch_db
    from gtsd_tui.services.gitutil import work_tree

    top = work_tree(project.folder_path)
    if top is None:
        return BranchMarked(None)
    try:
        return BranchMarked(branch_db.current_branch_state(project, top=top))
    except GtsdError:
        return BranchMarked(None)


def reset_to_target(project: Project, tag: str) -> ResetToTarget:
    """Decided before any connection: the reset guard (``services/local_guard``) says whether it is local."""
    from gtsd_tui.services import branch_db
    from gtsd_tui.services.local_guard import local_target, require_local

    url = project.resolve_url()
    total = len(project.load_folder().journal_migrations)
    try:
        keep = branch_db.check_tag(project, tag)
        require_local(url, what="reset to here", source=project.url_source)
    except GtsdError as exc:
        return ResetToTarget(tag, 0, total, local_target(url)[0], str(exc))
    return ResetToTarget(tag, keep, total, local_target(url)[0], None)


def reset_to(app: GtsdApp, project: Project, tag: str, post: Callable[[Message], object]) -> ResetToFinished:
    from gtsd_tui.services import branch_db

    def progress(text: str) -> None:
        post(ResetToProgressed(text))

    app.service.release()  # our own pool and stats connection would keep the database busy
    try:
        return ResetToFinished(tag, branch_db.reset_to(project, project.resolve_url(), tag, progress=progress))
    except GtsdError as exc:
        return ResetToFinished(tag, None, str(exc))


# ---- the view ----------------------------------------------------------------------------------


class BranchesScreen(Screen[None]):
    DEFAULT_CSS = """
    BranchesScreen { layout: vertical; }
    BranchesScreen #branches-title { height: 1; padding: 0 1; background: $primary-background; }
    BranchesScreen #branches-state { height: auto; padding: 0 1; }
    BranchesScreen RowTable { height: 1fr; border: round $primary; }
    BranchesScreen #branches-log { height: auto; max-height: 4; padding: 0 1; }
    """
    BINDINGS = actions.bindings("branches")
    AUTO_FOCUS = "RowTable"

    def __init__(self, app: GtsdApp, project: Project) -> None:
        super().__init__(id="branches")
        self.console = app
        self.project = project
        self.parked: list[ParkedDatabase] | None = None
        self.state: BranchState | None = None

    def compose(self) -> ComposeResult:
        yield Static(TITLE, id="branches-title")
        yield Static("reading the parked databases…", id="branches-state", markup=False)
        yield RowTable("branch", "matches", "size", "age", "database", id="branches-table")
        yield Static("", id="branches-log", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.action_refresh()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "prune" and (self.parked is None or not prunable(self.parked)):
            return None if actions.allowed(self.console, "branches", action) else False  # shown, says why
        return actions.allowed(self.console, "branches", action)

    def action_refresh(self) -> None:
        self.console.run_job("branches", partial(load_branches, self.project), to=self)

    @on(BranchesLoaded)
    def _loaded(self, event: BranchesLoaded) -> None:
        self.parked, self.state = event.parked, event.state
        line = self.query_one("#branches-state", Static)
        if event.error is not None:
            line.update(f"✗ {event.error}")
        elif event.state is not None:
            st = event.state
            parked = f"{len(event.parked)} parked" if event.parked else "none parked (each checkout parks one)"
            line.update(f"in place: {st.database} · {mark_text(st)} ({st.applied or 0}/{st.total}) · {parked}")
        rows: list[tuple[str, tuple[Cell, ...]]] = [
            (p.database, (shown(p.branch), _verdict_cell(p), size_text(p.size), age_text(p.age), p.database))
            for p in event.parked
        ]
        self.query_one(RowTable).set_rows(rows)
        self.refresh_bindings()

    def write_log(self, text: str) -> None:
        self.query_one("#branches-log", Static).update(text)

    def action_prune(self) -> None:
        gone = prunable(self.parked or [])
        if not gone:
            self.write_log("prune: no parked database belongs to a deleted branch")
            return
        names = "\n".join(f"  {p.database} ({shown(p.branch)}, {size_text(p.size)})" for p in gone)
        body = f"Drop the databases of branches that no longer exist, with their data:\n{names}"

        def answer(yes: bool | None) -> None:
            if yes:
                self.write_log(f"prune: dropping {len(gone)} database(s)…")
                self.console.run_job(
                    "branches-prune", partial(prune, self.project, [p.database for p in gone]), to=self
                )
            else:
                self.write_log("prune cancelled: nothing dropped")

        self.app.push_screen(ConfirmScreen("Prune parked databases?", body, action_label="Drop"), answer)

    @on(BranchesPruned)
    def _pruned(self, event: BranchesPruned) -> None:
        if event.error is not None:
            self.write_log(f"✗ prune: {event.error}")
        else:
            self.write_log(f"✓ pruned {len(event.dropped)}: {', '.join(event.dropped) or 'nothing'}")
        self.action_refresh()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_shadowed(self) -> None:
        """The main screen's keys do nothing here."""


def _verdict_cell(p: ParkedDatabase) -> Text:
    v = verdict(p)
    style = {MATCHES: "green", DIFFERS: "yellow", GONE: "red", STALE: "dim"}[v]
    return Text(v, style=style)


def can_branches(app: GtsdApp) -> bool:
    return app.screen is app.main_screen


def action_branches(app: GtsdApp) -> None:
    project = _project(app)
    if project is None:
        app.notify("branches: no project", severity="warning")
        return
    if not any(isinstance(s, BranchesScreen) for s in app.screen_stack):
        app.push_screen(BranchesScreen(app, project))


@fails("branches", "branches-prune")
def branches_failed(app: GtsdApp, group: str, exc: BaseException | None) -> None:
    for screen in app.screen_stack:
        if isinstance(screen, BranchesScreen):
            screen.write_log(f"✗ {group}: {type(exc).__name__}: {exc}")
            return


# ---- the header's mark and the checkout line ------------------------------------------------------

_SEEN: WeakKeyDictionary[GtsdApp, BranchState] = WeakKeyDictionary()  # the database in place last said
_SETTLE: WeakKeyDictionary[GtsdApp, tuple[str, int]] = WeakKeyDictionary()  # (branch, reloads left)
SETTLE_TRIES = 30  # one a second while the checkout's hook puts the branch's database in place


def check_mark(app: GtsdApp, state: ConsoleState | None) -> None:
    """After a state load with the database connected: the branch and the database in place (worker;
    held back while Review's rehearsal copies the target, as the console's own sessions are)."""
    project = _project(app)
    if project is None or state is None or not state.db.connected or not project.url:
        return
    app.run_job("branch-mark", partial(_gated_mark, app, project))


def _gated_mark(app: GtsdApp, project: Project) -> BranchMarked:
    try:
        return app.service.gated(partial(branch_mark, project))
    except GtsdError:  # the console closing while a rehearsal held the read back: no mark
        return BranchMarked(None)


@handles(BranchMarked)
def marked(app: GtsdApp, event: BranchMarked) -> None:
    from gtsd_tui.tui.widgets.header import HeaderBar

    if not app.alive:
        return
    st = event.state
    header = app.main_screen.query_one(HeaderBar)
    header.branch_mark = mark_text(st) if st is not None else ""
    live.render_header(app)
    if st is None or _settling(app, st):
        return
    before = _SEEN.get(app)
    _SEEN[app] = st
    line = moved_text(before, st) if before is not None else None
    if line:
        app.pending.write_log(line)
        app.notify(line, title="Checkout")


def _settling(app: GtsdApp, st: BranchState) -> bool:
    """The folder watcher reloads when HEAD moves, while the checkout's hook may still be building the
    branch's database: while the database in place is labelled for another branch, read again every
    second (at most ``SETTLE_TRIES`` times per branch) before saying which database is in place."""
    if st.database_branch is None or st.branch is None or st.database_branch == st.branch:
        _SETTLE.pop(app, None)
        return False
    branch, left = _SETTLE.get(app, (st.branch, SETTLE_TRIES))
    if branch != st.branch:
        left = SETTLE_TRIES
    _SETTLE[app] = (st.branch, max(0, left - 1))
    if left <= 0:
        return False  # it stays another branch's (e.g. its hook failed): said as it is
    app.set_timer(1.0, partial(_reload_when_idle, app))
    return True


def _reload_when_idle(app: GtsdApp) -> None:
    if app.alive and not app.busy:
        flows.reload(app)


@fails("branch-mark")
def mark_failed(app: GtsdApp, group: str, exc: BaseException | None) -> None:
    """A mark only: never a failure of the console."""


# ---- History: Reset to here ------------------------------------------------------------------------


def can_reset_to(app: GtsdApp) -> bool:
    return app.screen is app.main_screen


def action_reset_to(app: GtsdApp) -> None:
    project = _project(app)
    tag = app.history.main_table.cursor_key
    if project is None or tag is None or tag.startswith("row:"):
        app.notify("reset to here: highlight an applied migration in History", severity="warning")
        return
    if not flows.refused_while_busy(app):
        app.run_job("reset-to", partial(reset_to_target, project, tag))


@handles(ResetToTarget)
def confirm_reset_to(app: GtsdApp, event: ResetToTarget) -> None:
    if event.refused is not None:
        app.push_screen(ErrorScreen("Reset to here: not done", "", [event.refused]))
        return
    body = (
        f"Replace database {event.database!r} by one holding exactly the migrations up to {shown(event.tag)} "
        f"({event.keep} of {event.total}), with no data.\nIts tables and rows are dropped."
    )

    def answer(yes: bool | None) -> None:
        project = _project(app)
        if not yes or project is None:
            app.notify("reset to here cancelled")
            return
        flows.set_busy(app, Busy.RESETTING, event.database)
        app.pending.write_log(f"reset to {event.tag}: starting…", fresh=True)
        app.run_job("reset-to", partial(reset_to, app, project, event.tag, app.post_to_screen))

    app.push_screen(ConfirmScreen(f"Reset {event.database} to here?", body, action_label="Reset"), answer)


@handles(ResetToProgressed)
def reset_to_progressed(app: GtsdApp, event: ResetToProgressed) -> None:
    app.pending.write_log(f"reset to: {event.text}")


@handles(ResetToFinished)
def reset_to_finished(app: GtsdApp, event: ResetToFinished) -> None:
    flows.set_busy(app, Busy.IDLE)
    if event.timings is None:
        app.pending.write_log(f"✗ reset to {event.tag} failed: {event.error}")
        app.push_screen(ErrorScreen("Reset to here failed", "", [event.error or "unknown error"]))
    else:
        total = event.timings.get("total", 0.0)
        app.pending.write_log(f"✓ reset to {event.tag}: {total * 1000:.0f} ms")
        app.notify(f"the database holds the migrations up to {shown(event.tag)}")
    flows.reload(app)


@fails("reset-to")
def reset_to_failed(app: GtsdApp, group: str, exc: BaseException | None) -> None:
    flows.stopped(app, group, exc, "Reset to here failed")
