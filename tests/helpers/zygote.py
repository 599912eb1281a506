"""``python -m gtsd_tui`` as a real process, started by fork from a Python that has already imported the
heavy third-party libraries (psycopg, psycopg_pool, msgspec, pglast): the suite starts well over a
thousand gtsd-tui processes, and importing those libraries was most of each one's cost.

Each run is its own process, with its own pid, arguments, environment, working folder and stdin/stdout/
stderr, which exits with its own code (negative when a signal ended it, as ``subprocess`` says it); it
imports gtsd-tui itself afresh, so nothing of gtsd-tui is shared between runs. What it does not show is
the start-up itself: tests about which modules a command imports, or how it starts, run a fresh
interpreter with ``subprocess`` (``tests/test_import_sets.py``, ``bench/hook_start.py``). A run whose
environment changes a ``PYTHON*`` variable (which only a fresh interpreter reads) gets a fresh one too;
``GTSD_TEST_FRESH_PROCESSES=1`` makes every run a fresh interpreter.

Protocol, one connection a run: the client sends a JSON request with its three descriptors (SCM_RIGHTS);
the zygote forks a monitor, which forks the run, sends its pid, waits for it and sends its exit code
(two network-order ints). The zygote ignores SIGCHLD (its monitors are reaped by the kernel) and exits
when the test worker that started it is gone.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

PRELOAD = ("psycopg", "psycopg.rows", "psycopg.sql", "psycopg_pool", "msgspec", "msgspec.json", "pglast", "argparse")
ENV_SWITCH = "GTSD_TEST_FRESH_PROCESSES"


def _serve(path: str, parent: int) -> None:
    import importlib
    import signal

    del sys.path[0]  # this file's folder; a run gets its working folder there, as ``python -m`` gives
    for name in PRELOAD:
        importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(128)
    server.settimeout(1.0)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while os.getppid() == parent:
        try:
            conn, _ = server.accept()
        except TimeoutError:
            continue
        conn.settimeout(None)
        msg, fds, _, _ = socket.recv_fds(conn, 1 << 22, 3)
        if os.fork() == 0:
            server.close()
            _monitor(conn, json.loads(msg), fds)
        conn.close()
        for fd in fds:
            os.close(fd)


def _monitor(conn: socket.socket, req: dict[str, Any], fds: list[int]) -> None:
    import signal

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    try:
        pid = os.fork()
        if pid == 0:
            conn.close()
            _child(req, fds)
        for fd in fds:
            os.close(fd)
        conn.sendall(struct.pack("!i", pid))
        _, status = os.waitpid(pid, 0)
        conn.sendall(struct.pack("!i", os.waitstatus_to_exitcode(status)))
    finally:
        os._exit(0)


def _child(req: dict[str, Any], fds: list[int]) -> None:
    code = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            os.close(fd)
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        import random

        random.seed()  # the zygote's state would be every child's
        code = _run_module(req["args"])
    finally:
        os._exit(code)


def _run_module(args: list[str]) -> int:
    import runpy

    sys.argv = ["-m", *args]
    sys.path.insert(0, os.getcwd())
    code = 0
    try:
        runpy.run_module("gtsd_tui", run_name="__main__", alter_sys=True)
    except SystemExit as exc:  # as the interpreter does at exit
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except KeyboardInterrupt:  # as the interpreter ends on one: by the signal itself
        import signal

        sys.stdout.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    threading._shutdown()  # type: ignore[attr-defined]  # non-daemon threads are joined, as at exit
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    return code


class Zygote:
    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="gtsd-zygote-")
        self.path = os.path.join(self.dir, "sock")
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env = env
        self.last_pid = 0
        self.proc = subprocess.Popen(
            [sys.executable, __file__, self.path, str(os.getpid())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=str(Path(__file__).resolve().parents[2]),
        )
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the test zygote did not start")

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for name in ("sock",):
            try:
                os.unlink(os.path.join(self.dir, name))
            except OSError:
                pass
        os.rmdir(self.dir)

    def serves(self, env: dict[str, str]) -> bool:
        """Whether a run with this environment may come from the zygote (the interpreter's own settings
        are read once, at its start)."""
        keys = {k for k in {*env, *self.env} if k.startswith("PYTHON")}
        return self.proc.poll() is None and all(env.get(k) == self.env.get(k) for k in keys)

    def popen(self, args: list[str], *, cwd: Path | str | None, env: dict[str, str]) -> ZygoteRun:
        return ZygoteRun(self, args, cwd=cwd, env=env)

    def run(
        self, args: list[str], *, cwd: Path | str | None, env: dict[str, str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        """As ``subprocess.run(..., capture_output=True, text=True, timeout=timeout)``: a run that outlives
        ``timeout`` is killed and TimeoutExpired raised with what it printed."""
        run = self.popen(args, cwd=cwd, env=env)
        try:
            run.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(run.pid, 9)
            out, err = run.communicate(60)
            raise subprocess.TimeoutExpired(run.args, timeout, out, err) from None
        out, err = run.communicate()
        return subprocess.CompletedProcess(run.args, run.returncode, out, err)


class ZygoteRun:
    """A started run, as much of ``subprocess.Popen``'s surface as the tests use: ``pid``, ``returncode``,
    ``wait(timeout)``, ``communicate(timeout)`` (its whole stdout and stderr, once it has ended)."""

    def __init__(self, zygote: Zygote, args: list[str], *, cwd: Path | str | None, env: dict[str, str]) -> None:
        self.args = [sys.executable, "-m", "gtsd_tui", *args]
        self.returncode: int | None = None
        self._out = tempfile.TemporaryFile()  # noqa: SIM115  # closed by communicate()
        self._err = tempfile.TemporaryFile()  # noqa: SIM115
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.connect(zygote.path)
        req = {"args": list(args), "cwd": str(cwd or os.getcwd()), "env": env}
        with open(os.devnull, "rb") as null:
            socket.send_fds(
                self._sock, [json.dumps(req).encode()], [null.fileno(), self._out.fileno(), self._err.fileno()]
            )
        self._sock.settimeout(60)
        self.pid = zygote.last_pid = _int(self._sock)
        self._sock.settimeout(None)
        self._ended = threading.Thread(target=self._reap, daemon=True)
        self._ended.start()

    def _reap(self) -> None:
        try:
            self.returncode = _int(self._sock)
        finally:
            self._sock.close()

    def wait(self, timeout: float | None = None) -> int:
        self._ended.join(timeout)
        if self._ended.is_alive():
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        if self.returncode is None:
            raise RuntimeError("the test zygote's monitor went away")
        return self.returncode

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        self.wait(timeout)
        out, err = _read(self._out), _read(self._err)
        self._out.close()
        self._err.close()
        return out, err


def _int(sock: socket.socket) -> int:
    data = b""
    while len(data) < 4:
        chunk = sock.recv(4 - len(data))
        if not chunk:
            raise RuntimeError("the test zygote's monitor went away")
        data += chunk
    return int(struct.unpack("!i", data)[0])


def _read(f: IO[bytes]) -> str:
    """As ``subprocess.run(text=True)`` decodes: the locale's encoding (UTF-8 here), universal newlines."""
    f.seek(0)
    return f.read().decode().replace("\r\n", "\n").replace("\r", "\n")


_lock = threading.Lock()
_zygote: Zygote | None = None


def zygote() -> Zygote | None:
    """This test process's zygote, started on first use; None when fresh processes are asked for."""
    global _zygote
    if os.environ.get(ENV_SWITCH) == "1":
        return None
    with _lock:
        if _zygote is None:
            import atexit

            _zygote = Zygote()
            atexit.register(_zygote.stop)
        return _zygote


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]))
