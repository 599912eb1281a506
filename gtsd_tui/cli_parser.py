"""The argparse side of the command line (:mod:`gtsd_tui.cli`): the full parser with every subcommand,
the console's options alone, one subcommand's parser, and the quick look of a run that will rehearse.

Imported only when :func:`gtsd_tui.cli.hook_args` (the hand-read forms the git hooks use) cannot read
the arguments: ``check --offline`` and ``lint FILE`` start without argparse (and what argparse loads:
gettext, locale, shutil)."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from typing import Any

from gtsd_tui import __version__
from gtsd_tui.errors import EXIT_USAGE

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


ARGV: list[str] = []  # the arguments being parsed: a usage error under --json is JSON too


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, exit 2
        if "--json" in ARGV:
            from gtsd_tui.commands.output import fail, set_command

            set_command(next((a for a in ARGV if a in COMMANDS), None))
            fail(f"error: {message} (see --help)", EXIT_USAGE, True)
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
    common = common_options(for_subcommand=True)  # (the console's parse builds no subcommand: not before)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_FastParser if only else _Parser)
    for name in (only,) if only else COMMANDS:
        importlib.import_module(f"gtsd_tui.commands.{name}").add_parser(sub, common)
    return parser


def console_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """The console's arguments when no subcommand (nor help) is named: parsed without importing the
    subcommands' modules (about 0.1 s of the console's start-up). Anything unknown: None (the full
    parser then names the error exactly as before)."""
    if any(a in COMMANDS or a in ("-h", "--help") for a in argv):
        return None
    args, rest = build_parser(with_commands=False).parse_known_args(argv)
    return None if rest else args


def fast_args(argv: Sequence[str]) -> argparse.Namespace | None:
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


def parse(argv: list[str]) -> argparse.Namespace:
    """The arguments as argparse reads them: the console's options alone, else the one subcommand's
    parser, else the full parser (which words every error, exit 2)."""
    ARGV[:] = argv
    return console_args(argv) or fast_args(argv) or build_parser().parse_args(argv)


def _quick_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]] | None:
    """The project options and the command word, read before anything else loads, with the rest of the
    line; None when anything is unclear or help is asked for (the full parse says what)."""
    quick = argparse.ArgumentParser(add_help=False, parents=[common_options()], exit_on_error=False)
    quick.add_argument("command", nargs="?")
    try:
        args, rest = quick.parse_known_args(argv)
    except (argparse.ArgumentError, SystemExit):
        return None
    return None if "-h" in rest or "--help" in rest else (args, rest)


def status_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """The project options of a ``status`` run (:func:`_quick_args`); None otherwise."""
    got = _quick_args(argv)
    return got[0] if got is not None and got[0].command == "status" else None


def rehearse_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """The project options of a run that will rehearse (``rehearse``, ``migrate --rehearse``); None
    otherwise (:func:`_quick_args`)."""
    got = _quick_args(argv)
    if got is None:
        return None
    args, rest = got
    migrate = args.command == "migrate" and "--rehearse" in rest and "--dry-run" not in rest
    return args if args.command == "rehearse" or migrate else None
