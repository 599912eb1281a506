"""New migration (palette): a short name asked, the file written as ``gtsd-tui new`` writes it, then
highlighted in Pending (``E`` edits it)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from gtsd_tui.errors import GtsdError
from gtsd_tui.tui import flows
from gtsd_tui.tui.features import FeatureMessage, handles
from gtsd_tui.tui.screens.error import ErrorScreen
from gtsd_tui.tui.screens.prompt import PromptScreen

if TYPE_CHECKING:
    from gtsd_tui.services.console import ConsoleService
    from gtsd_tui.tui.app import GtsdApp


@dataclass(eq=False, repr=False)
class MigrationCreated(FeatureMessage):
    """A new migration file was written (or could not be)."""

    file: str
    error: str | None = None


def create(service: ConsoleService, name: str) -> MigrationCreated:
    try:
        return MigrationCreated(service.create(name))
    except GtsdError as exc:
        return MigrationCreated("", str(exc))


def action_new(app: GtsdApp) -> None:
    def answer(name: str | None) -> None:
        if name:
            app.run_job("new", partial(create, app.service, name))

    app.push_screen(PromptScreen("New migration", "short name, e.g. add_user_streaks"), answer)


@handles(MigrationCreated)
def created(app: GtsdApp, event: MigrationCreated) -> None:
    if event.error:
        app.push_screen(ErrorScreen("New migration failed", "", [event.error]))
    else:
        app.notify(f"created {event.file}; E edits it")
        path = event.file.replace("\\", "/")
        tag = path.rsplit("/", 2)[-2] if "/" in path else path.removesuffix(".sql")  # v1: its folder's name
        app.main_screen.focus_pane("pending")
        app.pending.select_when_listed(tag)
    flows.reload(app)
