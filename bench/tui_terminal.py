"""The console's first screen in a real terminal (tmux), against a bare Textual app timed the same way.

Each run starts its process in a fresh tmux pane of a fixed size (80×24 and 120×34 by default), the
pane's output copied by ``pipe-pane`` into a FIFO this script reads. The process is held by the pane's
shell until the pipe is in place; the clock starts when it is released (``exec`` of the process) and
stops when the output stream holds a migration tag: the first frame that shows one (the console on
the sample folder and on 5,000 generated migrations, none applied: every tag is in Pending).

The yardstick is ``bench/_textual_floor.py --terminal``: a header line, a 20-row DataTable and a
footer, stopped at the first frame that shows a row of its table. Runs alternate (yardstick, sample,
5,000, yardstick, ...; each round starts one case later, since a run's place in the round shifted its
time by as much as the differences measured); each figure is a median of ``BENCH_ROUNDS`` rounds
(default 7) and the ratio is the median of the per-round ratios too. Nothing waits on a poll of
``capture-pane``: a tmux client spawned every few milliseconds would take CPU from the process measured.
Each run's CPU time (its process's threads, from ``/proc``, read when the frame arrives; not the forked
child's) is printed beside, with its own ratio: on a loaded machine the wall time also counts the waits
for a core, which the CPU time does not.

``python bench/tui_terminal.py [--sizes 80x24,120x34] [--before SRC]``. ``--before`` also times the
console of another checkout's source tree (``PYTHONPATH=SRC``, e.g. ``git archive main | tar -x -C SRC``)
in the same rounds: before and after a change, against the same yardstick. Each pane starts in an empty
folder (from the checkout's root ``python -m gtsd_tui`` imported that checkout whatever PYTHONPATH said;
this checkout's console runs with ``PYTHONPATH`` set to it). Uses DATABASE_URL, else the
bench's embedded server. tmux must be on PATH.
"""

from __future__ import annotations

import compileall
import os
import re
import select
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, database_url, fresh_database, generate_folder, gtsd, settle  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
TIMEOUT = 30.0


def tmux(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=check)


SOCKET = f"gtsd-bench-{uuid.uuid4().hex[:8]}"  # a server of its own: never the user's sessions


Case = tuple[list[str], re.Pattern[bytes], dict[str, str]]


