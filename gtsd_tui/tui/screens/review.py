"""Review: the pending migrations rehearsed on a throwaway copy, statement by statement.

Per statement: the lock mode (coloured by strength), a rewrite mark, the duration and the sessions on
the target it would wait behind, beside the highlighted SQL; a progress bar while the rehearsal runs
and the schema diff below. ``a`` applies with the careful options (short lock_timeout, retries).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, ProgressBar, Static

from gtsd_tui.tui.actions import bindings
from gtsd_tui.tui.widgets.sql_preview import SqlPreview

if TYPE_CHECKING:
    from gtsd_tui.services.console import ConsoleService
    from gtsd_tui.services.data_preflight import DataPreflight
    from gtsd_tui.services.rehearse import Rehearsal, StatementRecord

LOCK_STYLES = ("green", "green", "green", "yellow", "yellow", "dark_orange", "dark_orange", "bold red")


class Rehearsed(Message):
    def __init__(self, done: int, total: int, record: StatementRecord | None, lines: list[str]) -> None:
        super().__init__()
        self.done, self.total, self.record, self.lines = done, total, record, lines


class RehearsalFinished(Message):
    def __init__(
        self, result: Rehearsal | None, error: str | None, preflight: DataPreflight | str | None = None
    ) -> None:
        super().__init__()
        self.result, self.error, self.preflight = result, error, preflight


def lock_cell(record: StatementRecord) -> Text:
    from gtsd_tui.core.sql.locks import sql_name, strength

    if not record.locks:
        return Text("—", style="dim")
    mode = record.locks[0][0]
    label = sql_name(mode) + ("" if record.observed else "*")
    return Text(label, style=LOCK_STYLES[max(0, strength(mode))])


def blockers_cell(record: StatementRecord) -> Text:
    if record.error:
        return Text("✗ failed", style="bold red")
    if not record.blockers:
        return Text("none", style="dim")
    first = record.blockers[0][1]
    more = f" +{len(record.blockers) - 1}" if len(record.blockers) > 1 else ""
    return Text(f"pid {first.pid} {first.state}{more}", style="bold red")


class ReviewScreen(Screen[bool]):
    CSS_PATH = "review.tcss"
    BINDINGS = bindings("review")  # the main screen's keys do not reach through (apply all, reset, ...)

    def __init__(
        self,
        backend: ConsoleService,
        to_tag: str | None,
        *,
        result: Rehearsal | None = None,
        files: Mapping[str, Sequence[str]] | None = None,
        over: Callable[[], object] | None = None,
    ) -> None:
        super().__init__()
        self.backend, self.to_tag = backend, to_tag
        self.over = over  # called from the worker once the rehearsal returned (thread-safe: it posts)
        self.result: Rehearsal | None = result  # a finished rehearsal (given: shown as is, nothing runs)
        self.records: list[StatementRecord] = list(result.records) if result is not None else []
        self.files: dict[str, list[str]] = {k: list(v) for k, v in (files or {}).items()}
        self.running = False
        self.preflight: DataPreflight | str | None = None  # the data preflight on the target, once it ran

    def compose(self) -> ComposeResult:
        target = f"up to {self.to_tag}" if self.to_tag else "all pending"
        yield Static(f"[b]Review[/]  rehearsal of {target} on a throwaway copy", id="review-title")
        with Horizontal(id="review-body"):
            yield DataTable(id="review-table", cursor_type="row", zebra_stripes=False)
            yield SqlPreview(id="review-sql")
        yield Static("", id="review-detail", markup=False)
        yield ProgressBar(id="review-progress", show_eta=False)
        with VerticalScroll(id="review-diff-box"):
            yield Static("", id="review-diff", markup=False)
        yield Static("", id="review-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("statement", "lock", "rw", "ms", "target blockers")
        if self.result is not None:
            for rec in self.records:
                self._add_row(rec)
            self._finish(self.result, None)
        else:
            self.running = True
            self.run_rehearsal()
        table.focus()

    @work(thread=True, exclusive=True, group="rehearse", exit_on_error=False)
    def run_rehearsal(self) -> None:
        try:
            self._rehearse()
        finally:  # also when the screen was closed meanwhile (its own messages are dropped then)
            if self.over is not None:
                self.over()

    def _rehearse(self) -> None:
        from gtsd_tui.services.data_preflight import PreflightDone
        from gtsd_tui.services.rehearse import RehearsalStarted, StatementRehearsed

        cache: dict[str, list[str]] = {}
        found: list[PreflightDone] = []

        def listen(event: object) -> None:
            if isinstance(event, PreflightDone):
                found.append(event)
            elif isinstance(event, RehearsalStarted):
                self.post_message(Rehearsed(0, event.total, None, []))
            elif isinstance(event, StatementRehearsed):
                path = event.record.file
                if path not in cache:  # read by the service: the UI reads no files itself
                    cache[path] = self.backend.file_lines(path)
                self.post_message(Rehearsed(event.done, event.total, event.record, cache[path]))

        try:
            result = self.backend.rehearse(self.to_tag, listen)
        except Exception as exc:  # noqa: BLE001 - shown on the screen; the copy is dropped by the service
            self.post_message(RehearsalFinished(None, str(exc)))
            return
        done = found[0] if found else None
        preflight = None if done is None else (done.result or f"data preflight could not run: {done.error}")
        self.post_message(RehearsalFinished(result, None, preflight))

    def _add_row(self, rec: StatementRecord) -> None:
        name = f"{rec.tag}:{rec.line}"
        rw = Text("✱", style="bold red") if rec.rewrite else Text("·", style="dim")
        table = self.query_one(DataTable)
        table.add_row(
            name, lock_cell(rec), rw, f"{rec.seconds * 1000:.1f}", blockers_cell(rec), key=str(len(table.rows))
        )

    @on(Rehearsed)
    def _rehearsed(self, event: Rehearsed) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(total=max(event.total, 1), progress=event.done)
        if event.record is None:
            return
        self.records.append(event.record)
        self.files[event.record.file] = event.lines
        self._add_row(event.record)
        if len(self.records) == 1:
            self._show_statement(0)

    @on(RehearsalFinished)
    def _finished(self, event: RehearsalFinished) -> None:
        self.running = False
        self.preflight = event.preflight
        self._finish(event.result, event.error)

    def _finish(self, result: Rehearsal | None, error: str | None) -> None:
        from gtsd_tui.core.sql.schema_diff import summary

        self.result = result
        bar = self.query_one(ProgressBar)
        status = self.query_one("#review-status", Static)
        if result is None:
            bar.display = False  # an animated bar would say it is still running
            status.update(f"[red]✗ rehearsal could not run:[/] {error}")
            self.app.refresh_bindings()
            return
        bar.update(total=max(len(result.records), 1), progress=len(result.records))
        lines = ["schema diff:"] + [f"  {line}" for line in summary(result.changes)] + self._preflight_lines()
        self.query_one("#review-diff", Static).update("\n".join(lines))
        head = f"{result.method} copy"
        failing = self._data_failures()
        if failing and result.failure is None:
            status.update(
                f"[red]✗ {failing} statement(s) fail on the target's rows[/] (data preflight below; nothing applied)"
            )
        elif result.failure is not None:
            status.update(f"[red]✗ fails:[/] {result.failure.message}  ({head}; nothing applied)")
        else:
            waits = sum(1 for r in result.records if r.blockers)
            warn = f"  [red]{waits} statement(s) would wait on the target[/]" if waits else ""
            status.update(f"[green]✓[/] {len(result.records)} statement(s) rehearsed ({head}){warn}  a applies")
        if result.notice:
            self.notify(result.notice, severity="warning")
        if self.records:
            self._show_statement(0)
        self.app.refresh_bindings()

    def _data_failures(self) -> int:
        pre = self.preflight
        return 0 if pre is None or isinstance(pre, str) else len(pre.failing)

    def _preflight_lines(self) -> list[str]:
        """The data preflight on the target: what fails or is lost (the checks that found nothing left out)."""
        pre = self.preflight
        if pre is None:
            return []
        if isinstance(pre, str):
            return ["", pre]
        found = [f"  {f.line()}" for f in pre.findings if f.status != "ok"]
        return ["", "data preflight on the target:"] + (found or ["  nothing fails, nothing is lost"])

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._show_statement(int(event.row_key.value))

    def _show_statement(self, index: int) -> None:
        if index >= len(self.records):
            return
        rec = self.records[index]
        preview = self.query_one(SqlPreview)
        preview.show(self.files.get(rec.file, []), chunk_lines=[rec.line])
        preview.scroll_to(y=max(0, rec.line - 3), animate=False)
        detail = [f"{rec.tag}:{rec.line}:{rec.column}  {rec.seconds * 1000:.1f} ms"]
        detail += [f"rewrites {', '.join(rec.rewrites)}"] if rec.rewrite else []
        detail += [f"already held: {', '.join(f'{m} {r}' for m, r in rec.already_held)}"] if rec.already_held else []
        detail += [f"would wait behind {b.describe()} on {rel}" for rel, b in rec.blockers]
        detail += [rec.error] if rec.error else []
        self.query_one("#review-detail", Static).update("  ".join(detail[:1]) + "\n" + "; ".join(detail[1:]))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply":
            if getattr(self.app, "read_only", False):
                return False
            ready = self.result is not None and self.result.failure is None and not self.running
            return True if ready and not self._data_failures() else None
        return True

    def action_shadowed(self) -> None:
        """Keys of the main screen do nothing here."""

    def action_apply(self) -> None:
        """Asks first, as apply does everywhere else, with the rehearsal's verdict in the question."""
        from gtsd_tui.tui.screens.confirm import ConfirmScreen

        result = self.result
        if result is None:
            return
        waits = sum(1 for r in result.records if r.blockers)
        rewrites = sum(1 for r in result.records if r.rewrite)
        verdict = [f"Rehearsal: ✓ {len(result.records)} statement(s) ran on a {result.method} copy."]
        verdict += [f"{rewrites} statement(s) rewrite a table (✱)."] if rewrites else []
        verdict += [f"{waits} statement(s) would wait behind sessions on the target now."] if waits else []
        verdict += ["Applied with the careful options: a short lock_timeout, retried on a lock timeout."]
        target = f"up to {self.to_tag}" if self.to_tag else "all pending migrations"

        def answer(yes: bool | None) -> None:
            if yes:
                self.dismiss(True)

        self.app.push_screen(ConfirmScreen(f"Apply {target}?", "\n".join(verdict), action_label="Apply"), answer)

    def action_close(self) -> None:
        if self.running:
            self.backend.cancel_apply()  # the service's canceller stops the rehearsal (the copy is dropped)
        self.dismiss(False)
