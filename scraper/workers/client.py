"""The one client of the worker protocol: which worker runs which job, and what a death costs.

:class:`WorkerClient` is transport-free: it starts workers, frames calls, keeps each
worker's jobs in the order sent (answers come back in that order), limits how many
each holds, and counts deaths in a row. Two thin transports move its bytes: the crawl's
:class:`scraper.workers.pool.ExtractionPool` on Twisted's reactor, and
:class:`BlockingPool` here, a ``selectors`` loop for ``scrapy reextract``.

Why a shared core and not reextract inside the Twisted pool: :func:`reextract` is a plain
function that a process may call many times (the tests, a script, the console command),
and a Twisted reactor cannot be started twice in one process; running one in a thread for
it takes more code than the blocking transport below, and adds a thread hop per batch.
"""

from __future__ import annotations

import contextlib
import pickle
import selectors
import socket
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Generic, TypeVar

from scraper.workers.forkserver import ForkedWorker, ForkServer
from scraper.workers.protocol import FRAME_HEADER, read_message

__all__ = [
    "MAX_DEATHS_IN_A_ROW",
    "SEND_BUFFER",
    "BlockingPool",
    "ExtractionTimeout",
    "Job",
    "WorkerClient",
    "WorkerDied",
    "start_workers",
]

#: The send buffer asked for on our end of each worker's socket: room for the job
#: written ahead, so a worker that finishes a job finds the whole next one waiting. With
#: Linux's default (about 200 kB, less than a large page), a worker waited for us to
#: come back and write the rest of its next job. The kernel caps the buffer at twice
#: net.core.wmem_max, so where that is left at Linux's default this gains nothing.
SEND_BUFFER = 4 << 20
#: Workers lost with no answer in between, for each worker of a pool, before the pool
#: gives up: they die as soon as they start, or on every job (the extractor itself is
#: broken), and replacing them again would only loop.
MAX_DEATHS_IN_A_ROW = 3

W = TypeVar("W", bound=Hashable)  # a worker as the transport knows it (a connection, a socket)
J = TypeVar("J")  # a job as the transport's caller waits for it (a Deferred, a Job)


class WorkerDied(RuntimeError):
    """The worker process running a job exited (killed, or crashed in C code)."""


class ExtractionTimeout(RuntimeError):
    """A job ran past its deadline: its worker was killed (and replaced); the job is not tried again."""


def start_workers(server: ForkServer, count: int) -> list[tuple[ForkedWorker, socket.socket]]:
    """Fork ``count`` workers (blocking: waits while the server loads); each with our end of its socket."""
    started = []
    for _ in range(count):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        with contextlib.suppress(OSError):
            ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        try:
            process = server.fork(theirs)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        started.append((process, ours))
    return started


