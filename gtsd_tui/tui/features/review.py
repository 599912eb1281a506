"""Review (``v``): the pending migrations up to the highlighted one rehearsed on a throwaway copy (the
Review screen, ``tui/screens/review.py``); its ``a`` asks, then applies with the careful options.

While the rehearsal runs the console is busy "rehearsing": the service keeps the console's own sessions
to the target away (so the copy may be a template copy, data included) and the header says so rather
than "disconnected"; once it is over (done, failed or cancelled) the state is read again, which
reconnects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gtsd_tui.tui import flows
from gtsd_tui.tui.busy import Busy
from gtsd_tui.tui.features import FeatureMessage, apply, handles

if TYPE_CHECKING:
    from gtsd_tui.tui.app import GtsdApp


class RehearsalOver(FeatureMessage):
    """The Review screen's rehearsal has returned (also after the screen was closed while it ran)."""


def action_review(app: GtsdApp) -> None:
    """Rehearse up to the highlighted migration on a copy (Review screen); its ``a`` is the safe apply."""
    ask_review(app, app.pending.highlighted)


def ask_review(app: GtsdApp, to_tag: str | None) -> None:
    from gtsd_tui.tui.screens.review import ReviewScreen

    if flows.refused_while_busy(app):
        return
    st = app.state
    if st is None or st.report is None or not st.report.pending or not st.db.connected:
        app.notify("nothing pending to rehearse (or no database)", severity="warning")
        return

    def answer(go: bool | None) -> None:
        if go:
            apply.start_apply(app, to_tag, safe=True)

    flows.set_busy(app, Busy.REHEARSING, f"up to {to_tag}" if to_tag else "all pending")
    app.push_screen(ReviewScreen(app.service, to_tag, over=lambda: app.post_to_screen(RehearsalOver())), answer)


@handles(RehearsalOver)
def rehearsal_over(app: GtsdApp, event: RehearsalOver) -> None:
    """The console's sessions may come back: the state read again (fresh, and reconnecting the pool);
    the statistics reconnect at their next poll."""
    if app.busy_state == Busy.REHEARSING:  # not an apply the Review's `a` started meanwhile
        flows.set_busy(app, Busy.IDLE)
    flows.reload(app)
