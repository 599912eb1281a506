"""Apply and renumber from the console: confirm, run in a worker, stream progress, show failures."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.widgets import Static

from gtsd_tui.core.renumber_text import clash_lines, plan_lines, refusal
from gtsd_tui.tui import messages as msg
from gtsd_tui.tui.screens.confirm import ConfirmScreen
from gtsd_tui.tui.screens.error import ErrorScreen


class _Events:
    """Runner events turned into messages (called from the worker thread)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def lock_wait(self, holders: list[Any], remaining: float) -> None:
        who = "; ".join(h.describe() for h in holders) or "another session"
        self.app.post_message(msg.ApplyProgressed(f"waiting for the migration lock held by {who}"))

    def plan_ready(self, plan: Any) -> None:
        self.app.post_message(msg.ApplyProgressed(f"applying {len(plan.steps)} migration(s)…"))

    def step_started(self, step: Any, index: int, total: int) -> None:
        self.app.post_message(msg.ApplyProgressed(f"[{index + 1}/{total}] {step.migration.tag}…"))

    def step_done(self, step: Any, seconds: float) -> None:
        self.app.post_message(msg.ApplyProgressed(f"✓ {step.migration.tag} {seconds * 1000:.0f} ms"))

    def note(self, message: str) -> None:
        self.app.post_message(msg.ApplyProgressed(message))


class ApplyActions:
    """Mixed into the App."""

    backend: Any
    applying: bool
    canceller: Any = None

    def action_apply_to(self) -> None:
        tag = self._highlighted_tag("#pending-table")  # type: ignore[attr-defined]
        if tag:
            self.confirm_apply(tag)

    def action_apply_all(self) -> None:
        self.confirm_apply(None)

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def confirm_apply(self, to_tag: str | None) -> None:
        try:
            body = self.backend.plan_text(to_tag)
            ok = True
        except Exception as exc:  # noqa: BLE001 - shown to the user, nothing applied
            body, ok = str(exc), False
        app: Any = self
        if not ok:
            app.call_from_thread(app.push_screen, ErrorScreen("Cannot apply", "nothing was run", [body]))
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.run_apply(to_tag)

        title = "Apply all pending migrations?" if to_tag is None else f"Apply up to {to_tag}?"
        app.call_from_thread(app.push_screen, ConfirmScreen(title, body), answer)

    @work(thread=True, exclusive=True, group="apply", exit_on_error=False)
    def run_apply(self, to_tag: str | None) -> None:
        from gtsd_tui.services.console import new_canceller

        app: Any = self
        self.applying = True
        self.canceller = new_canceller()
        app.call_from_thread(app.refresh_bindings)
        applied: list[str] = []
        error: Any = None
        try:
            result = self.backend.apply(to_tag, _Events(self), self.canceller)
            applied = [t for t, _ in result.applied]
        except Exception as exc:  # noqa: BLE001 - reported in the error dialog
            error = exc
        self.post_message(msg.ApplyFinished(applied, error))  # type: ignore[attr-defined]

    def on_apply_progressed(self, event: msg.ApplyProgressed) -> None:
        app: Any = self
        if not app.alive:
            return
        app.main("#apply-log", Static).update(event.text)

    def on_apply_finished(self, event: msg.ApplyFinished) -> None:
        app: Any = self
        if not app.alive:
            return
        self.applying = False
        self.canceller = None
        log = app.main("#apply-log", Static)
        if event.error is None:
            log.update(f"✓ applied {len(event.applied)} migration(s)" if event.applied else "nothing to apply")
        else:
            err = event.error
            location = getattr(err, "location", None)
            where = f"{err.path}:{location.line}:{location.column}" if location else getattr(err, "path", "")
            server = getattr(err, "error", None)
            lines = [str(err)]
            if server is not None:
                lines = [f"SQLSTATE {server.sqlstate}", server.message]
                lines += [f"DETAIL: {server.detail}"] if server.detail else []
                lines += [f"HINT: {server.hint}"] if server.hint else []
            lines += [location.excerpt] if location and location.excerpt else []
            log.update(f"✗ {where or err}")
            app.push_screen(ErrorScreen("Migration failed", where or "", lines))
            step = getattr(err, "step", None)
            if step is not None and location is not None:
                app.preview_tag = step.migration.tag
                app.load_preview(step.migration.tag, location.line)
        app.load_state()
        app.refresh_bindings()

    def action_renumber(self) -> None:
        self.plan_renumber()

    @work(thread=True, exclusive=True, group="renumber", exit_on_error=False)
    def plan_renumber(self) -> None:
        app: Any = self
        try:
            ctx = self.backend.renumber_plan()
        except Exception as exc:  # noqa: BLE001
            app.call_from_thread(app.push_screen, ErrorScreen("Cannot renumber", "nothing changed", [str(exc)]))
            return
        plan = ctx.plan
        if plan.noop:
            app.call_from_thread(app.notify, "nothing to renumber: the folder is consistent")
            return
        body = plan_lines(plan, ctx.pinned_by, self.backend.renumber_forks())
        if plan.clashes:  # as the CLI: refused until the branches agree (the CLI's --force merges anyway)
            lines = [refusal(plan), *clash_lines(plan)]
            app.call_from_thread(app.push_screen, ErrorScreen("Cannot renumber", "nothing changed", lines))
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.run_renumber(plan)

        app.call_from_thread(
            app.push_screen, ConfirmScreen("Renumber migrations?", "\n".join(body), action_label="Renumber"), answer
        )

    @work(thread=True, exclusive=True, group="renumber", exit_on_error=False)
    def run_renumber(self, plan: Any) -> None:
        try:
            self.backend.apply_renumber(plan)
            self.post_message(msg.RenumberDone(f"renumbered {len(plan.changes)} migration(s)"))  # type: ignore
        except Exception as exc:  # noqa: BLE001
            self.post_message(msg.RenumberDone("", str(exc)))  # type: ignore[attr-defined]

    def on_renumber_done(self, event: msg.RenumberDone) -> None:
        app: Any = self
        if not app.alive:
            return
        if event.error:
            app.push_screen(ErrorScreen("Renumber failed", "", [event.error]))
        else:
            app.notify(event.summary)
        app.load_state()

    def action_reset(self) -> None:
        self.confirm_reset()

    @work(thread=True, exclusive=True, group="reset", exit_on_error=False)
    def confirm_reset(self) -> None:
        app: Any = self
        name, local = self.backend.reset_target()
        body = (
            f"Drop database {name!r}, create it again and apply every migration.\n"
            "A later reset with unchanged migrations clones a saved template."
        )
        if not local:
            body += "\n\nThis is NOT a local server."

        def answer(yes: bool | None) -> None:
            if yes:
                self.run_reset()

        screen = ConfirmScreen(
            "Reset the database?", body, action_label="Reset", type_to_confirm=None if local else name
        )
        app.call_from_thread(app.push_screen, screen, answer)

    @work(thread=True, exclusive=True, group="reset", exit_on_error=False)
    def run_reset(self) -> None:
        self.applying = True
        try:
            timings = self.backend.reset()
            summary = "reset: " + "  ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items())
            self.post_message(msg.RenumberDone(summary))  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001
            self.post_message(msg.RenumberDone("", f"reset failed: {exc}"))  # type: ignore[attr-defined]
        finally:
            self.applying = False
