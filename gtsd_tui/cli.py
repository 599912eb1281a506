"""Command line: ``gtsd-tui [SUBCOMMAND] [options]``; no subcommand opens the console.

Exit codes (every subcommand): 0 fine; 1 the command found problems; 2 usage or input
error; 3 database error; 4 migration lock not acquired.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

from gtsd_tui import __version__
from gtsd_tui.config import load_settings, scrub
from gtsd_tui.core.display import shown
from gtsd_tui.errors import EXIT_USAGE, GtsdError

COMMANDS = (
    "status",
    "migrate",
    "check",
    "renumber",
    "git",
    "new",
    "stats",
    "health",
    "lint",
    "reset",
    "branches",
    "backup",
    "restore",
    "forget",
    "revert",
    "rehearse",
    "preflight",
    "accept",
    "server",
    "envs",
    "fleet",
    "drift",
    "baseline",
    "completion",
)


_ARGV: list[str] = []  # the arguments being parsed: a usage error under --json is JSON too


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, exit 2
        if "--json" in _ARGV:
            from gtsd_tui.commands.output import set_command

            set_command(next((a for a in _ARGV if a in COMMANDS), None))
            _fail(f"error: {message} (see --help)", EXIT_USAGE, True)
            self.exit(EXIT_USAGE)
        self.exit(EXIT_USAGE, f"gtsd-tui: error: {message} (see --help)\n")


def common_options(*, for_subcommand: bool = False) -> argparse.ArgumentParser:
    """The project options, accepted before and after the subcommand. On subcommands their defaults
    are suppressed, so ``gtsd-tui --database-url X status`` keeps X."""
    p = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS if for_subcommand else None)
    g = p.add_argument_group("project")
    g.add_argument("--database-url", metavar="URL", help="PostgreSQL URL (else DATABASE_URL, .env, embedded)")
    g.add_argument(
        "--migrations", metavar="DIR", help="migrations folder (else drizzle.config out, ./drizzle, ./migrations)"
    )
    g.add_argument("--migrations-schema", metavar="NAME", help="tracking table schema (default drizzle)")
    g.add_argument("--migrations-table", metavar="NAME", help="tracking table (default __drizzle_migrations)")
    g.add_argument("--env", metavar="NAME", help="read .env.NAME instead of .env")
    g.add_argument(
        "--json",
        action="store_true",
        help="machine-readable output on stdout",
        default=argparse.SUPPRESS if for_subcommand else False,
    )
    return p


class _NotFast(Exception):
    """The one-subcommand parser could not read the arguments: the full parser reads them."""


class _FastParser(_Parser):
    def error(self, message: str) -> Any:
        raise _NotFast(message)


def build_parser(*, with_commands: bool = True, only: str | None = None) -> argparse.ArgumentParser:
    """``with_commands=False``: the console's options only, without importing every subcommand's module;
    ``only``: that subcommand's module alone (``lint`` starts in a fraction of the time)."""
    common = common_options(for_subcommand=True)
    parser = (_FastParser if only else _Parser)(
        prog="gtsd-tui",
        description="Console and CLI for Drizzle-style PostgreSQL migrations.",
        epilog="Exit codes: 0 ok, 1 problems found, 2 usage/input error, 3 database error, 4 lock not acquired.",
        parents=[common_options()],
    )
    parser.add_argument("--version", action="version", version=f"gtsd-tui {__version__}")
    parser.add_argument("--read-only", action="store_true", help="console without apply/renumber/reset")
    if not with_commands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_FastParser if only else _Parser)
    for name in (only,) if only else COMMANDS:
        importlib.import_module(f"gtsd_tui.commands.{name}").add_parser(sub, common)
    return parser


def _settings(args: argparse.Namespace) -> Any:
    return load_settings(
        database_url=args.database_url,
        migrations=args.migrations,
        schema=args.migrations_schema,
        table=args.migrations_table,
        env_name=args.env,
    )


def _project(args: argparse.Namespace) -> Any:
    from gtsd_tui.services.project import Project

    return Project(_settings(args))


def _console_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """The console's arguments when no subcommand (nor help) is named: parsed without importing the
    subcommands' modules (about 0.1 s of the console's start-up). Anything unknown: None (the full
    parser then names the error exactly as before)."""
    if any(a in COMMANDS or a in ("-h", "--help") for a in argv):
        return None
    args, rest = build_parser(with_commands=False).parse_known_args(argv)
    return None if rest else args


def _fast_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """``gtsd-tui [options] COMMAND ...``: parsed with that subcommand's module alone (importing every
    subcommand costs every command about 0.1-0.3 s). Any doubt (help, an unknown option, another
    subcommand's name first): None, and the full parser reads it and words any error."""
    first = next((a for a in argv if a in COMMANDS), None)
    if first is None or any(a in ("-h", "--help", "--version") for a in argv):
        return None
    try:
        return build_parser(only=first).parse_args(argv)
    except _NotFast:
        return None


def _early_copy(argv: Sequence[str]) -> Any:
    """For a run that will rehearse (``rehearse``, ``migrate --rehearse``): its copy asked for now,
    before the subcommands and psycopg load (:func:`gtsd_tui.services.rehearse_copy.start_early_copy`).
    None otherwise, or when anything is unclear (the full parse then says what)."""
    if "rehearse" not in argv and "--rehearse" not in argv:  # every other start-up: not even a parser
        return None
    quick = argparse.ArgumentParser(add_help=False, parents=[common_options()], exit_on_error=False)
    quick.add_argument("command", nargs="?")
    try:
        args, rest = quick.parse_known_args(argv)
        migrate = args.command == "migrate" and "--rehearse" in rest and "--dry-run" not in rest
        if (args.command != "rehearse" and not migrate) or "-h" in rest or "--help" in rest:
            return None
        settings = _settings(args)
    except (argparse.ArgumentError, SystemExit, GtsdError):
        return None
    from gtsd_tui.services.rehearse_copy import start_early_copy

    return start_early_copy(settings)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unwound like Ctrl-C (a rehearsal drops its copy, a migration rolls back)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, _frame: Any) -> None:
    raise Terminated(signum)


