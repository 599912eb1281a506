"""Environments (``e``): the folder's migrations × every environment of the project (``.env``,
``.env.NAME``), read-only. The matrix and the selected cell's details render themselves; ``r``
refreshes (the matrix shows it is loading meanwhile); ``a`` / ``A`` apply to the selected environment
after a dialog, which asks for the environment's name typed out when it is not the console's own
database, through the console service's ``apply_env`` (services/apply.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from gtsd_tui.core.display import shown
from gtsd_tui.errors import GtsdError
from gtsd_tui.tui import actions, flows
from gtsd_tui.tui.busy import Busy
from gtsd_tui.tui.features import FeatureMessage, fails, handles, unexpected
from gtsd_tui.tui.screens.confirm import ConfirmScreen
from gtsd_tui.tui.screens.error import ErrorScreen
from gtsd_tui.tui.widgets.env_detail import EnvDetail
from gtsd_tui.tui.widgets.env_matrix import ROW_PREFIX, EnvMatrix

if TYPE_CHECKING:
    from gtsd_tui.services.apply import ApplyEvent, ApplyFailure
    from gtsd_tui.services.console import ConsoleService
    from gtsd_tui.services.console_envs import EnvColumn, Environments
    from gtsd_tui.tui.app import GtsdApp

TITLE = "[b]Environments[/] · migrations × environments · read-only · a/A apply to the selected one"


# ---- messages: the load and the progress go to the view, the result to the main screen ------------


@dataclass(eq=False, repr=False)
class EnvironmentsLoaded(Message):
    """Every environment's state (the Environments view)."""

    envs: Environments


@dataclass(eq=False, repr=False)
class EnvApplyProgressed(Message):
    """One event of an apply to another environment."""

    env: str
    event: ApplyEvent


@dataclass(eq=False, repr=False)
class EnvApplyFinished(FeatureMessage):
    """An apply to another environment ended."""

    env: str
    applied: list[str]
    failure: ApplyFailure | None
    # what a migration's own ROLLBACK took back (tag, state now), and one line per such ROLLBACK
    rolled_back: list[tuple[str, str]] = field(default_factory=list)
    undone: list[str] = field(default_factory=list)


# ---- workers --------------------------------------------------------------------------------------


def load_environments(service: ConsoleService) -> EnvironmentsLoaded:
    return EnvironmentsLoaded(service.environments())


def apply_env(
    service: ConsoleService, name: str, to_tag: str | None, post: Callable[[Message], object]
) -> EnvApplyFinished:
    """Apply to environment ``name``, reporting progress as the console's apply."""

    def listen(event: ApplyEvent) -> None:
        post(EnvApplyProgressed(name, event))

    try:
        result = service.apply_env(name, to_tag, listen)
    except GtsdError as exc:
        from gtsd_tui.services.apply import failure_of

        failure = failure_of(exc)
        return EnvApplyFinished(name, [], failure, undone=list(failure.undone))
    return EnvApplyFinished(name, list(result.applied_tags), None, list(result.rolled_back), list(result.undone))


# ---- the view -------------------------------------------------------------------------------------


