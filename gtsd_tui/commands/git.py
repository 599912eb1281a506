"""``gtsd-tui git install|uninstall`` (and the entries git itself calls: ``git driver``, ``git hook``).

``driver`` and ``hook`` are reached through :func:`fast_main`: from :func:`entry` (the ``python -c``
command install writes) or straight from ``gtsd_tui.cli.main``. Git runs the driver once per
conflicted file, so that path imports no other subcommand, no argparse (and no database driver, no
Textual, no pglast).
"""

from __future__ import annotations

import sys

from gtsd_tui.errors import EXIT_OK, EXIT_USAGE, GtsdError, InputError

TYPE_CHECKING = False
if TYPE_CHECKING:  # the driver's start imports neither typing nor pathlib
    import argparse
    from pathlib import Path
    from typing import Any

FAST = ("driver", "hook")


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    import argparse

    p = sub.add_parser("git", parents=[common], help="merge driver and hooks: git merge/rebase renumber by themselves")
    actions = p.add_subparsers(dest="git_action", metavar="ACTION", required=True)
    inst = actions.add_parser("install", parents=[common], help="merge driver, .gitattributes and hooks for this clone")
    inst.add_argument(
        "--mainline",
        action="append",
        metavar="REF",
        help="a branch whose migrations never move (repeatable; default: origin's HEAD branch, else main/master)",
    )
    inst.add_argument(
        "--branch-db",
        action="store_true",
        help="also a post-checkout hook: the local database follows the checked-out branch",
    )
    actions.add_parser("uninstall", parents=[common], help="restore every byte install changed")
    for name in FAST:  # called by git; normally reached through fast_main before this parser is built
        fast = actions.add_parser(name, help=f"(called by git) the {name}", add_help=False)
        fast.add_argument("args", nargs=argparse.REMAINDER)


def run(args: argparse.Namespace, project: Any) -> int:
    from gtsd_tui.services import git_install

    folder: Path = project.folder_path
    if args.git_action == "install":
        lines = git_install.install(folder, args.mainline, branch_db=args.branch_db)
    elif args.git_action == "uninstall":
        lines = git_install.uninstall(folder)
    else:  # `gtsd-tui --json git driver ...` and the like: the same as the fast path
        return fast_main([args.git_action, *args.args])
    if args.json:
        from gtsd_tui.commands.output import print_json

        print_json({"action": args.git_action, "messages": lines})
    else:
        for line in lines:
            print(line)
    return EXIT_OK


def _hook_args(argv: list[str]) -> tuple[str, str, list[str]]:
    """``NAME --migrations DIR [git's arguments...]`` (git's own arguments are passed through as they are)."""
    if len(argv) < 3 or argv[1] != "--migrations":
        raise InputError("usage: hook NAME --migrations DIR [ARGS...]")
    return argv[0], argv[2], argv[3:]


def fast_main(argv: list[str]) -> int:
    """``driver %O %A %B %P [%L]`` or ``hook NAME --migrations DIR [git's arguments]``."""
    try:
        if argv[:1] == ["driver"] and len(argv) in (5, 6):
            from gtsd_tui.services.git_hooks import run_driver

            code, lines = run_driver(*argv[1:])
        elif argv[:1] == ["hook"]:
            code, lines = _hook(*_hook_args(argv[1:]))
        else:
            print("gtsd-tui git: usage: driver %O %A %B %P [%L] | hook NAME --migrations DIR", file=sys.stderr)
            return EXIT_USAGE
    except GtsdError as exc:
        print(f"gtsd-tui: {exc}", file=sys.stderr)
        return exc.exit_code
    for line in lines:
        print(line, file=sys.stderr)
    return code


def _hook(name: str, migrations: str, rest: list[str]) -> tuple[int, list[str]]:
    from pathlib import Path

    from gtsd_tui.services import git_hooks
    from gtsd_tui.services.git_merge import git_out

    cwd = Path.cwd()
    if name == "pre-commit":  # the work tree's top and MERGE_HEAD's place from one git process
        lines = git_out(cwd, "rev-parse", "--show-toplevel", "--git-path", "MERGE_HEAD").split("\n")
        if len(lines) == 2:
            return git_hooks.pre_commit(Path(lines[0]), Path(lines[0]) / migrations, cwd / lines[1])
    top = Path(git_out(cwd, "rev-parse", "--show-toplevel"))
    folder = top / migrations
    if name == "post-merge":
        return git_hooks.post_merge(top, folder, rest[0] if rest else "0")
    if name == "post-rewrite":
        return git_hooks.post_rewrite(top, folder, rest[0] if rest else "", sys.stdin.read())
    if name == "pre-commit":
        return git_hooks.pre_commit(top, folder)
    if name == "post-checkout":
        if len(rest) != 3:
            return EXIT_USAGE, ["gtsd-tui git hook post-checkout: usage: PREV NEW FLAG"]
        from gtsd_tui.process_exit import resume_gc
        from gtsd_tui.services.branch_db import post_checkout

        resume_gc()  # the collector back on for the database work (paused by the entry: gtsd_tui/start.py)
        outcome = post_checkout(top, folder, *rest)
        return outcome.code, outcome.lines
    return EXIT_USAGE, [f"gtsd-tui git hook: unknown hook {name}"]


def entry() -> None:
    """What the driver and hook commands run (``python -c``): no ``-m`` look-up, no CLI parser; left
    through ``os._exit`` when nothing remains for the interpreter's exit (``process_exit``)."""
    from gtsd_tui.process_exit import leave

    sys.exit(leave(fast_main(sys.argv[1:])))
