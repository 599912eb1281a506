"""``E``: the highlighted pending migration in the user's editor, the console suspended meanwhile."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gtsd_tui.tui.app import GtsdApp


def editor_command(environ: dict[str, str], path: str) -> list[str]:
    """``$VISUAL``, else ``$EDITOR`` (split as a shell would: ``code --wait``), else ``vi``; the file last."""
    import shlex

    words = shlex.split(environ.get("VISUAL") or environ.get("EDITOR") or "vi")
    return [*words, path]


def edit(app: GtsdApp, tag: str | None) -> None:
    """The highlighted pending migration in ``$EDITOR``, the console suspended meanwhile; the folder
    watcher shows the change once it is saved."""
    import os
    import subprocess

    from textual.app import SuspendNotSupported

    st = app.state
    migration = st.folder.by_tag(tag) if st is not None and st.folder is not None and tag else None
    if st is None or st.folder is None or migration is None or migration.file is None:
        app.notify("no migration file highlighted", severity="warning")
        return
    command = editor_command(dict(os.environ), str(st.folder.file_path(migration)))
    try:
        with app.suspend():
            done = subprocess.run(command, check=False)
    except SuspendNotSupported:
        app.notify("this terminal cannot be handed to an editor", severity="warning")
        return
    except OSError as exc:
        app.notify(f"{command[0]}: {exc.strerror} (set $EDITOR)", severity="error")
        return
    if done.returncode != 0:
        app.notify(f"{command[0]} exited with {done.returncode}", severity="warning")
    from gtsd_tui.tui.flows import reload

    reload(app)
