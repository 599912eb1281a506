"""Review (``v``): the pending migrations up to the highlighted one rehearsed on a throwaway copy (the
Review screen, ``tui/screens/review.py``); its ``a`` asks, then applies with the careful options."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gtsd_tui.tui import flows
from gtsd_tui.tui.features import apply

if TYPE_CHECKING:
    from gtsd_tui.tui.app import GtsdApp


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

    app.push_screen(ReviewScreen(app.service, to_tag), answer)
