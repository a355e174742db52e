"""Scrapy's downloader, holding the per-host concurrency limit whatever the delay settings.

Scrapy 2.19's ``Downloader._process_queue`` loops ``while slot.queue and
slot.free_transfer_slots() > 0``, starting each download as a coroutine that adds its
request to ``slot.transferring`` only when it first runs: after the loop. With no
download delay one pass drains the whole slot queue, so a host gets every request queued
for it at once, ``CONCURRENT_REQUESTS_PER_DOMAIN`` or not (a delay hides it: the loop
stops after one request). The upstream reproduction is in docs/upstream-per-host-concurrency.md.
"""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING

from scrapy.core.downloader import Downloader
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot

__all__ = ["PoliteDownloader"]


class PoliteDownloader(Downloader):
    """:class:`scrapy.core.downloader.Downloader` whose slot counts a request as in flight
    from the moment it leaves the slot queue, so no more than the slot's concurrency are
    ever started. Otherwise Scrapy's ``_process_queue``, line for line."""

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
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            # Counted now, not when the coroutine first runs (``_download`` adds it again:
            # a set, so once; and removes it when the download ends, however it ends).
            slot.transferring.add(request)
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))
            if delay:
                self._process_queue(slot)
                break
