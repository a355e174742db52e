"""Where the site template learned by crawls is kept: a JSON file, or a Redis shared by processes.

The counting is :class:`~scraper.extract.boilerplate.SiteBoilerplate`'s; a
:class:`SiteTemplateStore` only loads what earlier crawls learned, takes the pages this
process learns from, and keeps them for later crawls. The Redis store also hands each
process what the others learned meanwhile, so a crawl's processes learn together.
Knows nothing of Scrapy or Twisted.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from scraper.extract.boilerplate import SiteBoilerplate, host_of, page_key
from scraper.history.redis import as_text

if TYPE_CHECKING:
    import redis

__all__ = ["FileSiteTemplate", "HostCounts", "RedisSiteTemplate", "SiteTemplateStore"]

logger = logging.getLogger(__name__)

#: Per host, what a store merged: the page keys (:func:`page_key`) and, per paragraph
#: fingerprint, the number of those pages that had it.
HostCounts = dict[str, tuple[set[str], dict[str, int]]]

# One page's paragraphs counted, unless some process counted the page already.
_ADD_PAGE = """
if redis.call('SADD', KEYS[1], ARGV[2]) == 0 then return 0 end
redis.call('SADD', KEYS[3], ARGV[1])
for i = 3, #ARGV do redis.call('HINCRBY', KEYS[2], ARGV[i], 1) end
return 1
"""

# A host's counts past ARGV[1] fingerprints lose those seen once (as SiteBoilerplate does).
_PRUNE = """
if redis.call('HLEN', KEYS[1]) <= tonumber(ARGV[1]) then return 0 end
local all, dropped = redis.call('HGETALL', KEYS[1]), 0
for i = 1, #all, 2 do
  if all[i + 1] == '1' then redis.call('HDEL', KEYS[1], all[i]); dropped = dropped + 1 end
