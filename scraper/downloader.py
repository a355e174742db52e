"""Scrapy's downloader, holding the per-host concurrency limit whatever the delay settings,
and, in a crawl shared by many processes (``ARCHIVE_FRONTIER``), for the whole crawl.

Scrapy 2.19's ``Downloader._process_queue`` loops ``while slot.queue and
slot.free_transfer_slots() > 0``, starting each download as a coroutine that adds its
request to ``slot.transferring`` only when it first runs: after the loop. With no
download delay one pass drains the whole slot queue, so a host gets every request queued
for it at once, ``CONCURRENT_REQUESTS_PER_DOMAIN`` or not (a delay hides it: the loop
stops after one request). The upstream reproduction is in docs/upstream-per-host-concurrency.md.

Scrapy's slots are per process: N processes would send a host N times its concurrency and
ignore each other's delays. With a frontier each download first takes one of the host's
slots in Redis (:meth:`scraper.frontier.redis.RedisFrontier.acquire_host`, as scrapy-cluster
throttles across its crawlers), and keeps the host's delay crawl-wide.
"""

from __future__ import annotations

from functools import cached_property
from time import monotonic
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader import Downloader
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro

from scraper.extensions import FrontierExtension

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.core.downloader import Slot
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

    from scraper.frontier.redis import RedisFrontier

__all__ = ["PoliteDownloader"]


class PoliteDownloader(Downloader):
    """:class:`scrapy.core.downloader.Downloader` whose slot counts a request as in flight
    from the moment it leaves the slot queue, so no more than the slot's concurrency are
    ever started, and that takes the host's crawl-wide slot when the crawl is shared.
    Otherwise Scrapy's ``_process_queue``, line for line."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self._download_timeout = crawler.settings.getfloat("DOWNLOAD_TIMEOUT")
        self._host_tokens: dict[Request, tuple[str, str]] = {}

    @cached_property
    def frontier(self) -> RedisFrontier | None:
        """The shared crawl's frontier, or None; looked up at the first download, once the
        extensions exist."""
        ext = self.crawler.get_extension(FrontierExtension)
        return ext.frontier if ext is not None else None

    def _shared_slot_wait(self, slot: Slot, request: Request, delay: float) -> float:
        """0.0 once ``request`` holds one of its host's slots in the shared crawl, else the
        seconds to wait before asking again."""
        frontier = self.frontier
        if frontier is None:
            return 0.0
        key = str(request.meta.get(self.DOWNLOAD_SLOT) or "")
        token = f"{frontier.worker_id}:{id(request)}"
        # Held at most a download's time (retries are new requests): then a dead worker's slot frees.
        wait = frontier.acquire_host(key, token, limit=slot.concurrency, delay=delay,
                                     hold=self._download_timeout + 30)
        if not wait:
            self._host_tokens[request] = (key, token)
        return wait

    async def _wait_for_download(self, slot: Slot, request: Request, queue_dfd: Deferred[Any]) -> None:
        try:
            await super()._wait_for_download(slot, request, queue_dfd)
        finally:
            held = self._host_tokens.pop(request, None)
            if held is not None and self.frontier is not None:
                self.frontier.release_host(*held)

    def _process_queue(self, slot: Slot) -> None:
        if slot.latercall:
            return
        now = monotonic()
        delay = slot.download_delay()
        if delay:
            penalty = delay - now + slot.lastseen
            if penalty > 0:
                slot.latercall = call_later(penalty, self._latercall, slot)
                return
        while slot.queue and slot.free_transfer_slots() > 0:
            wait = self._shared_slot_wait(slot, slot.queue[0][0], delay)
            if wait:  # other workers hold the host's slots, or its delay runs
                slot.latercall = call_later(wait, self._latercall, slot)
                return
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            # Counted now, not when the coroutine first runs (``_download`` adds it again:
            # a set, so once; and removes it when the download ends, however it ends).
            slot.transferring.add(request)
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))
            if delay:
                self._process_queue(slot)
                break
