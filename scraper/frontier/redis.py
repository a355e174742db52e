"""One crawl's shared state on Redis: the request queue with leases, the workers, per-host
politeness slots and the crawl's files.

scrapy-redis (the Scrapy field's Redis scheduler) pops a request with ``ZRANGE`` +
``ZREMRANGEBYRANK``: once popped, a request lives only in the worker's memory, and a worker
killed before it archived the response loses it. Here a pop moves the request into the
popping worker's lease hash in the same Lua script, and the request leaves Redis only when
the worker acknowledges it (:meth:`RedisFrontier.ack`: its response archived and handled).
A worker that stops cleanly hands its leases back (:meth:`RedisFrontier.release_worker`);
one that dies stops renewing its heartbeat key, and the next :meth:`RedisFrontier.reap`
(any worker's) hands its leases back. Nothing of this exists in scrapy-redis or in Redis
itself (no lease primitive), so it is written here, in scripts small enough to read.

A command that only looks (``scrapy crawls``) reads a crawl with :func:`crawl_snapshot`, in
one script that writes nothing: a worker whose heartbeat expired is seen dead, not reaped.

Requests are opaque bytes: the Scrapy side serialises them. All keys of a crawl start with
``<namespace>:<crawl id>:``. Times are Redis's own clock (``TIME``), so workers on machines
whose clocks disagree still agree on deadlines.

Key layout (``K`` = ``archive:<crawl id>``):

=========================  ======  ====================================================
``K:queue``                zset    serialised request -> score (``-priority``)
``K:leases:<worker>``      hash    lease id -> ``<score> <serialised request>``
``K:lease-ids``            string  lease id counter
``K:workers``              hash    worker id -> ``running`` / ``done`` / ``stopped`` / ``dead``
``K:alive:<worker>``       string  the worker's heartbeat (expires after the lease timeout)
``K:seeding``              hash    ``owner`` (worker seeding the queue), ``done`` (1 when seeded)
``K:arguments``            string  the spider arguments of the crawl (JSON)
``K:start-hosts``          set     hosts of the start URLs (exempt from the private-address guard)
``K:host:<slot>``          zset    holder token -> deadline (ms): downloads in flight
``K:host-next:<slot>``     string  earliest time (ms) of the host's next download
``K:files``                hash    relative path -> manifest entry (JSON)
``K:rows``                 set     URLs whose text row is written
``K:stats``                hash    stat name -> sum over the workers that finished
``K:worker-stats``         hash    worker id -> its stats (JSON), reported at its end
``K:progress``             hash    worker id -> its counts so far (JSON), at each heartbeat
``K:finisher``             string  the worker writing the manifest
=========================  ======  ====================================================

(The duplicate filter's set is scrapy-redis's, ``K:dupefilter``.)
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from dataclasses import dataclass
from typing import Any

import redis

__all__ = [
    "WORKER_ID_PATTERN",
    "CrawlSnapshot",
    "FrontierError",
    "RedisFrontier",
    "WorkerSnapshot",
    "crawl_key",
    "crawl_snapshot",
    "reader_client",
    "worker_id",
]

logger = logging.getLogger(__name__)

#: What a worker id may hold: it goes into file names.
WORKER_ID_PATTERN = re.compile(r"[A-Za-z0-9._]{1,64}")

NAMESPACE = "archive"


class FrontierError(RuntimeError):
    """The frontier cannot be used; the message says why."""


def worker_id(configured: str = "", host: str | None = None) -> str:
    """``configured`` (``ARCHIVE_WORKER_ID``), or ``<host name>_<process id>``: the same all
    through one process.

    ``{host}`` in ``configured`` stands for the short host name (``host``, by default this
    machine's) with what a worker id cannot hold (see :data:`WORKER_ID_PATTERN`: ``-``, for
    one) replaced by ``_``: a service unit can name its instances ``{host}_%i`` on machines
    called ``crawler-7``. The result is checked when the frontier is opened.
    """
    short = (host if host is not None else socket.gethostname()).split(".")[0]
    safe_host = re.sub(r"[^A-Za-z0-9_.]", "_", short)[:40] or "host"
    if configured:
        return configured.replace("{host}", safe_host)
    return f"{safe_host}_{os.getpid()}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def crawl_key(crawl_id: str) -> str:
    """``archive:<crawl id>``: the prefix of every key of the crawl."""
    return f"{NAMESPACE}:{crawl_id}"


_NOW_MS = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

# KEYS: queue, leases:<worker>, lease-ids. Returns {lease id, request} or nil.
_POP = """
local item = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #item == 0 then return nil end
redis.call('ZREM', KEYS[1], item[1])
local id = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], id, item[2] .. ' ' .. item[1])
return {tostring(id), item[1]}
"""

# KEYS: leases:<worker>. ARGV: lease id.
_ACK = """
return redis.call('HDEL', KEYS[1], ARGV[1])
"""

# KEYS: duplicate filter, queue, leases:<worker>. ARGV: fingerprint ('' = not filtered),
# score, request, lease id to ack ('' = none). The fingerprint is recorded and the request
# queued in one step: a worker killed between the two would leave a URL seen and never
# queued, so lost even when the page linking to it is fetched again. 1 if queued.
_PUSH = """
local queued = 0
if ARGV[1] == '' or redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
  queued = 1