class EnvironmentsScreen(Screen[None]):
    CSS_PATH = "environments.tcss"
    BINDINGS = actions.bindings("environments")
    AUTO_FOCUS = "EnvMatrix"

    def __init__(self, app: GtsdApp) -> None:
        super().__init__(id="environments")
        self.console = app
        self.envs: Environments | None = None
        self.loading_envs = False

    def compose(self) -> ComposeResult:
        yield Static(TITLE, id="envs-title")
        yield EnvMatrix()
        yield EnvDetail()
        yield Static("", id="envs-log", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self.loading_envs = True
        self.query_one(EnvMatrix).loading = True
        self.console.run_job("envs", partial(load_environments, self.console.service), to=self)

    def load_failed(self, error: str) -> None:
        """The worker-error handler's reset: loading ends, the error is shown."""
        self.loading_envs = False
        self.query_one(EnvMatrix).loading = False
        self.write_log(f"✗ environments could not be read: {error}")

    @on(EnvironmentsLoaded)
    def _loaded(self, event: EnvironmentsLoaded) -> None:
        self.loading_envs = False
        self.envs = event.envs
        matrix = self.query_one(EnvMatrix)
        matrix.loading = False
        matrix.show(event.envs)
        self.query_one(EnvDetail).show(event.envs, matrix.selected)
        self.refresh_bindings()

    @on(DataTable.CellHighlighted)
    def _highlighted(self, event: DataTable.CellHighlighted) -> None:
        if self.envs is not None:
            self.query_one(EnvDetail).show(self.envs, self.query_one(EnvMatrix).key_at(event.coordinate))

    def selected_env(self) -> EnvColumn | None:
        chosen = self.query_one(EnvMatrix).selected
        return self.envs.env(chosen[0]) if self.envs is not None and chosen is not None else None

    def action_apply_to(self) -> None:
        chosen = self.query_one(EnvMatrix).selected
        env = self.selected_env()
        if env is None or chosen is None or chosen[1].startswith(ROW_PREFIX):
            self.notify("select a migration in an environment's column", severity="warning")
            return
        ask_apply(self.console, self, env, chosen[1])

    def action_apply_all(self) -> None:
        env = self.selected_env()
        if env is None:
            self.notify("select an environment's column", severity="warning")
            return
        ask_apply(self.console, self, env, None)

    def write_log(self, text: str) -> None:
        self.query_one("#envs-log", Static).update(text)

    @on(EnvApplyProgressed)
    def _progressed(self, event: EnvApplyProgressed) -> None:
        from gtsd_tui.tui.features.apply import progress_text

        if not self.console.busy:  # late: the result (posted to the main screen) was shown first
            return
        self.write_log(f"{event.env}: {progress_text(event.event)}")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return actions.allowed(self.console, "environments", action)  # read-only consoles look, never apply

    def action_shadowed(self) -> None:
        """Keys of the main screen do nothing here."""

    def action_close(self) -> None:
        self.dismiss(None)


def view(app: GtsdApp) -> EnvironmentsScreen | None:
    """The Environments view when it is open."""
    return next((s for s in app.screen_stack if isinstance(s, EnvironmentsScreen)), None)


def can_environments(app: GtsdApp) -> bool:
    """From the main screen only (not over a dialog, Review or the view itself)."""
    return app.alive and app.screen is app.main_screen


def action_environments(app: GtsdApp) -> None:
    """Every environment of the project, migrations × environments (read-only; apply asks first)."""
    if view(app) is None:
        app.push_screen(EnvironmentsScreen(app))


# ---- the apply: confirm, run, result --------------------------------------------------------------


def confirm_body(env: EnvColumn, todo: list[str]) -> str:
    lines = [f"{env.name} · {env.url} · from {env.source}", ""]
    lines.append(f"apply {len(todo)} migration(s), each in its own transaction with its row:")
    lines += [f"  • {shown(tag)}" for tag in todo]
    if not env.current:
        lines += ["", "This is NOT the console's own database."]
    return "\n".join(lines)


def ask_apply(app: GtsdApp, screen: EnvironmentsScreen, env: EnvColumn, to_tag: str | None) -> None:
    """``to_tag`` None: every pending migration. Refused (with the reason) when it cannot run."""
    if flows.refused_while_busy(app):
        return
    if screen.loading_envs:
        app.notify("still reading the environments", severity="warning")
        return
    if not env.reachable:
        app.notify(f"{env.name} is unreachable: {env.error}", severity="warning")
        return
    todo = env.pending_up_to(to_tag)
    if not todo:
        where = f"up to {to_tag}" if to_tag else "at all"
        app.notify(f"nothing pending in {env.name} {where}", severity="warning")
        return

    def answer(yes: bool | None) -> None:
        if yes:
            start(app, screen, env.name, to_tag)

    title = f"Apply {'all pending' if to_tag is None else f'up to {to_tag}'} to {env.name}?"
    typed = None if env.current else env.name
    app.push_screen(ConfirmScreen(title, confirm_body(env, todo), type_to_confirm=typed), answer)


def start(app: GtsdApp, screen: EnvironmentsScreen, name: str, to_tag: str | None) -> None:
    flows.set_busy(app, Busy.APPLYING_TO, name)
    screen.write_log(f"{name}: starting…")
    # progress goes to the view; the result to the main screen, which outlives the view (esc during the
    # apply must not lose the message that ends the console's busy state)
    app.run_job("env_apply", partial(apply_env, app.service, name, to_tag, screen.post_message))


@handles(EnvApplyFinished)
def finished(app: GtsdApp, event: EnvApplyFinished) -> None:
    """The apply's result; the view says it too when it is still open."""
    screen = view(app)
    flows.set_busy(app, Busy.IDLE)
    failure = event.failure
    from gtsd_tui.tui.features.apply import rollback_suffix, warn_undone

    warn_undone(app, event.undone)
    if failure is None:
        n = len(event.applied)
        text = f"✓ {event.env}: applied {n} migration(s)" if n else f"{event.env}: nothing to apply"
        text += rollback_suffix(event.rolled_back, event.undone)
        app.notify(text, markup=False)
    else:
        text = f"✗ {event.env}: {failure.message}"
        head = [f"SQLSTATE {failure.sqlstate}", failure.server_message or ""] if failure.sqlstate else []
        title = f"{failure.title} ({event.env})"
        app.push_screen(ErrorScreen(title, failure.where, head + failure.details() or [failure.message]))
    if screen is not None:
        screen.write_log(text)
        screen.action_refresh()
    flows.reload(app)  # the console's own database may be the one applied to


@fails("envs", "env_apply")
def failed(app: GtsdApp, group: str, exc: BaseException | None) -> None:
    """An unexpected error in the view's worker: the view stops loading, a failed apply frees the console."""
    error = f"{type(exc).__name__}: {exc}"
    screen = view(app)
    if group == "env_apply":
        flows.set_busy(app, Busy.IDLE)
    if screen is not None:
        if group == "envs":
            screen.load_failed(error)
        else:
            screen.write_log(f"✗ apply stopped: {error}")
    unexpected(app, group, exc, "Apply failed" if group == "env_apply" else "")