end
return dropped
"""


class SiteTemplateStore(Protocol):
    """What the text pipeline needs to keep the site template between crawls and processes.

    :meth:`load` and :meth:`save` block (call them off the reactor where it matters);
    :meth:`observed` is cheap. :meth:`exchange` blocks: it sends the pages observed since
    the last one and returns the merged counts of their hosts, for
    :meth:`SiteBoilerplate.replace_host <scraper.extract.boilerplate.SiteBoilerplate.replace_host>`
    on the thread that owns the template.
    """

    #: Where the template is kept, for log lines.
    where: str

    def load(self, fresh: SiteBoilerplate) -> SiteBoilerplate:
        """What earlier crawls learned, or ``fresh`` (its settings) when nothing is kept."""

    def observed(self, url: str, fingerprints: Iterable[str]) -> bool:
        """``learned.observe(url, fingerprints)`` was called; True when an exchange is due."""

    def exchange(self) -> HostCounts:
        """Send what was observed since the last exchange; the merged counts of its hosts."""

    def save(self, learned: SiteBoilerplate) -> None:
        """Keep what ``learned`` knows for later crawls (merged with what others saved)."""

    def close(self) -> None:
        """Let go of the store."""


class FileSiteTemplate:
    """The template in a JSON file (:meth:`SiteBoilerplate.save`), for a crawl of one process:
    read at the start, written whole (atomically) at the end."""

    def __init__(self, path: Path):
        self.path = path
        self.where = str(path)

    def load(self, fresh: SiteBoilerplate) -> SiteBoilerplate:
        if not self.path.exists():
            return fresh
        try:
            return SiteBoilerplate.load(self.path)
        except (OSError, ValueError, KeyError) as error:
            logger.warning("Ignoring unreadable site boilerplate file %s: %r", self.path, error)
            return fresh

    def observed(self, url: str, fingerprints: Iterable[str]) -> bool:
        return False

    def exchange(self) -> HostCounts:
        return {}

    def save(self, learned: SiteBoilerplate) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        learned.save(self.path)

    def close(self) -> None:
        pass


class RedisSiteTemplate:
    """The template in a Redis shared by a crawl's processes, and kept there for later crawls.

    Keys, under ``namespace`` (:func:`scraper.history.redis.archive_namespace`) then
    ``template:``: ``settings`` (JSON, the first process's thresholds, as the file keeps
    them), ``hosts`` (a set), and per host ``pages:<host>`` (a set of page keys) and
    ``counts:<host>`` (a hash, fingerprint to pages). A page is added in one Lua step: its
    paragraphs are counted only if no process counted the page yet, so processes saving at
    once add up and never overwrite each other.

    Pages wait in memory until :meth:`exchange`, due every ``exchange_every`` pages or
    ``exchange_after`` seconds (whichever first).
    """

    def __init__(self, client: redis.Redis, namespace: str, *, exchange_every: int = 100,
                 exchange_after: float = 15.0):
        self.client = client
        self.prefix = namespace + "template:"
        options = client.connection_pool.connection_kwargs
        self.where = f"Redis {options.get('host', '?')}:{options.get('port', '')}/{options.get('db', 0)} {self.prefix}*"
        self.exchange_every = exchange_every
        self.exchange_after = exchange_after
        self._add_page = client.register_script(_ADD_PAGE)
        self._prune = client.register_script(_PRUNE)
        self._mutex = threading.Lock()
        self._journal: list[tuple[str, str, list[str]]] = []
        self._last_exchange = time.monotonic()
        self._max_fingerprints = 0

    def _pages_key(self, host: str) -> str:
        return f"{self.prefix}pages:{host}"

    def _counts_key(self, host: str) -> str:
        return f"{self.prefix}counts:{host}"

    def load(self, fresh: SiteBoilerplate) -> SiteBoilerplate:
        settings = {"min_pages": fresh.min_pages, "min_share": fresh.min_share,
                    "long_min_pages": fresh.long_min_pages, "long_min_share": fresh.long_min_share,
                    "max_fingerprints": fresh.max_fingerprints}
        self.client.set(self.prefix + "settings", json.dumps(settings), nx=True)
        kept = json.loads(self.client.get(self.prefix + "settings") or b"{}")
        learned = SiteBoilerplate(**kept) if kept != settings else fresh
        self._max_fingerprints = learned.max_fingerprints
        hosts = sorted(as_text(host) for host in self.client.smembers(self.prefix + "hosts"))
        for host, (pages, counts) in self._read(hosts).items():
            learned.replace_host(host, pages, counts)
        return learned

    def _read(self, hosts: Iterable[str]) -> HostCounts:
        found: HostCounts = {}
        hosts = list(hosts)
        for start in range(0, len(hosts), 100):
            chunk = hosts[start:start + 100]
            with self.client.pipeline(transaction=False) as pipe:
                for host in chunk:
                    pipe.smembers(self._pages_key(host))
                    pipe.hgetall(self._counts_key(host))
                replies = pipe.execute()
            for index, host in enumerate(chunk):
                pages, counts = replies[2 * index], replies[2 * index + 1]
                found[host] = ({as_text(page) for page in pages},
                               {as_text(fp): int(count) for fp, count in counts.items()})
        return found

    def observed(self, url: str, fingerprints: Iterable[str]) -> bool:
        entry = (host_of(url), page_key(url), sorted({fp for fp in fingerprints if fp}))
        with self._mutex:
            self._journal.append(entry)
            return (len(self._journal) >= self.exchange_every
                    or time.monotonic() - self._last_exchange >= self.exchange_after)

    def exchange(self) -> HostCounts:
        hosts = self._send()
        return self._read(hosts)

    def _send(self) -> set[str]:
        """The pages observed since the last exchange, into Redis; the hosts they were of."""
        with self._mutex:
            journal, self._journal = self._journal, []
            self._last_exchange = time.monotonic()
        hosts = {host for host, _, _ in journal}
        if not journal:
            return hosts
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for host, key, fingerprints in journal:
                    self._add_page(keys=[self._pages_key(host), self._counts_key(host), self.prefix + "hosts"],
                                   args=[host, key, *fingerprints], client=pipe)
                if self._max_fingerprints:
                    for host in hosts:
                        self._prune(keys=[self._counts_key(host)], args=[self._max_fingerprints], client=pipe)
                pipe.execute()
        except BaseException:
            # Back in line for the next exchange: a page counted twice by a retried script
            # is not, the pages set says it was counted.
            with self._mutex:
                self._journal[:0] = journal
            raise
        return hosts

    def save(self, learned: SiteBoilerplate) -> None:
        self._send()

    def close(self) -> None:
        self.client.close()
