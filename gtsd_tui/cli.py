"""Command line: ``gtsd-tui [SUBCOMMAND] [options]``; no subcommand opens the console.

Exit codes (every subcommand): 0 fine; 1 the command found problems; 2 usage or input
error; 3 database error; 4 migration lock not acquired.
"""

from __future__ import annotations

import _signal  # the builtin under signal: its Signals/Handlers enums are not built at every start
import os
import sys
from types import SimpleNamespace

from gtsd_tui.config import scrub
from gtsd_tui.errors import GtsdError
from gtsd_tui.process_exit import resume_gc  # (the script's entry imports it anyway: gtsd_tui/start.py)

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing itself is not imported at start-up)
    import argparse
    from collections.abc import Sequence
    from typing import Any

# The forms the git hooks and pre-commit run (``check --offline``, ``lint FILE``), read by hand: argparse
# and what it loads (gettext, locale, shutil) cost those starts more than the check itself. Any other
# form, or any doubt, goes to argparse (gtsd_tui/cli_parser.py), which reads it as before.
_PROJECT_VALUES = {
    "--database-url": "database_url",
    "--migrations": "migrations",
    "--migrations-schema": "migrations_schema",
    "--migrations-table": "migrations_table",
    "--env": "env",
}
_FORMATS = ("text", "json", "github", "sarif")
# per command: its flags (option -> (dest, value)), its value options, its repeatable ones, its defaults
_HOOK_COMMANDS: dict[str, tuple[dict[str, tuple[str, bool]], dict[str, str], dict[str, str], dict[str, object]]] = {
    "check": (
        {"--offline": ("offline", True)},
        {"--base": "base", "--format": "format"},
        {},
        {"base": None, "offline": False, "format": None},
    ),
    "lint": (
        {"--assume-in-transaction": ("assume_in_transaction", True),
         "--no-assume-in-transaction": ("assume_in_transaction", False)},
        {"--format": "format", "--pg-version": "pg_version", "-c": "config", "--config": "config",
         "--stdin-filepath": "stdin_filepath"},
        {"-e": "exclude", "--exclude": "exclude", "-i": "include", "--include": "include"},
        {"files": [], "format": None, "exclude": [], "include": [], "pg_version": None,
         "assume_in_transaction": None, "config": None, "stdin_filepath": None, "explain": None},
    ),
}  # fmt: skip


def hook_args(argv: Sequence[str]) -> SimpleNamespace | None:
    """``[project options] check|lint [options] [FILES...]``, and the console's ``[project options]
    [--read-only]`` (no command: argparse, gettext and the parser's build were about 5 ms of the first
    frame's path), in the plain forms (``--opt VALUE``, exact option names), read without argparse into
    the attributes argparse gives; None for anything else (another command, ``--opt=VALUE``, an
    abbreviation, help, a value starting with ``-``, ...)."""
    out: dict[str, object] = {"database_url": None, "migrations": None, "migrations_schema": None}
    out.update(migrations_table=None, env=None, json=False, read_only=False, command=None)
    flags: dict[str, tuple[str, bool]] = {"--json": ("json", True), "--read-only": ("read_only", True)}
    values: dict[str, str] = dict(_PROJECT_VALUES)
    repeated: dict[str, str] = {}
    files: list[str] | None = None  # the positional run (lint), once
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in flags:
            out[flags[arg][0]] = flags[arg][1]
        elif arg in values or arg in repeated:
            if i + 1 == len(argv) or argv[i + 1].startswith("-"):
                return None
            i += 1
            if arg in values:
                out[values[arg]] = argv[i]
            else:
                out[repeated[arg]] = [*out[repeated[arg]], argv[i]]  # type: ignore[misc]
        elif arg.startswith("-"):
            return None
        elif out["command"] is None:
            if arg not in _HOOK_COMMANDS or out["read_only"]:  # (--read-only with a command: argparse's)
                return None
            own_flags, own_values, repeated, defaults = _HOOK_COMMANDS[arg]
            flags = {"--json": flags["--json"], **own_flags}  # --read-only: the console's
            values = {**values, **own_values}
            out.update(command=arg, **{k: list(v) if isinstance(v, list) else v for k, v in defaults.items()})
        elif out["command"] == "lint" and files is None:
            files = [arg]
            while i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                i += 1
                files.append(argv[i])
            out["files"] = files
        else:  # a second run of files, a positional for check: argparse words the error
            return None
        i += 1
    if out.get("format") not in (None, *_FORMATS):
        return None
    return SimpleNamespace(**out)  # (no command: the console)