end
if ARGV[4] ~= '' then redis.call('HDEL', KEYS[3], ARGV[4]) end
return queued
"""

# KEYS: queue, leases:<worker>, workers. ARGV: worker, new state. Every lease of the
# worker back to the queue. Returns how many.
_RELEASE = """
local leases = redis.call('HVALS', KEYS[2])
for _, value in ipairs(leases) do
  local space = string.find(value, ' ', 1, true)
  redis.call('ZADD', KEYS[1], string.sub(value, 1, space - 1), string.sub(value, space + 1))
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return #leases
"""

# KEYS: queue, leases:<worker>. ARGV: lease ids to keep. Every other lease of the worker
# back to the queue. Returns how many.
_RELEASE_OTHERS = """
local keep = {}
for _, id in ipairs(ARGV) do keep[id] = true end
local leases = redis.call('HGETALL', KEYS[2])
local released = 0
for i = 1, #leases, 2 do
  if not keep[leases[i]] then
    local value = leases[i + 1]
    local space = string.find(value, ' ', 1, true)
    redis.call('ZADD', KEYS[1], string.sub(value, 1, space - 1), string.sub(value, space + 1))
    redis.call('HDEL', KEYS[2], leases[i])
    released = released + 1
  end
end
return released
"""

# KEYS: workers. ARGV: crawl key. Every running worker whose heartbeat expired: its leases
# back to the queue, marked dead. Returns {worker, leases, ...}.
_REAP = """
local reaped = {}
local workers = redis.call('HGETALL', KEYS[1])
for i = 1, #workers, 2 do
  local worker, state = workers[i], workers[i + 1]
  if state == 'running' and redis.call('EXISTS', ARGV[1] .. ':alive:' .. worker) == 0 then
    local leases_key = ARGV[1] .. ':leases:' .. worker
    local leases = redis.call('HVALS', leases_key)
    for _, value in ipairs(leases) do
      local space = string.find(value, ' ', 1, true)
      redis.call('ZADD', ARGV[1] .. ':queue', string.sub(value, 1, space - 1), string.sub(value, space + 1))
    end
    redis.call('DEL', leases_key)
    redis.call('HSET', KEYS[1], worker, 'dead')
    table.insert(reaped, worker)
    table.insert(reaped, #leases)
  end
end
return reaped
"""

# KEYS: workers. ARGV: crawl key. {queued requests, leased requests, running workers}.
_PENDING = """
local leased, running = 0, 0
local workers = redis.call('HGETALL', KEYS[1])
for i = 1, #workers, 2 do
  leased = leased + redis.call('HLEN', ARGV[1] .. ':leases:' .. workers[i])
  if workers[i + 1] == 'running' then running = running + 1 end
end
return {redis.call('ZCARD', ARGV[1] .. ':queue'), leased, running}
"""

# KEYS: workers. ARGV: crawl key. Reads only (a look must not reap). {queued requests,
# finisher or '', then worker, registered state, heartbeat alive (0/1), leases, its
# reported stats (JSON), else its last progress, or '' for each worker}.
_SNAPSHOT = """
local finisher = redis.call('GET', ARGV[1] .. ':finisher') or ''
local result = {redis.call('ZCARD', ARGV[1] .. ':queue'), finisher}
local workers = redis.call('HGETALL', KEYS[1])
for i = 1, #workers, 2 do
  local worker = workers[i]
  table.insert(result, worker)
  table.insert(result, workers[i + 1])
  table.insert(result, redis.call('EXISTS', ARGV[1] .. ':alive:' .. worker))
  table.insert(result, redis.call('HLEN', ARGV[1] .. ':leases:' .. worker))
  table.insert(result, redis.call('HGET', ARGV[1] .. ':worker-stats', worker)
                      or redis.call('HGET', ARGV[1] .. ':progress', worker) or '')
end
return result
"""

# KEYS: seeding, workers. ARGV: worker, crawl key. 'done', 'mine' (seed now) or the
# worker seeding (wait for it). A seeding worker that died hands the job on.
_CLAIM_SEEDING = """
if redis.call('HGET', KEYS[1], 'done') == '1' then return 'done' end
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] and redis.call('EXISTS', ARGV[2] .. ':alive:' .. owner) == 1 then
  return owner
