"""The crawl's ``SCHEDULER``: Scrapy's own, or a queue shared by many processes on Redis.

With ``ARCHIVE_FRONTIER`` set, scrapy-redis's scheduler and duplicate filter with our leased
queue (:class:`scraper.frontier.redis.RedisFrontier`): a request popped by a worker stays
leased to it until the worker is done with it (see
:class:`scraper.extensions.FrontierExtension` for when), and goes back to the queue if the
worker dies. A request a downloader middleware replaced (a retry, a redirect) gives up its
lease when its replacement is queued, in the same Redis step.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import Base as RedisQueueBase
from scrapy_redis.scheduler import Scheduler as RedisScheduler

from scraper.extensions import LEASE_META_KEY, FrontierExtension
from scraper.frontier.redis import RedisFrontier

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

__all__ = ["STOCK_SCHEDULER", "ArchiveScheduler", "LeasedQueue"]

#: The scheduler used when there is no frontier: Scrapy's own.
STOCK_SCHEDULER = "scrapy.core.scheduler.Scheduler"

logger = logging.getLogger(__name__)

class LeasedQueue(RedisQueueBase):
    """scrapy-redis's queue interface over :class:`RedisFrontier`'s leased priority queue;
    scrapy-redis's serialiser (pickle of ``Request.to_dict``)."""

    def __init__(self, frontier: RedisFrontier, spider: Spider):
        super().__init__(frontier.client, spider, frontier.queue_key)
        self.frontier = frontier

    def __len__(self) -> int:
        return self.frontier.queued()

    def encode(self, request: Request) -> bytes:
        return bytes(self._encode_request(request))

    def push(self, request: Request) -> None:
        self.frontier.push(self.encode(request), request.priority)  # not filtered: the scheduler does

    def pop(self, timeout: int = 0) -> Request | None:
        item = self.frontier.pop()
        if item is None:
            return None
        lease, data = item
        request: Request = self._decode_request(data)
        request.meta[LEASE_META_KEY] = lease
        return request


class ArchiveScheduler(RedisScheduler):
    """The crawl's ``SCHEDULER``: without ``ARCHIVE_FRONTIER``, :meth:`from_crawler` builds
    Scrapy's own scheduler; with it, scrapy-redis's, persistent (workers come and go; the
    crawl's state stays until its manifest is written) and leasing."""

    def __init__(self, frontier: RedisFrontier, ext: FrontierExtension, *, max_waiting: int, debug: bool = False):
        super().__init__(
            frontier.client,
            persist=True,
            queue_key=frontier.queue_key,
            dupefilter=RFPDupeFilter(frontier.client, key=frontier.dupefilter_key, debug=debug),
        )
        self.frontier = frontier
        self.ext = ext
        #: Requests this worker leased and not yet downloading (waiting for robots.txt, DNS or
        #: a host slot) past which it leases no more: Scrapy's engine would take
        #: CONCURRENT_REQUESTS at once, and a worker holding a host's whole queue while the
        #: host's crawl-wide slots are busy leaves the other workers nothing to do.
        self.max_waiting = max_waiting

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        ext = crawler.get_extension(FrontierExtension)
        if ext is None:
            return build_from_crawler(load_object(STOCK_SCHEDULER), crawler)
        scheduler = cls(ext.frontier, ext, debug=crawler.settings.getbool("DUPEFILTER_DEBUG"),
                        max_waiting=max(1, crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")))
        scheduler.stats = crawler.stats
        return scheduler

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.queue = LeasedQueue(self.frontier, spider)
        queued = len(self.queue)
        if queued:
            logger.info("Crawl %s has %d requests queued", self.frontier.crawl_id, queued)

    def enqueue_request(self, request: Request) -> bool:
        lease = request.meta.pop(LEASE_META_KEY, None)
        # A request carrying a lease that has not reached the scraper is its replacement
        # (a retry, a redirect): the lease goes when it is queued. One that reached the
        # scraper carries it only because a callback copied its response's meta.
        replaces = lease if lease is not None and lease in self.ext.downloading else None
        if replaces is not None:
            self.ext.downloading.discard(replaces)
        # scrapy-redis's duplicate filter (its fingerprint, its key), checked in the same
        # Redis step as the push (RedisFrontier.push says why).
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        if not self.frontier.push(self.queue.encode(request), request.priority, fingerprint=fingerprint,
                                  replaces=replaces or ""):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def _waiting(self) -> int:
        """Requests this worker leased that are not downloading yet: waiting for robots.txt,
        DNS or a host slot, in the downloader's middlewares or its slot queues."""
        engine = self.ext.crawler.engine
        if engine is None:
            return 0
        transferring = sum(len(slot.transferring) for slot in engine.downloader.slots.values())
        return max(0, len(self.ext.downloading) - transferring)

    def next_request(self) -> Request | None:
        if self._waiting() >= self.max_waiting:
            return None  # asked again when a download ends
        try:
            request = self.queue.pop()
        except RedisError as error:  # the client retried for about a minute: the engine asks again
            logger.error("Cannot take a request from the frontier: %s", error)
            self.stats.inc_value("archive/frontier/redis_errors")
            return None
        if request is not None:
            self.ext.downloading.add(request.meta[LEASE_META_KEY])
            self.stats.inc_value("scheduler/dequeued/redis")
        return request
