"""Each origin's ``/.well-known/tdmrep.json`` (W3C TDMRep's site-wide file), fetched once a crawl.

Thin Scrapy glue: the request goes through the engine's downloader, so robots.txt, the
politeness of the host's slot, retries, redirects and the WARC capture apply to it as to
any page; reading the file is :func:`scraper.extract.rights.read_tdmrep_file`. Knows
nothing of rows: the text pipeline asks it for an article's origin and waits for the answer.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred

from scraper.extract.rights import TDMREP_PATH, TdmRepFile, origin_of, read_tdmrep_file
from scraper.incremental import FETCH_META_KEY

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

__all__ = ["TdmRepFiles"]

logger = logging.getLogger(__name__)


class TdmRepFiles:
    """The crawl's tdmrep.json answers, one per origin (``scheme://host[:port]``).

    :meth:`site_file` fetches an origin's file the first time it is asked about that origin;
    everyone asking meanwhile or later waits for that one answer. The state is this
    object's dict of answers, kept for the crawl: a crawl spread over processes would keep
    it where they all see it, behind the same method.

    Stats: ``archive/rights/tdmrep_found``, ``_absent`` (any answer but 2xx),
    ``_invalid`` (no JSON array of rules), ``_not_fetched`` (robots.txt disallows it, or the
    download failed) per origin; ``archive/rights/tdmrep_bad_rules``, rules left out or read
    as unset in files otherwise valid.
    """

    def __init__(self, crawler: Crawler, stats: StatsCollector):
        self.crawler = crawler
        self.stats = stats
        self._answers: dict[str, Deferred[TdmRepFile | None]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TdmRepFiles:
        if not crawler.settings.getbool("ARCHIVE_TDMREP_WELL_KNOWN"):
            raise NotConfigured("ARCHIVE_TDMREP_WELL_KNOWN is off")
        assert crawler.stats is not None
        return cls(crawler, crawler.stats)

    async def site_file(self, url: str) -> TdmRepFile | None:
        """The tdmrep.json of ``url``'s origin, or None when it could not be fetched."""
        origin = origin_of(url)
        answer = self._answers.get(origin)
        if answer is None:
            answer = self._answers[origin] = deferred_from_coro(self._fetch(origin))
        # Each caller gets a Deferred of its own: awaiting the shared one would hand the
        # result to the first caller's future and None to everyone after it.
        mine: Deferred[TdmRepFile | None] = Deferred()

        def relay(site: TdmRepFile | None) -> TdmRepFile | None:
            mine.callback(site)
            return site

        answer.addCallback(relay)
        return await maybe_deferred_to_future(mine)

    async def _fetch(self, origin: str) -> TdmRepFile | None:
        assert self.crawler.engine is not None
        # Fetched whole every crawl ("start"), never conditionally: a 304 has no rules to read.
        request = Request(origin + TDMREP_PATH, callback=NO_CALLBACK, meta={FETCH_META_KEY: "start"})
        try:
            response = await self.crawler.engine.download_async(request)
        except IgnoreRequest as error:  # robots.txt disallows it: logged where decided
            self.stats.inc_value("archive/rights/tdmrep_not_fetched")
            logger.info("Not fetched: %s (%s)", request.url, error)
            return None
        except Exception as error:  # the web's fault (retries spent): one line, as the spider logs them
            self.stats.inc_value("archive/rights/tdmrep_not_fetched")
            logger.warning("Download failed: %s (%s: %s)", request.url, type(error).__name__, error)
            return None
        site = read_tdmrep_file(response.status, response.body, response.url)
        self.stats.inc_value(f"archive/rights/tdmrep_{site.status}")
        if site.status == "invalid":
            logger.warning("Not a TDMRep file, ignored: %s (%s)", response.url, site.problems[0])
        elif site.problems:
            self.stats.inc_value("archive/rights/tdmrep_bad_rules", len(site.problems))
            logger.warning("TDMRep file %s: %s", response.url, "; ".join(site.problems))
        return site