class WorkerClient(Generic[W, J]):
    """Job bookkeeping for workers speaking :mod:`scraper.workers.protocol`.

    ``in_flight`` jobs at most are written ahead to each worker. Nothing here reads or
    writes a socket: :meth:`assign` says what to write where, :meth:`answered` takes what
    a worker wrote back, :meth:`remove` what a lost worker held.
    """

    def __init__(self, in_flight: int):
        self.in_flight = in_flight
        self.held: dict[W, deque[J]] = {}  # answered in the order they were sent
        self.waiting: deque[tuple[tuple[Callable[..., Any], tuple[Any, ...]], J]] = deque()
        self.deaths_in_a_row = 0  # workers lost with no answer in between

    def add(self, worker: W) -> None:
        self.held[worker] = deque()

    def remove(self, worker: W, *, died: bool = True) -> deque[J]:
        """Forget a lost worker; returns the jobs it held. Counted as one death unless
        ``died`` is false (a worker we killed for a job past its deadline: the page's
        fault, not a sign that workers cannot run)."""
        if died:
            self.deaths_in_a_row += 1
        return self.held.pop(worker, deque())

    def hopeless(self, workers: int) -> bool:
        """More than :data:`MAX_DEATHS_IN_A_ROW` deaths in a row for each of a pool's ``workers``."""
        return self.deaths_in_a_row > MAX_DEATHS_IN_A_ROW * workers

    def running(self, worker: W) -> J | None:
        """The job ``worker`` is running now (the first it holds: it answers in order), if any."""
        jobs = self.held.get(worker)
        return jobs[0] if jobs else None

    def submit(self, job: J, function: Callable[..., Any], *args: Any) -> None:
        """Queue ``function(*args)``; it is pickled when :meth:`assign` gives it to a worker."""
        self.waiting.append(((function, args), job))

    def assign(self) -> Iterator[tuple[W, J, list[bytes] | Exception]]:
        """Waiting jobs given to the least loaded workers with room: each with its frame to
        write, or the error that kept its arguments from being pickled (that job fails)."""
        while self.waiting:
            free = [worker for worker, jobs in self.held.items() if len(jobs) < self.in_flight]
            if not free:
                return
            worker = min(free, key=lambda w: len(self.held[w]))
            call, job = self.waiting.popleft()
            try:
                message = pickle.dumps(call, protocol=pickle.HIGHEST_PROTOCOL)  # pickled when sent, not held
            except Exception as error:  # arguments that cannot cross: this job fails, not the pool
                yield worker, job, error
                continue
            self.held[worker].append(job)
            yield worker, job, [FRAME_HEADER.pack(len(message)), message]

    def answered(self, worker: W, message: bytes | bytearray) -> tuple[J, bool, Any]:
        """The job ``worker`` just answered, whether it succeeded, and its value or exception."""
        ok, value = pickle.loads(message)
        self.deaths_in_a_row = 0
        return self.held[worker].popleft(), ok, value

    def idle(self) -> bool:
        """No job waits and none is in a worker."""
        return not self.waiting and not any(self.held.values())


class Job:
    """A call given to a :class:`BlockingPool`: ``done`` once answered or failed, then ``result()``."""

    def __init__(self, timeout: float = 0) -> None:
        #: Seconds the call may run once its worker starts it (0: no deadline).
        self.timeout = timeout
        self.done = False
        self._ok = False
        self._value: Any = None

    def _finish(self, ok: bool, value: Any) -> None:
        self.done, self._ok, self._value = True, ok, value

    def result(self) -> Any:
        """The call's return value; raises what the call raised, or why it has no answer
        (:class:`ExtractionTimeout`, :class:`WorkerDied`)."""
        if not self.done:
            raise RuntimeError("the job has no answer yet")
        if not self._ok:
            raise self._value
        return self._value

    def exception(self) -> BaseException | None:
        """What :meth:`result` raises, or None for a call that returned."""
        if not self.done:
            raise RuntimeError("the job has no answer yet")
        return None if self._ok else self._value


