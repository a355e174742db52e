"""The crawl history on a Redis server, shared by every process of a crawl (``ARCHIVE_FRONTIER``).

The same :class:`~scraper.history.base.CrawlHistory` as the SQLite file, kept where many
crawler processes on many machines reach it. The history belongs to the archive (every
crawl of one ``ARCHIVE_URI``), so its keys live under :func:`archive_namespace`, not under a
crawl id. What differs from the file: the lock is per crawl id (the processes of one crawl
join it, a crawl with another id is refused), and a URL keeps only the captures a crawl can
still need (see :class:`RedisHistory`), as memory costs more than disk.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from scraper.history.base import Capture, CrawlRun, HistoryError, HistoryLocked

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import redis

__all__ = ["RedisHistory", "archive_namespace", "as_text", "connect"]

logger = logging.getLogger(__name__)

#: Captures a flush sends to Redis in one round trip.
_BATCH = 500
#: Keys a forgetting pass reads per ``SCAN`` step.
_SCAN_COUNT = 1000
_UUID_URN = "<urn:uuid:"

# One URL's captures: a line per crawl that fetched it, "seen_by TAB checked_at TAB json".
# Kept: the running crawl's line (replaced), those of crawls not yet confirmed (one of them
# may turn out incomplete and be forgotten), and of the confirmed crawls only the newest;
# lines of crawls the history no longer knows go. Atomic, so workers never lose a line.
_RECORD = """
local old = redis.call('GET', KEYS[1])
local kept, newest, newest_at = {}, nil, nil
if old then
  for line in string.gmatch(old, '[^\\n]+') do
    local seen_by, checked_at = string.match(line, '^([^\\t]*)\\t([^\\t]*)\\t')
    if seen_by ~= ARGV[1] and redis.call('HEXISTS', KEYS[2], seen_by) == 1 then
      if redis.call('SISMEMBER', KEYS[3], seen_by) == 0 then
        table.insert(kept, line)
      elseif newest == nil or checked_at > newest_at then
        newest, newest_at = line, checked_at
      end
    end
  end