end
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
return 'mine'
"""

# KEYS: host holders, host next. ARGV: token (<worker>:<n>), limit, hold ms, delay ms,
# crawl key. 0: the slot is taken; else milliseconds to wait before asking again. A slot
# held past its deadline, or by a worker whose heartbeat expired, is free.
_ACQUIRE_HOST = (
    _NOW_MS
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
for _, holder in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local worker = string.match(holder, '^(.*):[^:]*$')
  if redis.call('EXISTS', ARGV[5] .. ':alive:' .. worker) == 0 then redis.call('ZREM', KEYS[1], holder) end
end
local next_start = tonumber(redis.call('GET', KEYS[2]) or '0')
if next_start > now then return next_start - now end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 50 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
if tonumber(ARGV[4]) > 0 then
  redis.call('SET', KEYS[2], now + tonumber(ARGV[4]), 'PX', tonumber(ARGV[4]))
end
return 0
"""
)

# KEYS: workers, finisher. ARGV: worker, crawl key. Marks the worker done; 1 if the crawl
# is over (nothing queued or leased, no worker running) and this worker is to finish it.
_WORKER_DONE = """
redis.call('HSET', KEYS[1], ARGV[1], 'done')
if redis.call('ZCARD', ARGV[2] .. ':queue') > 0 then return 0 end
local workers = redis.call('HGETALL', KEYS[1])
for i = 1, #workers, 2 do
  if workers[i + 1] == 'running' then return 0 end
  if redis.call('HLEN', ARGV[2] .. ':leases:' .. workers[i]) > 0 then return 0 end
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX') then return 1 end
return 0
"""