def _catch_termination() -> dict[int, Any]:
    """SIGTERM and SIGHUP raise :class:`Terminated` while a subcommand runs; a signal the parent set
    to be ignored (``nohup``) stays ignored. Returns the handlers to put back."""
    before: dict[int, Any] = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            if signal.getsignal(sig) == signal.SIG_DFL:
                before[sig] = signal.signal(sig, _terminate)
        except ValueError:  # not the main thread (tests calling main from a thread): as before
            pass
    return before


def _restore(handlers: dict[int, Any]) -> None:
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["git"] and argv[1:2] in (["driver"], ["hook"]):  # called by git: nothing else imported
        from gtsd_tui.commands.git import fast_main

        return fast_main(argv[1:])
    handlers = _catch_termination()
    try:
        return _main_with_copy(argv, handlers)
    except Terminated as exc:  # in the very first or last instants: the documented exit all the same
        return 128 + exc.signum
    finally:
        _restore(handlers)


def _early_status(argv: Sequence[str]) -> Any:
    """For ``status`` with a configured database: its database side read by a forked child from now on,
    before the subcommand's modules load (:func:`gtsd_tui.services.status_read.start_early`). None
    otherwise, or when anything is unclear (status then reads it itself)."""
    if "status" not in argv:  # every other start-up: not even a parser
        return None
    quick = argparse.ArgumentParser(add_help=False, parents=[common_options()], exit_on_error=False)
    quick.add_argument("command", nargs="?")
    try:
        args, rest = quick.parse_known_args(argv)
        if args.command != "status" or "-h" in rest or "--help" in rest:
            return None
        settings = _settings(args)
    except (argparse.ArgumentError, SystemExit, GtsdError):
        return None
    from gtsd_tui.services.status_read import start_early

    return start_early(settings)


def _main_with_copy(argv: list[str], handlers: dict[int, Any]) -> int:
    early = _early_copy(argv)
    status_child = _early_status(argv)
    try:
        return _main(argv, early, handlers, status_child)
    finally:
        if status_child is not None:  # not taken by status (a usage error): killed and reaped
            status_child.close()
        if early is not None:  # not taken by the rehearsal (a refusal, a usage error): dropped
            _drop_early_copy(early)


def _drop_early_copy(early: Any) -> None:
    from gtsd_tui.services.rehearse_copy import finish_early_copy

    try:
        finish_early_copy(early)
    except GtsdError as exc:  # the server went away meanwhile: say what is left behind, in one line
        why = scrub(str(exc), early.url)
        print(f"gtsd-tui: the rehearsal's copy {early.name} was not dropped: {why}", file=sys.stderr)


def _main(argv: list[str], early: Any, handlers: dict[int, Any], status_child: Any = None) -> int:
    _ARGV[:] = argv
    args = _console_args(argv) or _fast_args(argv) or build_parser().parse_args(argv)
    as_json = bool(getattr(args, "json", False))
    if args.command is not None:  # named in every JSON object it prints
        from gtsd_tui.commands.output import set_command

        set_command(args.command)
    url: str | None = args.database_url  # every message is scrubbed of its passwords, whatever raised it
    try:
        project = _project(args)
        project.early_copy = early
        project.early_status = status_child
        url = project.settings.database_url
        if args.command is None:
            from gtsd_tui.tui.launch import run_console

            _restore(handlers)  # the console's own terminal handling, as before
            return run_console(project, read_only=args.read_only)
        module = importlib.import_module(f"gtsd_tui.commands.{args.command.replace('-', '_')}")
        return int(module.run(args, project))
    except GtsdError as exc:
        return _fail(scrub(str(exc), url), exc.exit_code, as_json, _connect_advice(str(exc), args))
    except Terminated as exc:
        return _fail(f"terminated by {signal.Signals(exc.signum).name}", 128 + exc.signum, as_json)
    except KeyboardInterrupt:
        return _fail("interrupted", 130, as_json)
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: one line unless GTSD_DEBUG asks for the traceback
        if os.environ.get("GTSD_DEBUG"):
            import traceback

            print(scrub(traceback.format_exc(), url), file=sys.stderr, end="")
        message = scrub(f"internal error: {type(exc).__name__}: {exc}", url)
        return _fail(f"{message} (set GTSD_DEBUG=1 for a traceback)", 70, as_json)


def _connect_advice(message: str, args: argparse.Namespace) -> str | None:
    """For a failed connection, what to do (the console's line under its header says the same)."""
    if not message.startswith("cannot connect to "):
        return None
    from gtsd_tui.core.connect_failure import advice, failure_kind

    origin = "--database-url" if args.database_url else "DATABASE_URL"
    return advice(failure_kind(message), origin, console=False)


def _fail(message: str, code: int, as_json: bool, hint: str | None = None) -> int:
    message = shown(message)  # tags and file names in a message never reach the terminal raw
    if hint:  # on the same line: an error is one line
        message = f"{message} ({hint})"
    print(f"gtsd-tui: {message}", file=sys.stderr)
    if as_json:
        from gtsd_tui.commands.output import print_json

        print_json({"error": message, "exit_code": code})
    return code
