"""Extraction worker processes the reactor talks to directly, one socket each.

``concurrent.futures.ProcessPoolExecutor`` feeds its workers through two threads of the
crawl's process (a manager and a queue feeder) and hands results back through a third
hop to the reactor: thread handoffs and GIL contention on every page, in the process
that also runs the reactor. And one dead worker
breaks it for good. Here each worker has a Unix socket pair: the reactor writes jobs to
it and reads results from it like any other connection (length-prefixed pickles), keeps
two jobs in flight per worker so none waits between pages, and replaces a worker that
dies, failing only the jobs it held.

Workers are forked from a fork server (:mod:`scraper.workers.forkserver`) that loaded the
extractor once (``scraper.extract.warm``): they start in milliseconds and share its
memory. Their side of the socket is :func:`scraper.workers.protocol.worker_main`,
which imports no Twisted: a worker starts extracting as soon as it is forked.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import socket
from collections import deque
from collections.abc import Callable
from typing import Any, cast

from twisted.internet.defer import Deferred
from twisted.internet.protocol import Factory
from twisted.protocols.basic import Int32StringReceiver
from twisted.python.failure import Failure

from scraper.workers.forkserver import ForkedWorker, ForkServer
from scraper.workers.protocol import FRAME_HEADER, MAX_MESSAGE

__all__ = ["ExtractionPool", "WorkerDied"]

logger = logging.getLogger(__name__)

#: Jobs written ahead to each worker: one running, one waiting in its socket.
IN_FLIGHT = 2
#: Workers (per worker of the pool) lost with no answer in between before the pool gives up.
MAX_DEATHS_IN_A_ROW = 3
#: The send buffer asked for on the crawl's end of each worker's socket: room for the job
#: written ahead, so a worker that finishes a page finds the whole next one waiting. With
#: Linux's default (about 200 kB, less than a large page), a worker waited for the
#: reactor to come back and write the rest of its next page. The kernel caps the buffer
#: at twice net.core.wmem_max, so where that is left at Linux's default this gains nothing.
SEND_BUFFER = 4 << 20


class WorkerDied(RuntimeError):
    """The worker process running a job exited (killed, or crashed in C code)."""


# -- the crawl's side --------------------------------------------------------------------


class _WorkerConnection(Int32StringReceiver):
    MAX_LENGTH = MAX_MESSAGE

    def __init__(self, pool: ExtractionPool, process: Any):
        self.pool = pool
        self.process = process
        self.jobs: deque[Deferred[Any]] = deque()  # answered in the order they were sent

    def connectionMade(self) -> None:
        self.pool._worker_ready(self)

    def stringReceived(self, string: bytes) -> None:
        ok, value = pickle.loads(string)
        self.pool.deaths_in_a_row = 0
        job = self.jobs.popleft()
        self.pool._dispatch()  # the next page goes out before this one's answer is handled
        if ok:
            job.callback(value)
        else:
            job.errback(Failure(value))

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.pool._worker_lost(self)


class _WorkerFactory(Factory):
    def __init__(self, pool: ExtractionPool, process: Any):
        self.pool = pool
        self.process = process

    def buildProtocol(self, addr: Any) -> _WorkerConnection:
        return _WorkerConnection(self.pool, self.process)


class ExtractionPool:
    """``size`` worker processes fed by the reactor; ``submit`` returns a Deferred.

    Call everything on the reactor thread, except :meth:`start_processes`, which blocks
    while the fork server finishes loading and is meant for a thread of its own.
    """

    def __init__(self, size: int, server: ForkServer, on_worker_died: Callable[[], None] | None = None):
        self.size = size
        self.server = server
        self.on_worker_died = on_worker_died
        self.deaths_in_a_row = 0  # workers lost with no answer in between
        self._workers: list[_WorkerConnection] = []
        self._waiting: deque[tuple[tuple[Callable[..., Any], tuple[Any, ...]], Deferred[Any]]] = deque()
        self._closing = False
        self._broken: BaseException | None = None

    # -- processes --------------------------------------------------------------------

    def start_processes(self, count: int | None = None) -> list[tuple[ForkedWorker, socket.socket]]:
        """Start worker processes (blocking); returns them with the crawl's end of their socket."""
        started = []
        for _ in range(self.size if count is None else count):
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            with contextlib.suppress(OSError):  # a kernel that refuses the size keeps its own
                ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
            try:
                process = self.server.fork(theirs)
            except BaseException:
                ours.close()
                raise
            finally:
                theirs.close()
            started.append((process, ours))
        return started

    def adopt(self, started: list[tuple[ForkedWorker, socket.socket]]) -> None:
        """Connect the reactor to started workers (reactor thread)."""
        from twisted.internet import reactor, threads

        for process, sock in started:
            if self._closing or self._broken is not None:
                sock.close()  # the worker reads the end of its socket and exits
                threads.deferToThread(process.join, 10)
                continue
            factory = _WorkerFactory(self, process)
            cast(Any, reactor).adoptStreamConnection(sock.fileno(), socket.AF_UNIX, factory)
            sock.close()  # the reactor holds its own duplicate

    def abandon(self, failure: Failure) -> None:
        """No workers (they could not start, or die as soon as started): every job, waiting
        or to come, fails with why; the crawl goes on archiving without text."""
        logger.error("The extraction pool gives up: %s", failure.value)
        self._broken = failure.value
        waiting, self._waiting = self._waiting, deque()
        for _, job in waiting:
            job.errback(failure)

    # -- jobs ----------------------------------------------------------------------------

    def submit(self, function: Callable[..., Any], *args: Any) -> Deferred[Any]:
        """Run ``function(*args)`` in a worker; the Deferred fires with its result or error."""
        if self._closing:
            raise RuntimeError("the extraction pool is shut down")
        if self._broken is not None:
            raise RuntimeError(f"the extraction workers could not start: {self._broken!r}")
        job: Deferred[Any] = Deferred()
        self._waiting.append(((function, args), job))
        self._dispatch()
        return job

    def _dispatch(self) -> None:
        while self._waiting:
            free = [w for w in self._workers if len(w.jobs) < IN_FLIGHT]
            if not free:
                return
            worker = min(free, key=lambda w: len(w.jobs))
            call, job = self._waiting.popleft()
            try:
                message = pickle.dumps(call, protocol=pickle.HIGHEST_PROTOCOL)  # pickled when sent, not held
            except Exception as error:  # arguments that cannot cross: this job fails, not the pool
                job.errback(error)
                continue
            worker.jobs.append(job)
            cast(Any, worker.transport).writeSequence([FRAME_HEADER.pack(len(message)), message])

    def _worker_ready(self, worker: _WorkerConnection) -> None:
        self._workers.append(worker)
        self._dispatch()

    def _worker_lost(self, worker: _WorkerConnection) -> None:
        from twisted.internet import threads

        if worker in self._workers:
            self._workers.remove(worker)
        jobs, worker.jobs = worker.jobs, deque()
        if self._closing:  # shutdown() waits for the process
            return
        joined = threads.deferToThread(worker.process.join, 10)  # never on the reactor
        # The pool's state first: a job's errback may run the caller on, submitting more.
        self.deaths_in_a_row += 1
        if self.deaths_in_a_row > MAX_DEATHS_IN_A_ROW * self.size:  # they die on start: no use going on
            self.abandon(Failure(WorkerDied(f"{self.deaths_in_a_row} extraction workers died in a row")))
        if self.on_worker_died is not None:
            self.on_worker_died()
        for job in jobs:
            job.errback(WorkerDied(f"extraction worker {worker.process.pid} died"))
        if self._broken is not None:
            return
        joined.addCallback(lambda _: logger.error("Extraction worker %s died (exit code %s) holding %d pages; "
                                                  "starting another", worker.process.pid, worker.process.exitcode,
                                                  len(jobs)))
        started = threads.deferToThread(self.start_processes, 1)
        started.addCallbacks(self.adopt, lambda failure: logger.error("Could not start a worker: %s", failure.value))

    # -- the end ---------------------------------------------------------------------------

    def shutdown(self) -> Deferred[Any]:
        """Close every worker's socket; fires once they have all exited. Waiting jobs fail."""
        from twisted.internet import threads

        self._closing = True
        for _, job in self._waiting:
            job.errback(RuntimeError("the extraction pool is shut down"))
        self._waiting.clear()
        workers, self._workers = self._workers, []
        for worker in workers:
            cast(Any, worker.transport).loseConnection()  # the worker reads the end and exits
        processes = [worker.process for worker in workers]
        return threads.deferToThread(lambda: [process.join(10) for process in processes])