class RedisFrontier:
    """The shared state of crawl ``crawl_id`` as worker ``worker_id`` sees it.

    ``client``: a ``redis.Redis`` (bytes replies, not decoded). ``lease_timeout``: seconds a
    heartbeat lives; a worker silent that long is dead and its leases are handed back.
    Methods are blocking network calls of well under a millisecond each on a local network;
    ``redis.exceptions.ConnectionError`` propagates once the client's own retries give up.
    """

    def __init__(self, client: redis.Redis, crawl_id: str, worker_id: str, *, lease_timeout: float):
        if not WORKER_ID_PATTERN.fullmatch(worker_id):
            raise FrontierError(f"worker id {worker_id!r}: use 1-64 letters, digits, '.' or '_'")
        self.client = client
        self.crawl_id = crawl_id
        self.worker_id = worker_id
        self.lease_timeout = lease_timeout
        self.key = crawl_key(crawl_id)
        self.queue_key = f"{self.key}:queue"
        self.leases_key = f"{self.key}:leases:{worker_id}"
        self.workers_key = f"{self.key}:workers"
        self.dupefilter_key = f"{self.key}:dupefilter"
        self._pop = client.register_script(_POP)
        self._ack = client.register_script(_ACK)
        self._push = client.register_script(_PUSH)
        self._release = client.register_script(_RELEASE)
        self._release_others = client.register_script(_RELEASE_OTHERS)
        self._reap = client.register_script(_REAP)
        self._pending = client.register_script(_PENDING)
        self._claim_seeding = client.register_script(_CLAIM_SEEDING)
        self._acquire_host = client.register_script(_ACQUIRE_HOST)
        self._worker_done = client.register_script(_WORKER_DONE)

    @classmethod
    def from_url(cls, url: str, crawl_id: str, worker_id: str, *, lease_timeout: float,
                 connect_retries: int = 8) -> RedisFrontier:
        """Connect to ``redis://`` / ``rediss://`` / ``unix://`` ``url``. A lost connection is
        retried ``connect_retries`` times with exponential backoff (0.1 s doubling, capped
        at 10 s: about a minute in all) before the error propagates: a Redis restart is
        waited out. Raises ``redis.exceptions.ConnectionError`` if it cannot be reached now."""
        from redis.backoff import ExponentialBackoff
        from redis.retry import Retry

        client = redis.Redis.from_url(
            url,
            socket_timeout=10,
            socket_connect_timeout=5,
            retry=Retry(ExponentialBackoff(cap=10, base=0.1), connect_retries),
            retry_on_error=[redis.exceptions.ConnectionError, redis.exceptions.TimeoutError],
            health_check_interval=30,
        )
        client.ping()
        return cls(client, crawl_id, worker_id, lease_timeout=lease_timeout)

    # -- workers -------------------------------------------------------------------

    def join(self) -> None:
        """This worker runs in the crawl from now on (its heartbeat starts)."""
        self.heartbeat()
        self.client.hset(self.workers_key, self.worker_id, "running")

    def heartbeat(self, progress: dict[str, int] | None = None) -> None:
        """I am alive: call it at least every ``lease_timeout / 3`` seconds. ``progress``: the
        worker's counts so far (stat name -> number), for ``scrapy crawls`` to show while it
        runs; the crawl's totals never read them (a worker's own count comes at its end)."""
        with self.client.pipeline(transaction=False) as pipe:
            pipe.set(f"{self.key}:alive:{self.worker_id}", b"1", px=int(self.lease_timeout * 1000))
            if progress is not None:
                pipe.hset(f"{self.key}:progress", self.worker_id, json.dumps(progress))
            pipe.execute()

    def workers(self) -> dict[str, str]:
        """Worker id -> ``running``, ``done``, ``stopped`` or ``dead``."""
        return {_text(k): _text(v) for k, v in self.client.hgetall(self.workers_key).items()}

    def reap(self) -> list[tuple[str, int]]:
        """Hand back the leases of running workers whose heartbeat expired; they are marked
        dead. Returns ``[(worker id, leases handed back), ...]``."""
        reaped = self._reap(keys=[self.workers_key], args=[self.key])
        pairs = [(_text(reaped[i]), int(reaped[i + 1])) for i in range(0, len(reaped), 2)]
        for worker, leases in pairs:
            logger.warning("Worker %s of crawl %s is gone: its %d leased requests go back to the queue",
                           worker, self.crawl_id, leases)
        return pairs

    def release_worker(self, state: str = "stopped") -> int:
        """This worker's leases back to the queue (it stops before its end); returns how many."""
        self.client.delete(f"{self.key}:alive:{self.worker_id}")
        return int(self._release(keys=[self.queue_key, self.leases_key, self.workers_key],
                                 args=[self.worker_id, state]))

    def release_unknown_leases(self, known: list[str]) -> int:
        """Hand back every lease of this worker but ``known`` (an idle worker's unacknowledged
        ones). A Redis killed after it ran a pop and before its reply arrived leaves a lease
        its worker never learnt of (the client's retry pops another); without this it would
        keep the crawl from ending. Returns how many went back."""
        return int(self._release_others(keys=[self.queue_key, self.leases_key], args=known))

    def worker_done(self) -> bool:
        """This worker found nothing more to do. True if the whole crawl is over and this
        worker is the one to finish it (write the manifest), which exactly one is."""
        self.client.delete(f"{self.key}:alive:{self.worker_id}")
        return bool(self._worker_done(keys=[self.workers_key, f"{self.key}:finisher"],
                                      args=[self.worker_id, self.key]))

    def pending(self) -> tuple[int, int, int]:
        """``(queued requests, leased requests, running workers)``."""
        queued, leased, running = self._pending(keys=[self.workers_key], args=[self.key])
        return int(queued), int(leased), int(running)

    # -- the queue -------------------------------------------------------------------

    def push(self, request: bytes, priority: int = 0, *, fingerprint: str = "", replaces: str = "") -> bool:
        """Queue a serialised request, higher priority first, unless ``fingerprint`` (a
        duplicate filter's, empty: not filtered) was seen before; in the same step the lease
        ``replaces`` (the request this one replaces: a retry, a redirect) is let go.
        True if queued."""
        return bool(self._push(keys=[self.dupefilter_key, self.queue_key, self.leases_key],
                               args=[fingerprint, -priority, request, replaces]))

    def pop(self) -> tuple[str, bytes] | None:
        """The next request and its lease id, leased to this worker; None if the queue is empty."""
        item = self._pop(keys=[self.queue_key, self.leases_key, f"{self.key}:lease-ids"])
        if not item:
            return None
        return _text(item[0]), item[1]

    def ack(self, lease: str) -> bool:
        """Done with the request of ``lease``. False if the lease was not held (handed back meanwhile)."""
        return bool(self._ack(keys=[self.leases_key], args=[lease]))

    def queued(self) -> int:
        return int(self.client.zcard(self.queue_key))

    # -- seeding ---------------------------------------------------------------------

    def claim_seeding(self) -> str:
        """``"done"`` (the queue was seeded), ``"mine"`` (seed it now, then
        :meth:`seeding_done`) or the id of the live worker seeding it."""
        answer = self._claim_seeding(keys=[f"{self.key}:seeding", self.workers_key], args=[self.worker_id, self.key])
        return _text(answer)

    def seeding_done(self) -> None:
        self.client.hset(f"{self.key}:seeding", "done", "1")

    def share_start_hosts(self, hosts: set[str] | frozenset[str]) -> set[str]:
        """Add this worker's start hosts to the crawl's and return them all: the hosts the
        private-address guard lets reach any address are the crawl's, whoever was given
        them (``scrapy finish`` is given none)."""
        key = f"{self.key}:start-hosts"
        if hosts:
            self.client.sadd(key, *sorted(hosts))
        return {_text(host) for host in self.client.smembers(key)}

    def share_arguments(self, arguments: dict[str, str]) -> dict[str, str]:
        """The spider arguments of the crawl: the first worker's (``arguments`` if this is
        it). ``scrapy finish`` follows links and requisites as the crawl's workers did."""
        key = f"{self.key}:arguments"
        self.client.set(key, json.dumps(arguments, sort_keys=True), nx=True)
        stored = self.client.get(key)
        return dict(json.loads(stored)) if stored else dict(arguments)

    def is_seeded(self) -> bool:
        return self.client.hget(f"{self.key}:seeding", "done") == b"1"

    # -- politeness ------------------------------------------------------------------

    def acquire_host(self, slot: str, token: str, *, limit: int, delay: float, hold: float) -> float:
        """Take one of ``limit`` download slots of host ``slot`` for the whole crawl, and keep
        the host's next download ``delay`` seconds away. ``token``: ``<worker id>:<anything>``.
        Returns 0.0 once taken, else seconds to wait before asking again. A slot not
        released is free after ``hold`` seconds, or as soon as its worker's heartbeat expires."""
        wait = self._acquire_host(
            keys=[f"{self.key}:host:{slot}", f"{self.key}:host-next:{slot}"],
            args=[token, max(1, limit), max(1, int(hold * 1000)), int(delay * 1000), self.key],
        )
        return int(wait) / 1000

    def release_host(self, slot: str, token: str) -> None:
        self.client.zrem(f"{self.key}:host:{slot}", token)

    # -- text rows -------------------------------------------------------------------

    def has_row(self, url: str) -> bool:
        """Whether a worker wrote the text row of ``url`` in this crawl."""
        return bool(self.client.sismember(f"{self.key}:rows", url))

    def row_written(self, url: str) -> None:
        self.client.sadd(f"{self.key}:rows", url)

    # -- files and stats ---------------------------------------------------------------

    def file_completed(self, relpath: str, entry: dict[str, Any]) -> None:
        """A finished file of this worker, as the manifest lists it."""
        self.client.hset(f"{self.key}:files", relpath, json.dumps(entry))

    def files(self) -> dict[str, dict[str, Any]]:
        """Relative path -> manifest entry, of every worker."""
        return {_text(k): json.loads(v) for k, v in self.client.hgetall(f"{self.key}:files").items()}

    def add_stats(self, stats: dict[str, Any]) -> None:
        """This worker's final stats: numbers summed into the crawl's, all kept per worker."""
        with self.client.pipeline() as pipe:
            for name, value in stats.items():
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    continue
                if isinstance(value, int):
                    pipe.hincrby(f"{self.key}:stats", name, value)
                else:
                    pipe.hincrbyfloat(f"{self.key}:stats", name, value)
            pipe.hset(f"{self.key}:worker-stats", self.worker_id, json.dumps(stats, default=str))
            pipe.execute()

    def crawl_stats(self) -> dict[str, int | float]:
        """Stats summed over the workers that reported theirs."""
        result: dict[str, int | float] = {}
        for name, value in self.client.hgetall(f"{self.key}:stats").items():
            text = _text(value)
            result[_text(name)] = float(text) if "." in text or "e" in text else int(text)
        return result

    def worker_stats(self) -> dict[str, dict[str, Any]]:
        return {_text(k): json.loads(v) for k, v in self.client.hgetall(f"{self.key}:worker-stats").items()}

    def crawl_finished(self) -> None:
        """The manifest is published: the queue's and the duplicate filter's memory can go;
        the worker, file and stats records stay (``scrapy crawls`` reads them) a week."""
        self.client.delete(self.queue_key, self.dupefilter_key, f"{self.key}:lease-ids", f"{self.key}:rows")
        self.client.hset(f"{self.key}:seeding", "finished", "1")
        for name in ("workers", "files", "stats", "worker-stats", "progress", "seeding", "finisher"):
            self.client.expire(f"{self.key}:{name}", 7 * 86_400)

    def is_finished(self) -> bool:
        return self.client.hget(f"{self.key}:seeding", "finished") == b"1"