def cpu_seconds(pid: int) -> float:
    """CPU time of the process so far, every live thread's (``/proc/PID/task/*/schedstat``: nanoseconds, not
    the clock ticks of ``stat``); a forked child's is not counted."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):  # a thread that has just ended
            pass
    return total / 1e9


def first_frame(
    cmd: list[str], size: tuple[int, int], pattern: re.Pattern[bytes], env: dict[str, str]
) -> tuple[float, float]:
    """Seconds from releasing ``cmd`` in a fresh pane to the first output holding ``pattern``, and the CPU
    seconds its process used meanwhile (read when that output arrives: on a loaded machine the wall time
    also measures the waits for a core, the CPU time much less)."""
    work = Path(tempfile.mkdtemp(prefix="gtsd-tmux-"))
    go, out = work / "go", work / "out"
    os.mkfifo(go)
    os.mkfifo(out)
    name = f"run{uuid.uuid4().hex[:6]}"
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    script = f"read _ < {shlex.quote(str(go))}; exec env {exports} {shlex.join(cmd)}"
    reader = os.open(out, os.O_RDONLY | os.O_NONBLOCK)
    try:
        # started in the run's own empty folder: ``python -m gtsd_tui`` puts its working directory first on
        # sys.path, so from the checkout's root every run (``--before`` too) would import that checkout
        geometry = ["-x", str(size[0]), "-y", str(size[1])]
        tmux("new-session", "-d", "-s", name, "-c", str(work), *geometry, "sh", "-c", script)
        tmux("pipe-pane", "-t", name, f"cat > {shlex.quote(str(out))}")
        time.sleep(0.3)  # the pipe's cat is running (it opens the FIFO); the pane's shell waits on `go`
        pid = int(tmux("display-message", "-p", "-t", name, "#{pane_pid}").stdout)  # the shell, then the process
        cpu0 = cpu_seconds(pid)  # (the shell's exec keeps its pid and its CPU count)
        t0 = time.perf_counter()
        with open(go, "w") as g:
            g.write("\n")
        seen = b""
        while True:
            left = TIMEOUT - (time.perf_counter() - t0)
            if left <= 0:
                raise TimeoutError(f"{shlex.join(cmd)}: no frame matching {pattern.pattern!r} in {TIMEOUT}s")
            if not select.select([reader], [], [], left)[0]:
                continue
            try:
                chunk = os.read(reader, 1 << 16)
            except BlockingIOError:
                continue
            now = time.perf_counter()
            if not chunk:  # the cat is not there yet, or has gone
                time.sleep(0.001)
                continue
            seen = seen[-256:] + chunk
            if pattern.search(seen):
                return now - t0, cpu_seconds(pid) - cpu0
    finally:
        tmux("send-keys", "-t", name, "q", check=False)
        deadline = time.time() + 5
        while time.time() < deadline and tmux("has-session", "-t", name, check=False).returncode == 0:
            time.sleep(0.05)
        tmux("kill-session", "-t", name, check=False)
        os.close(reader)
        shutil.rmtree(work, ignore_errors=True)


def tag_pattern(folder: Path) -> re.Pattern[bytes]:
    """Any tag of the folder, as the console writes it (its first 12 characters: a narrow column cuts
    longer ones with an ellipsis)."""
    tags = sorted({p.stem[:12] for p in folder.glob("*.sql")})
    if len(tags) > 200:  # the generated folder: one shape
        return re.compile(rb"\d{4}_gen_\d")
    return re.compile(b"|".join(re.escape(t.encode()) for t in tags))


def main() -> None:
    compileall.compile_dir(ROOT / "gtsd_tui", quiet=1)
    if shutil.which("tmux") is None:
        sys.exit("tmux is not on PATH")
    sizes = [(80, 24), (120, 34)]
    if "--sizes" in sys.argv:
        spec = sys.argv[sys.argv.index("--sizes") + 1]
        sizes = [(int(w), int(h)) for w, h in (s.split("x") for s in spec.split(","))]
    rounds = int(os.environ.get("BENCH_ROUNDS", "7"))
    admin = database_url()
    big = OUT / "tui_terminal5000"
    shutil.rmtree(big, ignore_errors=True)
    generate_folder(big, 5000)
    settle(big)
    term = {"TERM": "tmux-256color", "COLORTERM": "truecolor"}
    env = {k: v for k in ("PATH", "HOME", "GTSD_CACHE_DIR") if (v := os.environ.get(k))} | term
    floor_cmd = [sys.executable, str(HERE / "_textual_floor.py"), "--terminal"]
    cases: dict[str, Case] = {"floor": (floor_cmd, re.compile(rb"\d{4}_migration"), env)}
    before = sys.argv[sys.argv.index("--before") + 1] if "--before" in sys.argv else None
    for name, folder in (("sample", ROOT / "migrations"), ("5000", big)):
        url = fresh_database(admin, f"bench_tuiterm_{name}")
        cmd = gtsd("--migrations", str(folder), "--database-url", url)
        cases[name] = (cmd, tag_pattern(folder), env | {"PYTHONPATH": str(ROOT)})  # this checkout's console
        if before is not None:
            compileall.compile_dir(before, quiet=1)
            cases[f"{name} before"] = (cmd, tag_pattern(folder), env | {"PYTHONPATH": str(Path(before).resolve())})
    # a session that lives for the whole run: without it the server exits with each run's last session,
    # and the next run's new-session can reach a server that is still exiting (and fail)
    tmux("new-session", "-d", "-s", "keep", "-x", "80", "-y", "24", "sleep", "86400")
    try:
        for size in sizes:
            run_size(size, rounds, cases)
    finally:
        tmux("kill-server", check=False)
        Path(f"/tmp/tmux-{os.getuid()}/{SOCKET}").unlink(missing_ok=True)  # tmux leaves its socket file


def run_size(size: tuple[int, int], rounds: int, cases: dict[str, Case]) -> None:
    runs: dict[str, Callable[[], tuple[float, float]]] = {
        name: (lambda c=cmd, p=pat, e=env: first_frame(c, size, p, e)) for name, (cmd, pat, env) in cases.items()
    }
    for run in runs.values():  # warm the page cache and the digest cache once
        run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    cpus: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for i in range(rounds):  # each round starts at another case: a run's place in the round weighs on it
        for name in names[i % len(names) :] + names[: i % len(names)]:
            wall, cpu = runs[name]()
            times[name].append(wall)
            cpus[name].append(cpu)
    floor, floor_cpu = times["floor"], cpus["floor"]
    bare = statistics.median(floor)
    print(
        f"{size[0]}x{size[1]}: bare Textual app (header, 20-row DataTable, footer): median {bare:.3f}s "
        f"(CPU {statistics.median(floor_cpu):.3f}s)"
    )
    labels = {"sample": "sample folder", "5000": "5,000 migrations"}
    for name in (n for n in times if n != "floor"):
        label = labels[name.split()[0]] + (" (--before)" if name.endswith("before") else "")
        t, c = times[name], cpus[name]
        ratios = [a / b for a, b in zip(t, floor, strict=True)]
        cpu_ratios = [a / b for a, b in zip(c, floor_cpu, strict=True)]
        print(
            f"{size[0]}x{size[1]}: console first frame with tags, {label}: median {statistics.median(t):.3f}s, "
            f"{statistics.median(t) / statistics.median(floor):.2f}x the bare app "
            f"(median of per-round ratios {statistics.median(ratios):.2f}x, "
            f"range {min(ratios):.2f}-{max(ratios):.2f}x; {rounds} rounds; target <= 1.25x); "
            f"CPU {statistics.median(c):.3f}s, {statistics.median(c) / statistics.median(floor_cpu):.2f}x "
            f"(per-round {statistics.median(cpu_ratios):.2f}x, range {min(cpu_ratios):.2f}-{max(cpu_ratios):.2f}x)"
        )


if __name__ == "__main__":
    main()
