"""The extraction pool's fork server: one process loads the extractor, workers fork from it.

multiprocessing's forkserver did this, but every process it forks first rebuilds the
crawl's ``__main__`` by running the crawl's main script again: for ``scrapy crawl`` (the
``bin/scrapy`` script) or scrapyd's runner, that imports Scrapy again in every worker,
costing each one start-up time and memory. It also starts a resource tracker process the
pool has no use for. This server forks workers that run :func:`scraper.workers.protocol.worker_main` on
a socket the crawl sends it, and nothing else.

The crawl starts the server (:func:`ensure_running`, which returns at once: the server
loads the extractor meanwhile) and talks to it over a Unix ``SOCK_SEQPACKET`` pair: it
sends each new worker's end of a socket pair (``SCM_RIGHTS``), the server answers with
the worker's pid, and later with its exit code. The server ignores Ctrl-C, as its
workers do, and exits when the crawl's end of the pair closes.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Sequence

__all__ = ["EXTRACTOR_PRELOAD", "ForkServer", "ForkedWorker", "ensure_running", "serve", "start_extraction_server"]

_MESSAGE = struct.Struct("!cii")  # b"S" pid 0: a worker started; b"E" pid code: it exited
_POLL_SECONDS = 0.05


# -- the server process ------------------------------------------------------------------


def serve(control_fd: int, preload: Sequence[str]) -> None:
    """The server's main loop (its own process): fork a worker for every socket received;
    exit when the crawl closes its end."""
    from scraper.workers.protocol import worker_main

    # Ctrl-C, and a service manager's SIGTERM to the whole group, are for the crawl: it
    # stops gracefully and closes our socket.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    control = socket.socket(fileno=control_fd)
    for name in preload:
        importlib.import_module(name)
    wakeup_r, wakeup_w = os.pipe()
    os.set_blocking(wakeup_w, False)
    signal.set_wakeup_fd(wakeup_w)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # only to wake the select below
    while True:
        ready, _, _ = select.select([control.fileno(), wakeup_r], [], [])
        if wakeup_r in ready:
            os.read(wakeup_r, 4096)
            _report_exits(control)
        if control.fileno() in ready:
            message, fds, _, _ = socket.recv_fds(control, 16, 1)
            if not message:  # the crawl closed its end: no more workers
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(0)  # nothing to tear down, and the crawl waits: no finalising of a big heap
            if not fds:
                continue
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                for fd in (wakeup_r, wakeup_w):
                    os.close(fd)
                control.close()
                code = 0
                try:
                    worker_main(socket.socket(fileno=fds[0]))
                except BaseException:
                    traceback.print_exc()
                    code = 1
                finally:
                    sys.stderr.flush()
                    os._exit(code)
            os.close(fds[0])
            control.sendall(_MESSAGE.pack(b"S", pid, 0))
            _report_exits(control)


def _report_exits(control: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        control.sendall(_MESSAGE.pack(b"E", pid, os.waitstatus_to_exitcode(status)))


# -- the crawl's side --------------------------------------------------------------------


class ForkedWorker:
    """A worker the server forked: its pid, and its exit code once :meth:`join` saw it."""

    def __init__(self, server: ForkServer, pid: int):
        self.server = server
        self.pid = pid
        self.exitcode: int | None = None  # negative: killed by that signal

    def join(self, timeout: float | None = None) -> None:
        """Wait (blocking) until the worker has exited, or ``timeout`` seconds."""
        if self.exitcode is None:
            self.exitcode = self.server.exit_code(self.pid, timeout)

    def kill(self) -> None:
        """SIGKILL the worker (a job of its ran past its deadline); nothing if it has exited."""
        if self.exitcode is None:
            with contextlib.suppress(ProcessLookupError):  # it died meanwhile
                os.kill(self.pid, signal.SIGKILL)


class ForkServer:
    """The crawl's handle on a fork server process. :meth:`fork` and :meth:`exit_code`
    block and are safe to call from several threads (never from the reactor's)."""

    def __init__(self, preload: Sequence[str]):
        self.preload = list(preload)
        self.process: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._lock = threading.Lock()
        self._exits: dict[int, int] = {}

    def start(self) -> None:
        """Start the server process; returns at once, while it loads ``preload``."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        path = [entry or os.getcwd() for entry in sys.path]  # as the crawl imports, the server imports
        # What it is comes first on its command line (ps, py-spy); the import path after.
        code = "import sys; sys.path[:] = sys.argv[3:]; from scraper.workers.forkserver import serve; " \
               "serve(int(sys.argv[1]), [name for name in sys.argv[2].split(',') if name])"
        command = [sys.executable, "-c", code, str(theirs.fileno()), ",".join(self.preload), *path]
        self.process = subprocess.Popen(command, pass_fds=[theirs.fileno()])
        theirs.close()
        self._control = ours

    def fork(self, sock: socket.socket) -> ForkedWorker:
        """A new worker serving ``sock`` (the worker's end of a pair); waits while the server loads."""
        with self._lock:
            control = self._checked_control()
            socket.send_fds(control, [b"F"], [sock.fileno()])
            while True:
                kind, pid, code = self._receive(control, None)
                if kind == b"S":
                    return ForkedWorker(self, pid)
                self._exits[pid] = code

    def exit_code(self, pid: int, timeout: float | None = None) -> int | None:
        """The exit code of worker ``pid``, once it has exited; None after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                if pid in self._exits:
                    return self._exits.pop(pid)
                if self._control is None:
                    return None
                try:
                    kind, other, code = self._receive(self._control, _POLL_SECONDS)
                except TimeoutError:
                    pass
                except RuntimeError:  # the server is gone: nobody will say
                    return None
                else:
                    if kind == b"E":
                        self._exits[other] = code
            if deadline is not None and time.monotonic() >= deadline:
                return None

    def stop(self, timeout: float = 5.0) -> None:
        """Close the server's socket: it exits (workers still running finish on their own)."""
        with self._lock:
            if self._control is not None:
                self._control.close()
                self._control = None
        if self.process is not None:
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _checked_control(self) -> socket.socket:
        if self._control is None:
            raise RuntimeError("the extraction fork server is stopped")
        return self._control

    def _receive(self, control: socket.socket, timeout: float | None) -> tuple[bytes, int, int]:
        control.settimeout(timeout)
        message = control.recv(_MESSAGE.size)
        if len(message) != _MESSAGE.size:
            exit_code = self.process.wait() if self.process is not None else None
            raise RuntimeError(f"the extraction fork server exited (exit code {exit_code})")
        kind, pid, code = _MESSAGE.unpack(message)
        return kind, pid, code


_server: ForkServer | None = None
_server_lock = threading.Lock()


def ensure_running(preload: Sequence[str]) -> ForkServer:
    """The process's fork server, started (with ``preload``) if it is not running yet."""
    global _server
    with _server_lock:
        if _server is None or _server.process is None or _server.process.poll() is not None:
            _server = ForkServer(preload)
            _server.start()
            atexit.register(_server.stop)
        return _server


#: What the extraction pool's server imports before it forks a worker: the extractor, warm.
EXTRACTOR_PRELOAD = ["scraper.extract.warm"]


def start_extraction_server() -> ForkServer:
    """Start the server the extraction workers fork from; return at once.

    The server then spends a noticeable part of start-up loading the extractor. The crawl command calls
    this as soon as it has read its options, before it imports the pipeline or Scrapy
    builds the crawler, so that happens meanwhile on another core; the pipeline uses
    the server already running (or starts it, if nobody did).
    """
    return ensure_running(EXTRACTOR_PRELOAD)
