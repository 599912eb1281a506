"""The console's features, one module each: its actions' handlers (``action_<name>(app, *params)``,
named by its lines in ``tui/actions.py``), its workers, its typed result messages, its dialogs and the
handlers of those messages.

The generic plumbing lives here:

- a feature's module is imported when first used (``actions.feature(name)``);
- ``FeatureMessage``: a worker's result. Every subclass is delivered to ``MainScreen.on_feature_message``,
  which runs the handler its module registered with ``@handles(Message)``;
- ``@fails(group)``: what an unexpected error of a worker group resets (``failed`` routes it; a group
  with no handler gets the generic error dialog).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, cast

from textual.message import Message

if TYPE_CHECKING:
    from gtsd_tui.tui.app import GtsdApp


class FeatureMessage(Message):
    """A feature's typed result, posted by its worker to the main screen, handled by its module."""

    def __init_subclass__(cls, **kwargs: bool | str | None) -> None:
        super().__init_subclass__(**kwargs)  # type: ignore[arg-type]
        cls.handler_name = "on_feature_message"  # one generic dispatch on the main screen


M = TypeVar("M", bound=FeatureMessage)
Handler = Callable[["GtsdApp", FeatureMessage], None]
Failure = Callable[["GtsdApp", str, BaseException | None], None]
HANDLERS: dict[type[FeatureMessage], Handler] = {}
FAILURES: dict[str, Failure] = {}


def handles(message: type[M]) -> Callable[[Callable[[GtsdApp, M], None]], Callable[[GtsdApp, M], None]]:
    """Register ``fn(app, event)`` as the handler of ``message`` (one per message class)."""

    def register(fn: Callable[[GtsdApp, M], None]) -> Callable[[GtsdApp, M], None]:
        assert message not in HANDLERS, f"{message.__name__} has two handlers"
        HANDLERS[message] = cast(Handler, fn)
        return fn

    return register


def dispatch(app: GtsdApp, event: FeatureMessage) -> None:
    HANDLERS[type(event)](app, event)


def fails(*groups: str) -> Callable[[Failure], Failure]:
    """Register ``fn(app, group, exc)`` for an unexpected error of a worker of these groups."""

    def register(fn: Failure) -> Failure:
        for group in groups:
            FAILURES[group] = fn
        return fn

    return register


def failed(app: GtsdApp, group: str, exc: BaseException | None) -> None:
    FAILURES.get(group, unexpected)(app, group, exc)


def unexpected(app: GtsdApp, group: str, exc: BaseException | None, title: str = "") -> None:
    """The error dialog every unexpected worker error ends with."""
    from gtsd_tui.tui.screens.error import ErrorScreen

    app.push_screen(ErrorScreen(title or f"Unexpected error ({group})", "", [f"{type(exc).__name__}: {exc}"]))