# -- a look from outside: `scrapy crawls` ----------------------------------------------


@dataclass(frozen=True)
class WorkerSnapshot:
    """One worker of a crawl as the frontier holds it.

    ``registered``: the state in the worker registry (``running``, ``done``, ``stopped``,
    ``dead``); ``alive``: its heartbeat key has not expired; ``leased``: requests it holds;
    ``stats``: what it reported at its end, else its counts at its last heartbeat (a worker
    still running, or one that died: ``archive/warc/responses`` and ``archive/text/articles``
    so far), None if nothing.
    """

    registered: str
    alive: bool
    leased: int
    stats: dict[str, Any] | None

    @property
    def state(self) -> str:
        """``registered``, but ``dead`` for a running worker whose heartbeat expired: dead in
        fact before some worker reaps it."""
        return "dead" if self.registered == "running" and not self.alive else self.registered


@dataclass(frozen=True)
class CrawlSnapshot:
    """A crawl's frontier at one moment (read in one atomic step): ``queued`` requests, its
    workers by id, and the ``finisher`` (the last worker out, writing the manifest) or ``""``."""

    queued: int
    workers: dict[str, WorkerSnapshot]
    finisher: str = ""

    @property
    def leased(self) -> int:
        return sum(worker.leased for worker in self.workers.values())

    @property
    def running_workers(self) -> int:
        """Workers running with a live heartbeat."""
        return sum(worker.state == "running" for worker in self.workers.values())


