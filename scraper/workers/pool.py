"""Extraction worker processes the reactor talks to directly, one socket each.

``concurrent.futures.ProcessPoolExecutor`` feeds its workers through two threads of the
crawl's process (a manager and a queue feeder) and hands results back through a third
hop to the reactor: thread handoffs and GIL contention on every page, in the process
that also runs the reactor. And one dead worker
breaks it for good. Here each worker has a Unix socket pair: the reactor writes jobs to
it and reads results from it like any other connection (length-prefixed pickles), keeps
two jobs in flight per worker so none waits between pages, and replaces a worker that
dies, failing only the jobs it held; a worker whose job runs past its deadline is killed
and replaced the same way, that job failing with :class:`ExtractionTimeout`. Which worker
gets which job is decided by the transport-free :class:`scraper.workers.client.WorkerClient`,
shared with ``scrapy reextract``.

Workers are forked from a fork server (:mod:`scraper.workers.forkserver`) that loaded the
extractor once (``scraper.extract.warm``): they start in milliseconds and share its
memory. Their side of the socket is :func:`scraper.workers.protocol.worker_main`,
which imports no Twisted: a worker starts extracting as soon as it is forked.
"""

from __future__ import annotations

import logging
import socket
from collections import deque
from collections.abc import Callable
from typing import Any, cast

from twisted.internet.defer import Deferred
from twisted.internet.protocol import Factory
from twisted.protocols.basic import Int32StringReceiver
from twisted.python.failure import Failure

from scraper.workers.client import ExtractionTimeout, WorkerClient, WorkerDied, start_workers
from scraper.workers.forkserver import ForkedWorker, ForkServer
from scraper.workers.protocol import MAX_MESSAGE

__all__ = ["ExtractionPool", "ExtractionTimeout", "WorkerDied"]

logger = logging.getLogger(__name__)

#: Jobs written ahead to each worker: one running, one waiting in its socket.
IN_FLIGHT = 2


# -- the crawl's side --------------------------------------------------------------------


class _WorkerConnection(Int32StringReceiver):
    MAX_LENGTH = MAX_MESSAGE

    def __init__(self, pool: ExtractionPool, process: Any):
        self.pool = pool
        self.process = process

    def connectionMade(self) -> None:
        self.pool._worker_ready(self)

    def stringReceived(self, string: bytes) -> None:
        job, ok, value = self.pool.client.answered(self, string)
        self.pool._dispatch()  # the next page goes out before this one's answer is handled
        self.pool._start_deadline(self)  # the next job it holds runs from now
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

    The Twisted transport of :class:`scraper.workers.client.WorkerClient`. Call everything
    on the reactor thread, except :meth:`start_processes`, which blocks while the fork
    server finishes loading and is meant for a thread of its own.
    """

    def __init__(self, size: int, server: ForkServer, on_worker_died: Callable[[], None] | None = None,
                 *, timeout: float = 0):
        self.size = size
        self.server = server
        self.on_worker_died = on_worker_died
        #: Seconds a job may run in its worker before the worker is killed (0: no deadline).
        self.timeout = timeout
        self.client: WorkerClient[_WorkerConnection, Deferred[Any]] = WorkerClient(IN_FLIGHT)
        self._closing = False
        self._broken: BaseException | None = None
        self._deadlines: dict[_WorkerConnection, Any] = {}  # the running job's DelayedCall, by worker
        self._overran: dict[_WorkerConnection, Deferred[Any]] = {}  # the job a killed worker ran past its deadline

    # -- processes --------------------------------------------------------------------

    def start_processes(self, count: int | None = None) -> list[tuple[ForkedWorker, socket.socket]]:
        """Start worker processes (blocking); returns them with the crawl's end of their socket."""
        return start_workers(self.server, self.size if count is None else count)

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
        waiting, self.client.waiting = self.client.waiting, deque()
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
        self.client.submit(job, function, *args)
        self._dispatch()
        return job

    def _dispatch(self) -> None:
        for worker, job, frame in self.client.assign():
            if isinstance(frame, Exception):
                job.errback(frame)
            else:
                cast(Any, worker.transport).writeSequence(frame)
                if worker not in self._deadlines:  # it was idle: this job runs from now
                    self._start_deadline(worker)

    # -- deadlines -----------------------------------------------------------------------

    def _start_deadline(self, worker: _WorkerConnection) -> None:
        """The job ``worker`` runs now (if any) must answer within :attr:`timeout` seconds."""
        from twisted.internet import reactor

        self._cancel_deadline(worker)
        job = self.client.running(worker)
        if self.timeout > 0 and job is not None:
            self._deadlines[worker] = cast(Any, reactor).callLater(self.timeout, self._past_deadline, worker, job)

    def _cancel_deadline(self, worker: _WorkerConnection) -> None:
        deadline = self._deadlines.pop(worker, None)
        if deadline is not None and deadline.active():
            deadline.cancel()

    def _past_deadline(self, worker: _WorkerConnection, job: Deferred[Any]) -> None:
        """Kill the worker: its job ran past the deadline. Losing its connection then
        replaces it (:meth:`_worker_lost`); the job fails with :class:`ExtractionTimeout`."""
        self._deadlines.pop(worker, None)
        if self.client.running(worker) is not job:
            return
        self._overran[worker] = job
        logger.warning("Extraction worker %s ran one page past %s s: killing it, starting another",
                       worker.process.pid, self.timeout)
        worker.process.kill()

    def _worker_ready(self, worker: _WorkerConnection) -> None:
        self.client.add(worker)
        self._dispatch()

    def _worker_lost(self, worker: _WorkerConnection) -> None:
        from twisted.internet import threads

        if self._closing:  # shutdown() waits for the process
            return
        # The pool's state first: a job's errback may run the caller on, submitting more.
        self._cancel_deadline(worker)
        overran = self._overran.pop(worker, None)
        jobs = self.client.remove(worker, died=overran is None)
        joined = threads.deferToThread(worker.process.join, 10)  # never on the reactor
        if self.client.hopeless(self.size):
            self.abandon(Failure(WorkerDied(f"{self.client.deaths_in_a_row} extraction workers died in a row")))
        if self.on_worker_died is not None:
            self.on_worker_died()
        for job in jobs:
            if job is overran:
                job.errback(ExtractionTimeout(f"extraction ran past {self.timeout} s; worker {worker.process.pid} "
                                              "killed"))
            else:
                job.errback(WorkerDied(f"extraction worker {worker.process.pid} died"))
        if self._broken is not None:
            return
        if overran is None:  # a worker killed past its deadline was logged when killed
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
        for worker in list(self._deadlines):
            self._cancel_deadline(worker)
        waiting, self.client.waiting = self.client.waiting, deque()
        for _, job in waiting:
            job.errback(RuntimeError("the extraction pool is shut down"))
        workers = list(self.client.held)
        self.client.held.clear()
        for worker in workers:
            cast(Any, worker.transport).loseConnection()  # the worker reads the end and exits
        processes = [worker.process for worker in workers]
        return threads.deferToThread(lambda: [process.join(10) for process in processes])