end
if newest then table.insert(kept, 1, newest) end
table.insert(kept, ARGV[2])
redis.call('SET', KEYS[1], table.concat(kept, '\\n'))
return #kept
"""

# The lines of crawl ARGV[1] dropped from the URLs in KEYS (a crawl found incomplete).
_FORGET = """
local changed = 0
local prefix = ARGV[1] .. '\\t'
for _, key in ipairs(KEYS) do
  local old = redis.call('GET', key)
  if old then
    local kept, dropped = {}, false
    for line in string.gmatch(old, '[^\\n]+') do
      if string.sub(line, 1, #prefix) == prefix then dropped = true else table.insert(kept, line) end
    end
    if dropped then
      changed = changed + 1
      if #kept == 0 then redis.call('DEL', key) else redis.call('SET', key, table.concat(kept, '\\n')) end
    end
  end
end
return changed
"""

# The lock let go only by the crawl holding it.
_RELEASE = """
local holder = redis.call('GET', KEYS[1])
if holder and cjson.decode(holder)['crawl_id'] == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def archive_namespace(archive: str) -> str:
    """The key prefix of everything an archive keeps in Redis: ``archive:<id>:``, ``<id>``
    the first 16 hex digits of the SHA-1 of ``archive``, the archive's canonical URI
    (``file:///abs/path`` or ``s3://bucket/prefix``, as the crawl's processes all name it)."""
    return f"archive:{hashlib.sha1(archive.encode('utf-8')).hexdigest()[:16]}:"


def connect(url: str) -> redis.Redis:
    """A client of the Redis at ``url`` (``redis://[:password@]host:port/db``, ``rediss://``
    for TLS), checked with a ``PING``; :class:`HistoryError` saying why when it does not answer."""
    import redis

    client = redis.Redis.from_url(url, health_check_interval=30)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        raise HistoryError(f"the Redis at {_safe_url(url)} does not answer ({error}): start it, or run "
                           f"without the shared frontier (empty ARCHIVE_FRONTIER)") from error
    return client


def as_text(value: bytes | str) -> str:
    """A Redis reply as text, whether the client decodes replies or not (UTF-8)."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _safe_url(url: str) -> str:
    """``url`` without its password, for messages."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}" if "@" in rest else url


class RedisHistory:
    """:class:`~scraper.history.base.CrawlHistory` in a Redis shared by a crawl's processes.

    Keys (under ``namespace``, from :func:`archive_namespace`, then ``history:``):

    - ``u:<12 bytes of the URL's SHA-1>``: a string, the URL's captures, a line per crawl
      that fetched it (see :func:`_encode`). A record
      replaces the running crawl's line and drops the confirmed crawls' lines but the
      newest: what a later crawl looks up, and what it falls back to if the running crawl
      is found incomplete and forgotten. So :meth:`captures` shows fewer than the SQLite
      file, which keeps every one.
    - ``started``, ``finished``: hashes, crawl id to start date, and to ``[end date,
      reason]``; ``confirmed``: the set of crawls confirmed complete.
    - ``lock``: the crawl recording now (JSON: crawl id, pid, host, since). Processes
      opening with the same ``owner`` join it; another owner gets :class:`HistoryLocked`,
      unless ``complete`` says the holder is complete in the archive (its manifest
      published): its processes are all done, so its run is ended (reason ``finished``)
      and the lock taken over. The lock is let go by :meth:`crawl_finished`, which only
      the process that ends the crawl calls (the others call :meth:`worker_finished`), or
      taken over so; a crawl whose processes all died before its manifest keeps it until
      the crawl is run again with its id, or the key is deleted.

    Records wait in memory until :meth:`flush` (in the crawl's history thread), then go in
    batches of Lua scripts, one atomic step per URL, so two processes recording the same
    URL keep both lines. ``read_only``: to look (``scrapy history``), no lock taken.
    Thread-safe as :class:`~scraper.history.sqlite.SqliteHistory` is.
    """

    def __init__(self, client: redis.Redis, namespace: str, *, owner: str = "", read_only: bool = False,
                 archive: str = "", complete: Callable[[str], bool] | None = None):
        self.client = client
        self.prefix = namespace + "history:"
        self.where = f"Redis {_describe(client)} {self.prefix}*"
        self._url_prefix = (self.prefix + "u:").encode("utf-8")
        self._started_key = self.prefix + "started"
        self._finished_key = self.prefix + "finished"
        self._confirmed_key = self.prefix + "confirmed"
        self._lock_key = self.prefix + "lock"
        self._record = client.register_script(_RECORD)
        self._forget = client.register_script(_FORGET)
        self._release_script = client.register_script(_RELEASE)
        self._mutex = threading.Lock()
        self._pending: dict[str, Capture] = {}
        self._running = ""
        self._owner = owner
        self._locked = False  # this object took the lock (rather than joining a crawl holding it)
        self._started = False
        self._confirmed: set[str] = set()
        self._complete = complete
        if not read_only:
            if archive:
                client.set(namespace + "uri", archive, nx=True)  # for whoever lists the keys
            self._lock(owner)
        self._load_confirmed()

    @classmethod
    def from_url(cls, url: str, archive: str, *, owner: str = "", read_only: bool = False,
                 complete: Callable[[str], bool] | None = None) -> RedisHistory:
        """The history of ``archive`` (its canonical URI) in the Redis at ``url``."""
        client = connect(url)
        try:
            return cls(client, archive_namespace(archive), owner=owner, read_only=read_only, archive=archive,
                       complete=complete)
        except BaseException:
            client.close()
            raise

    def _lock(self, owner: str) -> None:
        who = json.dumps({"crawl_id": owner, "pid": os.getpid(), "host": socket.gethostname(),
                          "since": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        if self.client.set(self._lock_key, who, nx=True):
            self._locked = True
            return
        holder = self.client.get(self._lock_key)
        text = as_text(holder) if holder else "unknown"
        holder_crawl = _holder_crawl(text)
        if holder_crawl == owner:  # another process of this crawl, or a run of it that died
            logger.info("Joining crawl %s in the crawl history (%s)", owner, text)
            return
        if holder is None:  # let go meanwhile
            self._lock(owner)
            return
        if holder_crawl and self._complete is not None and self._complete(holder_crawl):
            # Its manifest is published, so all its processes are done: the one that
            # finished it could not know it was the last in time to end the run.
            logger.info("Crawl %s, which holds the crawl history, is complete in the archive: its run is "
                        "ended and its lock let go", holder_crawl)
            self.client.hsetnx(self._finished_key, holder_crawl, json.dumps([None, "finished"]))
            self._release(holder_crawl)
            self._lock(owner)
            return
        raise HistoryLocked(
            f"the crawl history {self.where} is in use by another crawl ({text}). Two crawls of one archive "
            f"cannot share it: wait for that crawl to end; if all its processes died, run it again with "
            f"its ARCHIVE_CRAWL_ID to finish it, or delete the key {self._lock_key}; or run this crawl "
            f"without the history (-s ARCHIVE_HISTORY=False)"
        )

    def _load_confirmed(self) -> None:
        members = {as_text(member) for member in self.client.smembers(self._confirmed_key)}
        with self._mutex:
            self._confirmed = members

    # -- the interface -----------------------------------------------------------------

    def lookup(self, url: str) -> Capture | None:
        with self._mutex:
            capture = self._pending.get(url)
            if capture is not None:
                return capture
            visible = self._confirmed | {self._running} if self._running else self._confirmed
        found: tuple[str, Capture] | None = None
        for seen_by, capture in self._read(url):
            if seen_by in visible and (found is None or capture.checked_at > found[1].checked_at):
                found = (seen_by, capture)
        return found[1] if found is not None else None

    def captures(self, url: str) -> list[tuple[str, Capture]]:
        """The captures of ``url`` kept, oldest first, with the crawl that made each
        (confirmed or not): the newest of confirmed crawls and any made since."""
        return sorted(self._read(url), key=lambda pair: pair[1].checked_at)

    def url_key(self, url: str) -> bytes:
        """``u:`` and the first 12 bytes of the URL's SHA-1: shorter than most URLs, and
        memory is what a shared history costs (the line keeps no URL either: the caller has it)."""
        return self._url_prefix + hashlib.sha1(url.encode("utf-8")).digest()[:12]

    def _read(self, url: str) -> list[tuple[str, Capture]]:
        value = self.client.get(self.url_key(url))
        if value is None:
            return []
        return [_decode(url, line) for line in as_text(value).split("\n") if line]

    def record(self, capture: Capture) -> None:
        with self._mutex:
            if not self._running:
                raise HistoryError("no crawl is running: call crawl_started first")
            self._pending[capture.url] = capture

    @property
    def pending(self) -> int:
        """Records not yet flushed."""
        return len(self._pending)

    def crawl_started(self, run: CrawlRun) -> None:
        """The crawl starts recording, or this process joins it: the first process's start
        date is kept."""
        if not run.crawl_id or any(c in run.crawl_id for c in "\t\n"):
            raise HistoryError(f"a crawl id for the history has no tab or line break: {run.crawl_id!r}")
        with self.client.pipeline() as pipe:
            pipe.hsetnx(self._started_key, run.crawl_id, run.started_at)
            if run.finished_at is None:
                pipe.hdel(self._finished_key, run.crawl_id)  # a finished crawl resumed runs again
            pipe.execute()
        self._load_confirmed()
        with self._mutex:
            self._running = run.crawl_id
            self._started = True

    def worker_finished(self) -> None:
        """This process stops recording; the crawl goes on in others (the run stays open,
        the lock held). The process that ends the crawl calls :meth:`crawl_finished` instead."""
        self.flush()
        with self._mutex:
            self._running = ""

    def crawl_finished(self, run: CrawlRun) -> None:
        """The crawl has ended, all its processes with it: the run's end is written and the
        lock let go. Call it from the crawl's last process only."""
        self.flush()
        with self.client.pipeline() as pipe:
            pipe.hsetnx(self._started_key, run.crawl_id, run.started_at)
            pipe.hset(self._finished_key, run.crawl_id, json.dumps([run.finished_at, run.finish_reason]))
            pipe.execute()
        self._release(self._owner or run.crawl_id)  # the lock is the owner's (the same id, unless read early)
        with self._mutex:
            self._running = ""

    def _release(self, crawl_id: str) -> None:
        self._release_script(keys=[self._lock_key], args=[crawl_id])
        self._locked = False

    def unconfirmed(self) -> list[str]:
        """Crawl ids whose records wait to be confirmed: not the running crawl's, nor that
        of the crawl holding the lock (other processes may still be recording it)."""
        holder = self.client.get(self._lock_key)
        busy = {self._running, _holder_crawl(as_text(holder)) if holder else None}
        started = self._decoded_hash(self._started_key)
        self._load_confirmed()
        waiting = [(at, crawl_id) for crawl_id, at in started.items()
                   if crawl_id not in self._confirmed and crawl_id not in busy]
        return [crawl_id for _, crawl_id in sorted(waiting)]

    def confirm(self, crawl_id: str, complete: bool) -> None:
        if complete:
            self.client.sadd(self._confirmed_key, crawl_id)
        else:
            # Its lines first, then the run: a crawl interrupted here is still listed, and
            # forgotten again the next time.
            for keys in self._scan_batches():
                self._forget(keys=keys, args=[crawl_id])
            with self.client.pipeline() as pipe:
                pipe.hdel(self._started_key, crawl_id)
                pipe.hdel(self._finished_key, crawl_id)
                pipe.srem(self._confirmed_key, crawl_id)
                pipe.execute()
        self._load_confirmed()

    def _scan_batches(self) -> Iterator[list[bytes]]:
        batch: list[bytes] = []
        for key in self.client.scan_iter(match=self._url_prefix + b"*", count=_SCAN_COUNT):
            batch.append(key)
            if len(batch) >= _SCAN_COUNT:
                yield batch
                batch = []
        if batch:
            yield batch

    def last_crawl(self) -> CrawlRun | None:
        confirmed = [(run.started_at, run) for run, done in self.crawls() if done]
        return max(confirmed, key=lambda pair: pair[0])[1] if confirmed else None

    def crawls(self) -> list[tuple[CrawlRun, bool]]:
        """Every crawl the history knows, oldest first, and whether it is confirmed."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hgetall(self._started_key)
            pipe.hgetall(self._finished_key)
            pipe.smembers(self._confirmed_key)
            started, finished, confirmed = pipe.execute()
        runs = []
        for raw_id, raw_start in started.items():
            crawl_id = as_text(raw_id)
            end, reason = json.loads(finished[raw_id]) if raw_id in finished else (None, None)
            runs.append((CrawlRun(crawl_id, as_text(raw_start), end, reason), raw_id in confirmed))
        return sorted(runs, key=lambda pair: pair[0].started_at)

    def _decoded_hash(self, key: str) -> dict[str, str]:
        return {as_text(k): as_text(v) for k, v in self.client.hgetall(key).items()}

    def flush(self) -> None:
        # Sent outside the lock, so lookups go on meanwhile; the batch stays pending (and
        # looked up there) until Redis has it.
        with self._mutex:
            if not self._pending:
                return
            batch, running = dict(self._pending), self._running
        captures = list(batch.values())
        for start in range(0, len(captures), _BATCH):
            with self.client.pipeline(transaction=False) as pipe:
                for capture in captures[start:start + _BATCH]:
                    self._record(keys=[self.url_key(capture.url), self._started_key, self._confirmed_key],
                                 args=[running, _encode(running, capture)], client=pipe)
                pipe.execute()
        with self._mutex:
            for url, capture in batch.items():
                if self._pending.get(url) is capture:  # not recorded again meanwhile
                    del self._pending[url]

    def close(self) -> None:
        """Flush and let go of the connection; the lock too, if this process took it and
        no crawl ever started (a crawl that failed before it began)."""
        try:
            self.flush()
            if self._locked and not self._started:
                self._release(self._owner)
        finally:
            self.client.close()


def _describe(client: redis.Redis) -> str:
    options = client.connection_pool.connection_kwargs
    return f"{options.get('host', options.get('path', '?'))}:{options.get('port', '')}/{options.get('db', 0)}"


def _holder_crawl(holder: str) -> str | None:
    try:
        return str(json.loads(holder).get("crawl_id"))
    except (ValueError, AttributeError):
        return None


def _encode(seen_by: str, capture: Capture) -> str:
    """A capture's line: ``seen_by TAB checked_at TAB`` a JSON array of the other fields,
    without the URL (the caller has it). Memory is what a shared history costs, so the fetch
    date and crawl id are 0 when they repeat the check date and ``seen_by`` (a full fetch),
    a WARC file name that starts with the crawl id (ours all do) is the rest of it in a
    list, and record ids ``<urn:uuid:…>`` are their UUID's 16 bytes in base64url."""
    crawl_id = capture.crawl_id
    filename: str | list[str] = capture.warc_filename
    if capture.warc_filename.startswith(crawl_id):
        filename = [capture.warc_filename[len(crawl_id):]]
    fields = [
        capture.status, 0 if capture.fetched_at == capture.checked_at else capture.fetched_at,
        0 if crawl_id == seen_by else crawl_id, filename, capture.warc_offset,
        _short_id(capture.warc_record_id), capture.payload_digest, capture.payload_bytes, capture.etag,
        capture.last_modified, capture.text_fingerprint, capture.text_version,
        _short_id(capture.text_record_id),
    ]
    return f"{seen_by}\t{capture.checked_at}\t{json.dumps(fields, ensure_ascii=False, separators=(',', ':'))}"


def _decode(url: str, line: str) -> tuple[str, Capture]:
    seen_by, checked_at, packed = line.split("\t", 2)
    (status, fetched_at, crawl_id, filename, warc_offset, record_id, digest, payload_bytes, etag,
     last_modified, text_fp, text_version, text_record_id) = json.loads(packed)
    crawl_id = crawl_id or seen_by
    return seen_by, Capture(
        url=url, status=status, fetched_at=fetched_at or checked_at, checked_at=checked_at,
        crawl_id=crawl_id, warc_filename=crawl_id + filename[0] if isinstance(filename, list) else filename,
        warc_offset=warc_offset, warc_record_id=_long_id(record_id) or "", payload_digest=digest,
        payload_bytes=payload_bytes, etag=etag, last_modified=last_modified, text_fingerprint=text_fp,
        text_version=text_version, text_record_id=_long_id(text_record_id),
    )


def _short_id(record_id: str | None) -> str | None:
    """A ``<urn:uuid:…>`` record id (lower case, as written) as 22 base64url characters; any
    other id as it is (a WARC-Record-ID starts with ``<``, so the two never mix)."""
    if record_id is None or not (record_id.startswith(_UUID_URN) and record_id.endswith(">")):
        return record_id
    try:
        parsed = uuid.UUID(record_id[len(_UUID_URN):-1])
    except ValueError:
        return record_id
    if f"{_UUID_URN}{parsed}>" != record_id:  # upper case, braces: kept as written
        return record_id
    return base64.urlsafe_b64encode(parsed.bytes).decode("ascii").rstrip("=")


def _long_id(stored: str | None) -> str | None:
    if not stored or stored.startswith("<"):
        return stored
    return f"{_UUID_URN}{uuid.UUID(bytes=base64.urlsafe_b64decode(stored + '=='))}>"
