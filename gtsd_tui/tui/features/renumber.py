"""Renumber (``n`` on the Conflicts pane, when a finding is one it fixes): the plan in a dialog (refused,
as the CLI without ``--force``, on a clash between the branches), then the renumber through the
service, which refuses a folder changed since the plan."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from gtsd_tui.errors import GtsdError
from gtsd_tui.tui import flows
from gtsd_tui.tui.features import FeatureMessage, handles
from gtsd_tui.tui.screens.confirm import ConfirmScreen
from gtsd_tui.tui.screens.error import ErrorScreen

if TYPE_CHECKING:
    from gtsd_tui.services.console import ConsoleService
    from gtsd_tui.services.folder_ops import RenumberContext
    from gtsd_tui.tui.app import GtsdApp


@dataclass(eq=False, repr=False)
class RenumberPlanned(FeatureMessage):
    """A renumber plan for the confirm dialog."""

    context: RenumberContext
    body: list[str]  # the plan as the dialog shows it
    refused: list[str] | None = None  # why it cannot run (a clash between the branches)


@dataclass(eq=False, repr=False)
class RenumberDone(FeatureMessage):
    """A renumber ran (or failed)."""

    summary: str
    error: str | None = None


def plan_renumber(service: ConsoleService) -> RenumberPlanned | RenumberDone:
    """The plan and the lines its dialog shows; refused (as the CLI without --force) on a clash."""
    from gtsd_tui.core.merging.renumber_text import clash_lines, plan_lines, refusal

    try:
        context = service.renumber_plan()
        plan = context.plan
        body = [] if plan.noop else plan_lines(plan, context.pinned_by, service.renumber_forks())
    except GtsdError as exc:
        return RenumberDone("", f"nothing changed: {exc}")
    refused = [refusal(plan), *clash_lines(plan)] if plan.clashes else None
    return RenumberPlanned(context, body, refused)


def renumber(service: ConsoleService, context: RenumberContext) -> RenumberDone:
    """The plan's context goes to the service: a folder changed since the plan is refused, nothing written."""
    plan = context.plan
    try:
        service.apply_renumber(context)
    except GtsdError as exc:
        return RenumberDone("", str(exc))
    return RenumberDone(f"renumbered {len(plan.changes)} migration(s)")


def can_renumber(app: GtsdApp) -> bool:
    return app.conflicts.fixable


def action_renumber(app: GtsdApp) -> None:
    app.run_job("renumber", partial(plan_renumber, app.service))


@handles(RenumberPlanned)
def planned(app: GtsdApp, event: RenumberPlanned) -> None:
    context = event.context
    plan = context.plan
    if plan.noop:
        app.notify("nothing to renumber: the folder is consistent")
        return
    if event.refused is not None:  # as the CLI: refused until the branches agree (the CLI's --force merges)
        app.push_screen(ErrorScreen("Cannot renumber", "nothing changed", event.refused))
        return

    def answer(yes: bool | None) -> None:
        if yes:
            app.run_job("renumber", partial(renumber, app.service, context))

    app.push_screen(ConfirmScreen("Renumber migrations?", "\n".join(event.body), action_label="Renumber"), answer)


@handles(RenumberDone)
def renumbered(app: GtsdApp, event: RenumberDone) -> None:
    if event.error:
        app.push_screen(ErrorScreen("Renumber failed", "", [event.error]))
    else:
        app.notify(event.summary)
    flows.reload(app)
