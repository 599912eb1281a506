"""``gtsd-tui completion bash|zsh|fish``: a shell completion script, generated from the parser itself.

Subcommands and their flags come from the argparse parser (a new flag completes without touching this
file); where an argument takes a migration tag (``--to``, ``revert``, ``forget``, ``accept``) or an
environment name (``--env``, ``envs``), the script asks ``gtsd-tui completion --values tags|envs`` at
completion time, in the folder the user is in.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gtsd_tui.errors import EXIT_OK, InputError
from gtsd_tui.services.project import Project

TAG_OPTIONS = ("--to",)
ENV_OPTIONS = ("--env",)
DIR_OPTIONS = ("--migrations",)
FILE_OPTIONS = ("--config", "--seed", "--targets", "--stdin-filepath")
TAG_POSITIONALS = ("revert", "forget", "accept")
ENV_POSITIONALS = ("envs",)


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("completion", parents=[common], help="print a shell completion script (bash, zsh, fish)")
    p.add_argument("shell", nargs="?", choices=("bash", "zsh", "fish"), help="the shell to complete in")
    p.add_argument("--values", choices=("tags", "envs"), help=argparse.SUPPRESS)  # asked by the scripts


def run(args: argparse.Namespace, project: Project) -> int:
    if args.values:
        print("\n".join(_values(args.values, project)))
        return EXIT_OK
    if not args.shell:
        raise InputError("completion: name the shell: gtsd-tui completion bash|zsh|fish")
    from gtsd_tui.cli_parser import build_parser

    spec = _spec(build_parser())
    sys.stdout.write({"bash": bash, "zsh": zsh, "fish": fish}[args.shell](spec))
    return EXIT_OK


def _values(kind: str, project: Project) -> list[str]:
    """The folder's migration tags, or the environment names of the working directory; nothing (not an
    error) when there are none, so a completion never prints a message into the command line."""
    from gtsd_tui.errors import GtsdError

    try:
        if kind == "tags":
            return [m.tag for m in project.load_folder().migrations]
        from gtsd_tui.services.targets import env_names

        return env_names(Path.cwd())
    except (GtsdError, OSError):
        return []


Spec = dict[str, Any]


def _options(parser: argparse.ArgumentParser) -> tuple[list[str], list[str]]:
    """(every option string, those that take a value), help suppressed ones left out."""
    flags: list[str] = []
    valued: list[str] = []
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        flags += action.option_strings
        if action.nargs != 0:
            valued += action.option_strings
    return flags, valued


def _spec(parser: argparse.ArgumentParser) -> Spec:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help or "" for c in sub._choices_actions}
    commands: dict[str, Any] = {}
    for name, p in sub.choices.items():
        flags, valued = _options(p)
        words = [c for a in p._actions if not a.option_strings and a.choices for c in a.choices]
        commands[name] = {"flags": flags, "valued": valued, "words": words, "help": helps.get(name, "")}
    flags, valued = _options(parser)
    return {"commands": commands, "flags": flags, "valued": valued}


def _words(items: list[str]) -> str:
    return " ".join(sorted(set(items)))


def _ask(kind: str) -> str:
    return f'COMPREPLY=($(compgen -W "$(gtsd-tui completion --values {kind} 2>/dev/null)" -- "$cur")); return'


def bash(spec: Spec) -> str:
    commands = spec["commands"]
    valued = set(spec["valued"])
    for c in commands.values():
        valued |= set(c["valued"])
    cases = "\n".join(
        f'        {name}) words="{_words(c["flags"] + c["words"])}" ;;' for name, c in sorted(commands.items())
    )
    tags, envs = _ask("tags"), _ask("envs")
    where = "~/.local/share/bash-completion/completions/gtsd-tui"
    return f"""# gtsd-tui completion for bash (gtsd-tui completion bash > {where})
_gtsd_tui() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    local cmd="" skip="" i w words
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${{COMP_WORDS[i]}}"
        if [[ -n $skip ]]; then skip=""; continue; fi
        case " {_words(sorted(valued))} " in *" $w "*) skip=1; continue ;; esac
        [[ $w == -* ]] && continue
        cmd="$w"; break
    done
    case "$prev" in
        {"|".join(TAG_OPTIONS)}) {tags} ;;
        {"|".join(ENV_OPTIONS)}) {envs} ;;
        {"|".join(DIR_OPTIONS)}) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        {"|".join(FILE_OPTIONS)}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    if [[ $cur != -* ]]; then
        case "$cmd" in
            {"|".join(TAG_POSITIONALS)}) {tags} ;;
            {"|".join(ENV_POSITIONALS)}) {envs} ;;
        esac
    fi
    case "$cmd" in
        "") words="{_words(list(commands) + spec["flags"])}" ;;
{cases}
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -o default -F _gtsd_tui gtsd-tui
"""


def zsh(spec: Spec) -> str:
    """zsh runs the bash function through its bashcompinit (the completion is the same in both)."""
    return (
        '# gtsd-tui completion for zsh: in ~/.zshrc, eval "$(gtsd-tui completion zsh)"\n'
        "autoload -U +X compinit && compinit\n"
        "autoload -U +X bashcompinit && bashcompinit\n" + bash(spec).split("\n", 1)[1]
    )


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fish(spec: Spec) -> str:
    commands = spec["commands"]
    names = " ".join(sorted(commands))
    lines = [
        "# gtsd-tui completion for fish (gtsd-tui completion fish > ~/.config/fish/completions/gtsd-tui.fish)",
        "complete -c gtsd-tui -f",
    ]
    for name, c in sorted(commands.items()):
        first = f"-n 'not __fish_seen_subcommand_from {names}'"
        lines.append(f"complete -c gtsd-tui {first} -a {name} -d {_fish_quote(c['help'])}")
    for name, c in sorted(commands.items()):
        seen = f"-n '__fish_seen_subcommand_from {name}'"
        for flag in c["flags"]:
            kind = "-l " + flag[2:] if flag.startswith("--") else "-s " + flag[1:]
            value = ""
            if flag in TAG_OPTIONS:
                value = " -x -a '(gtsd-tui completion --values tags 2>/dev/null)'"
            elif flag in ENV_OPTIONS:
                value = " -x -a '(gtsd-tui completion --values envs 2>/dev/null)'"
            elif flag in DIR_OPTIONS:
                value = " -x -a '(__fish_complete_directories)'"
            elif flag in FILE_OPTIONS:
                value = " -r -F"
            elif flag in c["valued"]:
                value = " -x"
            lines.append(f"complete -c gtsd-tui {seen} {kind}{value}")
        if c["words"]:
            lines.append(f"complete -c gtsd-tui {seen} -a {_fish_quote(' '.join(c['words']))}")
        if name in TAG_POSITIONALS:
            lines.append(f"complete -c gtsd-tui {seen} -a '(gtsd-tui completion --values tags 2>/dev/null)'")
        if name in ENV_POSITIONALS:
            lines.append(f"complete -c gtsd-tui {seen} -a '(gtsd-tui completion --values envs 2>/dev/null)'")
    return "\n".join(lines) + "\n"