def reader_client(url: str, *, timeout: float) -> redis.Redis:
    """A client of the Redis at ``url`` for a command that only looks (``scrapy crawls``):
    ``timeout`` seconds to connect and for each reply, and no retry. A worker's client
    (:meth:`RedisFrontier.from_url`) waits a Redis restart out for about a minute; a look
    says at once that Redis does not answer. Connects at its first command; raises
    ``ValueError`` for a URL that is not ``redis://``, ``rediss://`` or ``unix://``."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                retry=Retry(NoBackoff(), 0))


def crawl_snapshot(client: redis.Redis, crawl_id: str) -> CrawlSnapshot | None:
    """Crawl ``crawl_id`` as its frontier holds it, read without changing anything (no
    reaping, no lease handed back); None if Redis knows no worker of it (a crawl of one
    process, or one whose records expired). Raises ``redis.exceptions.ConnectionError`` or
    ``TimeoutError`` as the client does."""
    key = crawl_key(crawl_id)
    reply = client.register_script(_SNAPSHOT)(keys=[f"{key}:workers"], args=[key])
    workers = {}
    for i in range(2, len(reply), 5):
        worker, registered, alive, leased, stats = reply[i : i + 5]
        workers[_text(worker)] = WorkerSnapshot(_text(registered), bool(alive), int(leased),
                                                json.loads(stats) if stats else None)
    if not workers:
        return None
    return CrawlSnapshot(int(reply[0]), workers, _text(reply[1]))
