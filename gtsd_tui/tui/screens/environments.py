"""Environments: the folder's migrations × every environment of the project (``.env``, ``.env.NAME``),
read-only. The matrix and the selected cell's details render themselves; ``r`` refreshes (the matrix
shows it is loading meanwhile); ``a`` / ``A`` apply to the selected environment after a dialog, which
asks for the environment's name typed out when it is not the console's own database."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from gtsd_tui.tui import env_flows, flows, jobs
from gtsd_tui.tui import messages as msg
from gtsd_tui.tui.widgets.env_detail import EnvDetail
from gtsd_tui.tui.widgets.env_matrix import ROW_PREFIX, EnvMatrix

if TYPE_CHECKING:
    from gtsd_tui.services.console_envs import EnvColumn, Environments
    from gtsd_tui.tui.app import GtsdApp

TITLE = "[b]Environments[/] · migrations × environments · read-only · a/A apply to the selected one"


class EnvironmentsScreen(Screen[None]):
    CSS_PATH = "environments.tcss"
    BINDINGS = [
        Binding("escape", "close", "Back", id="envs.close"),
        Binding("r", "refresh", "Refresh", id="envs.refresh"),
        Binding("a", "apply_to", "Apply to", id="envs.apply.to"),
        Binding("A", "apply_all", "Apply all", id="envs.apply.all"),
        # the main screen's keys do not reach through this screen (review, reset, renumber, panes, ...)
        Binding("v,R,n,e,E,slash,1,2,3,4", "shadowed", show=False),
    ]

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
        self.query_one(EnvMatrix).focus()
        self.action_refresh()

    # ---- loading -----------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.loading_envs = True
        self.query_one(EnvMatrix).loading = True
        self.console.run_job("envs", partial(jobs.load_environments, self.console.service), to=self)

    def load_failed(self, error: str) -> None:
        """The worker-error handler's reset: loading ends, the error is shown."""
        self.loading_envs = False
        self.query_one(EnvMatrix).loading = False
        self.write_log(f"✗ environments could not be read: {error}")

    @on(msg.EnvironmentsLoaded)
    def _loaded(self, event: msg.EnvironmentsLoaded) -> None:
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

    # ---- apply -------------------------------------------------------------------------------

    def selected_env(self) -> EnvColumn | None:
        chosen = self.query_one(EnvMatrix).selected
        return self.envs.env(chosen[0]) if self.envs is not None and chosen is not None else None

    def action_apply_to(self) -> None:
        chosen = self.query_one(EnvMatrix).selected
        env = self.selected_env()
        if env is None or chosen is None or chosen[1].startswith(ROW_PREFIX):
            self.notify("select a migration in an environment's column", severity="warning")
            return
        env_flows.ask_apply(self.console, self, env, chosen[1])

    def action_apply_all(self) -> None:
        env = self.selected_env()
        if env is None:
            self.notify("select an environment's column", severity="warning")
            return
        env_flows.ask_apply(self.console, self, env, None)

    def write_log(self, text: str) -> None:
        self.query_one("#envs-log", Static).update(text)

    @on(msg.EnvApplyProgressed)
    def _progressed(self, event: msg.EnvApplyProgressed) -> None:
        if not self.console.busy:  # late: the result (posted to the main screen) was shown first
            return
        self.write_log(f"{event.env}: {flows.progress_text(event.event)}")

    # ---- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("apply_to", "apply_all"):
            return not self.console.read_only  # read-only consoles look, never apply
        return True

    def action_shadowed(self) -> None:
        """Keys of the main screen do nothing here."""

    def action_close(self) -> None:
        self.dismiss(None)


def view(app: GtsdApp) -> EnvironmentsScreen | None:
    """The Environments view when it is open."""
    return next((s for s in app.screen_stack if isinstance(s, EnvironmentsScreen)), None)