class BlockingPool:
    """Workers driven from one thread with ``selectors``: for tools, not for the reactor.

    One job in flight per worker by default: a worker then never writes its answer while
    we block writing it the next job, so neither side can wait on the other.

    A lost worker is replaced, and the jobs it held fail, to be retried or not by the
    caller, who knows what a job is worth: a job given a deadline (``submit(...,
    timeout=)``) that runs past it has its worker killed and fails with
    :class:`ExtractionTimeout`; the jobs of a worker that died (killed by the kernel for
    memory, a crash in C code) fail with :class:`WorkerDied`. :attr:`restarts` counts the
    workers replaced. Workers that keep dying with no answer in between
    (:meth:`WorkerClient.hopeless`) make :meth:`wait` raise :class:`WorkerDied`: the pool
    gives up rather than replace them forever.
    """

    def __init__(self, size: int, server: ForkServer, *, in_flight: int = 1):
        self.size = size
        self.server = server
        self.client: WorkerClient[socket.socket, Job] = WorkerClient(in_flight)
        #: Workers replaced since the pool started: killed past a deadline, or died.
        self.restarts = 0
        self._selector = selectors.DefaultSelector()
        self._processes: dict[socket.socket, ForkedWorker] = {}
        self._deadlines: dict[socket.socket, float] = {}  # time.monotonic() by which the running job must answer
        self._done: deque[Job] = deque()  # finished, not yet returned by wait()
        try:
            self._start(size)
        except BaseException:
            self.close()
            raise

    def _start(self, count: int) -> None:
        for process, sock in start_workers(self.server, count):
            self._processes[sock] = process
            self.client.add(sock)
            self._selector.register(sock, selectors.EVENT_READ)

    def submit(self, function: Callable[..., Any], *args: Any, timeout: float = 0) -> Job:
        """Run ``function(*args)`` in a worker as soon as one has room; past ``timeout``
        seconds of running there (0: no deadline), its worker is killed and replaced.

        Raises :class:`WorkerDied` if the pool gives up (see :meth:`wait`).
        """
        job = Job(timeout)
        self.client.submit(job, function, *args)
        self._dispatch()
        return job

    def _dispatch(self) -> None:
        for sock, job, frame in self.client.assign():
            if isinstance(frame, Exception):
                job._finish(False, frame)
                self._done.append(job)
                continue
            try:
                sock.sendall(b"".join(frame))
            except OSError:  # broken pipe, reset: the worker is gone
                self._lose(sock)
                continue
            if self.client.running(sock) is job:  # it was idle: this job runs from now
                self._start_deadline(sock)

    def wait(self) -> Job:
        """Block until a job is done; returns it. Done means answered, or failed without an
        answer (:meth:`Job.result` then raises :class:`ExtractionTimeout` or :class:`WorkerDied`).

        Raises :class:`WorkerDied` when more than :data:`MAX_DEATHS_IN_A_ROW` workers for each
        of the pool's died with no answer in between (they die as they start, or on every
        job: replacing them would loop), ``RuntimeError`` when no job was given to wait for.
        """
        while not self._done:
            if not self.client.waiting and not any(self.client.held.values()):
                raise RuntimeError("no job in a worker to wait for")
            self._poll()
        return self._done.popleft()

    def _poll(self) -> None:
        """Take what workers answered, or lose them, until the nearest deadline at most; kill
        the workers whose running job is past its deadline."""
        nearest = min(self._deadlines.values(), default=None)
        timeout = None if nearest is None else max(0.0, nearest - time.monotonic())
        for key, _ in self._selector.select(timeout):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            if sock not in self._processes:  # lost while this round was handled
                continue
            try:
                message = read_message(sock)
            except OSError:
                message = None
            if message is None or not self.client.held[sock]:
                self._lose(sock)
                continue
            job, ok, value = self.client.answered(sock, message)
            job._finish(ok, value)
            self._done.append(job)
            self._start_deadline(sock)  # the next job it holds runs from now
        now = time.monotonic()
        for sock, deadline in list(self._deadlines.items()):
            if deadline <= now:
                self._lose(sock, overran=True)
        self._dispatch()

    def _start_deadline(self, sock: socket.socket) -> None:
        self._deadlines.pop(sock, None)
        job = self.client.running(sock)
        if job is not None and job.timeout > 0:
            self._deadlines[sock] = time.monotonic() + job.timeout

    def _lose(self, sock: socket.socket, *, overran: bool = False) -> None:
        """Replace a worker that died, or that we kill (``overran``: its running job is past
        its deadline; not counted as a death); the jobs it held fail."""
        process = self._processes.pop(sock)
        self._deadlines.pop(sock, None)
        running = self.client.running(sock)
        if overran:
            process.kill()
        self._selector.unregister(sock)
        sock.close()
        process.join(5)
        for job in self.client.remove(sock, died=not overran):
            if overran and job is running:
                error: Exception = ExtractionTimeout(
                    f"ran past its deadline of {job.timeout:g} s; worker {process.pid} killed")
            else:
                error = WorkerDied(f"extraction worker {process.pid} died (exit code {process.exitcode})")
            job._finish(False, error)
            self._done.append(job)
        if self.client.hopeless(self.size):
            raise WorkerDied(f"{self.client.deaths_in_a_row} extraction workers died in a row, the last "
                             f"{process.pid} (exit code {process.exitcode}): giving up")
        self._start(1)
        self.restarts += 1

    def close(self) -> None:
        """Close the workers' sockets (each reads the end and exits once its job is done) and
        wait for them; a worker still busy 10 seconds later is killed (a run given up, or
        interrupted, in the middle of a page that may never end)."""
        for sock in self._processes:
            self._selector.unregister(sock)
            sock.close()
        for process in self._processes.values():
            process.join(10)
            if process.exitcode is None:
                process.kill()
                process.join(5)
        self._processes.clear()
        self._deadlines.clear()
        self._selector.close()