def _settings(args: Any) -> Any:
    from gtsd_tui.config import load_settings

    return load_settings(
        database_url=args.database_url,
        migrations=args.migrations,
        schema=args.migrations_schema,
        table=args.migrations_table,
        env_name=args.env,
    )


def _settings_or_none(args: Any) -> Any:
    """The settings of an early parse (``_early_copy``, ``_early_status``); None without one, or when
    they do not load (the full run then says why)."""
    if args is None:
        return None
    try:
        return _settings(args)
    except GtsdError:
        return None


def _project(args: Any) -> Any:
    from gtsd_tui.services.project import Project

    return Project(_settings(args))


def build_parser(*, with_commands: bool = True, only: str | None = None) -> argparse.ArgumentParser:
    """The argparse parser (:func:`gtsd_tui.cli_parser.build_parser`)."""
    from gtsd_tui.cli_parser import build_parser

    return build_parser(with_commands=with_commands, only=only)


def _console_args(argv: Sequence[str]) -> argparse.Namespace | None:
    from gtsd_tui.cli_parser import console_args

    return console_args(argv)


def _early_copy(argv: Sequence[str]) -> Any:
    """For a run that will rehearse (``rehearse``, ``migrate --rehearse``): its copy asked for now,
    before the subcommands and psycopg load (:func:`gtsd_tui.services.rehearse_copy.start_early_copy`).
    None otherwise, or when anything is unclear (the full parse then says what)."""
    if "rehearse" not in argv and "--rehearse" not in argv:  # every other start-up: not even a parser
        return None
    from gtsd_tui.cli_parser import rehearse_args

    settings = _settings_or_none(rehearse_args(argv))
    if settings is None:
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
    for sig in (_signal.SIGTERM, _signal.SIGHUP):
        try:
            if _signal.getsignal(sig) == _signal.SIG_DFL:
                before[sig] = _signal.signal(sig, _terminate)
        except ValueError:  # not the main thread (tests calling main from a thread): as before
            pass
    return before


def _restore(handlers: dict[int, Any]) -> None:
    for sig, handler in handlers.items():
        _signal.signal(sig, handler)


def entry() -> int:
    """The ``gtsd-tui`` script's entry point (``sys.exit(entry())``): :func:`main`, left through
    ``os._exit`` when nothing remains for the interpreter's exit (``process_exit``: a hook's
    ``check``/``lint`` run)."""
    from gtsd_tui.process_exit import leave

    return leave(main())


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
    from gtsd_tui.cli_parser import status_args

    settings = _settings_or_none(status_args(argv))
    if settings is None:
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
    args: Any = hook_args(argv)
    hook_form = args is not None
    if args is None:
        from gtsd_tui.cli_parser import parse

        args = parse(argv)
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
            resume_gc()
            return run_console(project, read_only=args.read_only)
        name = f"gtsd_tui.commands.{args.command.replace('-', '_')}"
        __import__(name)  # (importlib.import_module's work, without importing importlib and warnings)
        module = sys.modules[name]
        if not hook_form:  # the hook forms' short runs keep it paused (gtsd_tui/start.py)
            resume_gc()
        return int(module.run(args, project))
    except GtsdError as exc:
        return _fail(scrub(str(exc), url), exc.exit_code, as_json, _connect_advice(str(exc), args))
    except Terminated as exc:
        import signal

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


def _connect_advice(message: str, args: Any) -> str | None:
    """For a failed connection, what to do (the console's line under its header says the same)."""
    if not message.startswith("cannot connect to "):
        return None
    from gtsd_tui.core.connect_failure import advice, failure_kind

    origin = "--database-url" if args.database_url else "DATABASE_URL"
    return advice(failure_kind(message), origin, console=False)


def _fail(message: str, code: int, as_json: bool, hint: str | None = None) -> int:
    from gtsd_tui.commands.output import fail

    return fail(message, code, as_json, hint)
