"""The clean-text pipeline: extraction in worker processes, rows into the archive.

Extraction is the crawl's heaviest CPU work, so it runs in a process pool
while the reactor keeps fetching; Scrapy's scraper slot limits how much waits. The
worker that parses a page also finds its requisites and links when the spider asks
(:class:`scraper.items.PageDiscovery`), so the page is parsed once, off the reactor.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future

from scraper.archive.textrows import text_row
from scraper.extensions import ArchiveExtension
from scraper.extract.boilerplate import SiteBoilerplate
from scraper.extract.job import extract_page
from scraper.extract.model import extractor_name
from scraper.extract.rights import merge_rights
from scraper.history.sitetemplate import FileSiteTemplate
from scraper.incremental import CrawlHistoryExtension, archive_name
from scraper.items import ArticleCandidate
from scraper.tdmrep import TdmRepFiles
from scraper.workers.forkserver import start_extraction_server
from scraper.workers.pool import ExtractionPool, ExtractionTimeout, WorkerDied

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from scraper.history.sitetemplate import HostCounts, SiteTemplateStore

__all__ = ["ArticleTextPipeline"]

logger = logging.getLogger(__name__)


class ArticleTextPipeline:
    """Turns :class:`ArticleCandidate` items into clean-text rows; other items pass.

    It also learns each site's template: paragraphs seen on many pages of a host are
    dropped from later pages, and what is learned is kept in ``ARCHIVE_BOILERPLATE_FILE``
    for later crawls (default: ``site-boilerplate.json`` beside the crawl folders), or
    with ``ARCHIVE_FRONTIER`` on that Redis, where the crawl's processes learn together
    (a :class:`~scraper.history.sitetemplate.SiteTemplateStore` either way).
    """

    def __init__(
        self,
        crawler: Crawler,
        stats: StatsCollector,
        workers: int,
        options: dict[str, Any],
        *,
        boilerplate_file: str,
        boilerplate_min_pages: int,
        honor_noarchive: bool,
        extract_timeout: float = 0,
        frontier: str = "",
        archive_uri: str = "",
        tdmrep_files: TdmRepFiles | None = None,
    ):
        self.crawler = crawler
        self.stats = stats
        self.workers = workers
        self.options = options
        self.extractor = extractor_name()
        self.boilerplate_file = boilerplate_file
        self.honor_noarchive = honor_noarchive
        self.extract_timeout = extract_timeout  # seconds a page's extraction may take (0: no deadline)
        self.tdmrep_files = tdmrep_files  # None: sites' tdmrep.json not fetched (ARCHIVE_TDMREP_WELL_KNOWN)
        self.site_boilerplate = SiteBoilerplate(min_pages=boilerplate_min_pages)
        self.frontier = frontier  # the shared Redis, where the template is kept then
        self.archive_uri = archive_uri
        self.template_store: SiteTemplateStore | None = None
        self._exchanging = False
        self._pool: ExtractionPool | None = None
        self._archive: ArchiveExtension | None = None
        self._history: CrawlHistoryExtension | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleTextPipeline:
        settings = crawler.settings
        workers = settings.getint("ARCHIVE_EXTRACT_WORKERS") or os.cpu_count() or 1
        options = {"min_text_chars": settings.getint("ARCHIVE_MIN_TEXT_CHARS")}  # ExtractionOptions fields
        assert crawler.stats is not None
        try:
            tdmrep_files: TdmRepFiles | None = TdmRepFiles.from_crawler(crawler)
        except NotConfigured:
            tdmrep_files = None
        return cls(
            crawler,
            crawler.stats,
            workers,
            options,
            boilerplate_file=settings.get("ARCHIVE_BOILERPLATE_FILE"),
            boilerplate_min_pages=settings.getint("ARCHIVE_BOILERPLATE_MIN_PAGES"),
            honor_noarchive=settings.getbool("ARCHIVE_HONOR_NOARCHIVE"),
            extract_timeout=settings.getfloat("ARCHIVE_EXTRACT_TIMEOUT"),
            frontier=str(settings.get("ARCHIVE_FRONTIER") or ""),
            archive_uri=str(settings.get("ARCHIVE_URI") or "./archive"),
            tdmrep_files=tdmrep_files,
        )

    def open_spider(self) -> None:
        from twisted.internet import threads

        # Workers start now, while robots.txt and the first pages are fetched, and from a
        # thread: starting one waits for the fork server to load the extractor. Pages
        # submitted meanwhile wait in the pool.
        server = start_extraction_server()
        pool = self._pool = ExtractionPool(self.workers, server, on_worker_died=self._worker_died,
                                           timeout=self.extract_timeout)
        threads.deferToThread(pool.start_processes).addCallbacks(pool.adopt, pool.abandon)
        archive = self.crawler.get_extension(ArchiveExtension)
        if archive is None:
            raise RuntimeError("ArticleTextPipeline needs scraper.extensions.ArchiveExtension")
        self._archive = archive
        self._history = self.crawler.get_extension(CrawlHistoryExtension)
        store = self.template_store = self._open_template_store(archive)
        self.site_boilerplate = store.load(self.site_boilerplate)
        if self.site_boilerplate.hosts():
            logger.info("Site boilerplate learned earlier: %d hosts (%s)", len(self.site_boilerplate.hosts()),
                        store.where)

    def _open_template_store(self, archive: ArchiveExtension) -> SiteTemplateStore:
        if self.frontier:
            from scraper.history.redis import archive_namespace, connect
            from scraper.history.sitetemplate import RedisSiteTemplate

            return RedisSiteTemplate(connect(self.frontier), archive_namespace(archive_name(self.archive_uri)))
        return FileSiteTemplate(
            Path(self.boilerplate_file).expanduser()
            if self.boilerplate_file
            else archive.storage.crawl_folder(archive.crawl_id).parent / "site-boilerplate.json"
        )

    def _learn(self, url: str, fingerprints: list[str]) -> None:
        """Count the page's paragraphs; share what was learned with the store when due
        (in a thread: the shared store is a server away)."""
        from twisted.internet import threads

        self.site_boilerplate.observe(url, fingerprints)
        store = self.template_store
        if store is None or not store.observed(url, fingerprints) or self._exchanging:
            return
        self._exchanging = True
        threads.deferToThread(store.exchange).addCallbacks(self._exchanged, self._exchange_failed)

    def _exchanged(self, merged: HostCounts) -> None:
        self._exchanging = False
        for host, (pages, counts) in merged.items():
            self.site_boilerplate.replace_host(host, pages, counts)

    def _exchange_failed(self, failure: Any) -> None:
        self._exchanging = False  # the pages wait for the next exchange
        self.stats.inc_value("archive/text/template_exchange_failed")
        logger.warning("The site template could not be shared: %s", failure.getErrorMessage())

    async def _extract(self, item: ArticleCandidate) -> dict[str, Any]:
        """The worker's answer for the page.

        A worker that dies (killed by the kernel for memory, or crashing in a C library on
        a page) is replaced by the pool; the pages it held are tried once more, so only a
        page that kills a worker twice is lost (and counted).
        """
        assert self._pool is not None
        discovery = item.discovery
        for attempt in (1, 2):
            template = self.site_boilerplate.template_for(item.url)
            job = self._pool.submit(extract_page, item.html, item.url, self.options, template,
                                    discovery.worker_arguments() if discovery else None)
            try:
                page: dict[str, Any] = await maybe_deferred_to_future(job)
            except WorkerDied:
                if attempt == 2:
                    raise
                logger.warning("Extracting %s again: its worker died", item.url)
            else:
                return page
        raise AssertionError("unreachable")

    def _worker_died(self) -> None:
        self.stats.inc_value("archive/text/worker_restarts")

    async def close_spider(self) -> None:
        if self._pool is not None:
            await maybe_deferred_to_future(self._pool.shutdown())
            self._pool = None
        store, self.template_store = self.template_store, None
        if store is not None:
            from twisted.internet import threads

            try:
                await maybe_deferred_to_future(threads.deferToThread(store.save, self.site_boilerplate))
            finally:
                store.close()

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleCandidate):
            return item
        assert self._pool is not None and self._archive is not None
        discovery = item.discovery
        try:
            page = await self._extract(item)
        except ExtractionTimeout as error:  # its worker was killed and replaced; the WARC keeps the page
            if discovery is not None and not discovery.found.called:
                discovery.found.errback(error)
            self.stats.inc_value("archive/text/extraction_timeouts")
            logger.warning("Extraction of %s skipped: %s", item.url, error)
            raise DropItem(f"extraction timed out: {item.url}", log_level="DEBUG") from error
        except Exception as error:  # a page that breaks the extractor is skipped, counted
            if discovery is not None and not discovery.found.called:
                discovery.found.errback(error)  # the spider finds the page's links itself
            self.stats.inc_value("archive/text/extraction_errors")
            logger.warning("Extraction failed for %s: %r", item.url, error)
            raise DropItem(f"extraction failed: {error!r}", log_level="WARNING") from error
        if discovery is not None:
            discovery.found.callback((page["requisites"], page["links"]))
        article = page["article"]
        if article is None:
            self.stats.inc_value("archive/text/not_article")
            raise DropItem(f"not an article page: {item.url}", log_level="DEBUG")
        self._learn(item.url, article.pop("fingerprints"))
        # The row waits for its origin's tdmrep.json (fetched on the origin's first article),
        # so no row goes out without the site's answer.
        site = await self.tdmrep_files.site_file(item.url) if self.tdmrep_files is not None else None
        article["rights"] = merge_rights(article["rights"], item.rights_headers, url=item.url, site=site)
        row = text_row(item.url, article, item.record, self.extractor)
        if self.honor_noarchive and "noarchive" in row["rights"]["robots"]:
            self.stats.inc_value("archive/text/noarchive")
            raise DropItem(f"the page says noarchive: {item.url}", log_level="DEBUG")
        if self._history is not None:
            version = self._history.article_version(item.url, row["title"], row["text"], row["warc_record_id"])
            if version is None:  # its text is archived already; the page's new markup is in the WARC
                raise DropItem(f"article text unchanged: {item.url}", log_level="DEBUG")
            row["version"], row["previous_warc_record_id"] = version
        await self._archive.write_text_row(row)
        return row
