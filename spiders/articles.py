"""The ``articles`` spider: finds news articles and archives everything it fetches.

Discovery: start URLs (``urls``, ``urls_file``), sitemaps (``sitemaps``, including
sitemap indexes, news sitemaps and ``Sitemap:`` lines of robots.txt), RSS/Atom feeds
(``feeds``), and same-site link following up to ``follow`` hops. A start URL that turns
out to be a sitemap or a feed is read as one. Every response is archived by the WARC
middleware; HTML pages go on to the text pipeline, which keeps the articles.

Incremental crawls (the crawl history, :mod:`scraper.incremental`): each request says how a
URL fetched before is fetched again (``FETCH_META_KEY``), and a URL that is not due is not
requested at all; feed and sitemap entries dated before the last crawl's start (or
``since=``) are skipped; a page whose payload is the one archived before (a 304 or an
identical revisit) is not extracted again, but the links of a start page or a listing are
followed again (a 304's from the listing's last capture in the archive).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lxml import etree
from scrapy import Request, Spider, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.internet import task, threads

from scraper.archive import textrows
from scraper.archive.codings import decode_body
from scraper.extensions import FrontierExtension
from scraper.extract.charset import PageText, page_text
from scraper.incremental import (
    EARLIER_META_KEY,
    ENTRY_DATE_META_KEY,
    FETCH_META_KEY,
    CrawlHistoryExtension,
    parse_date,
    since_cutoff,
)
from scraper.items import ArticleCandidate, PageDiscovery, rights_headers
from scraper.middlewares import RECORD_META_KEY

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.python.failure import Failure

    from scraper.frontier.redis import RedisFrontier
    from scraper.history.base import Capture

logger = logging.getLogger(__name__)

#: Scrapy gives header values as bytes.
HTML_TYPES = tuple(content_type.encode("ascii") for content_type in textrows.HTML_TYPES)


#: Where a list of URLs splits: whitespace (never in a URL), or a comma that a URL's
#: scheme (or the word ``robots``) follows. A comma inside a URL stays.
_LIST_SEPARATOR = re.compile(r"\s+|,\s*(?=[A-Za-z][A-Za-z0-9+.-]*://|robots(?:\s|,|$))")


def split_list(value: str | Iterable[str] | None) -> list[str]:
    """``"https://a/ https://b/x,y,https://c/"`` -> ``["https://a/", "https://b/x,y", "https://c/"]``:
    split on whitespace, and on commas that start a new URL; lists pass through."""
    if not value:
        return []
    items = _LIST_SEPARATOR.split(value) if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item.strip()]


def switched_off(value: object) -> bool:
    """Whether a spider argument says no (``0``, ``false``, ``no``, ``off``, any case)."""
    return str(value).lower() in ("0", "false", "no", "off")


def read_urls_file(path: str | Path) -> list[tuple[int, str]]:
    """One URL a line, with its line number; blank lines and ``#`` comments are skipped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [(number, line.strip()) for number, line in enumerate(lines, 1)
            if line.strip() and not line.lstrip().startswith("#")]


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot start a crawl (only absolute http and https URLs can), or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError as error:
        return str(error)
    if parts.scheme.lower() not in ("http", "https"):
        return "not an http(s) URL" if parts.scheme else "no scheme (http:// or https://)"
    if not parts.hostname:
        return "no host"
    return None


class InflatedTooLarge(ValueError):
    """A gzip body that inflates past ``ARCHIVE_MAX_INFLATED_SIZE``."""


def xml_body(response: Response, max_size: int = 0) -> bytes:
    """The body of an XML response, a ``.xml.gz`` served as a file inflated, to at most
    ``max_size`` bytes (0: no cap). Raises :class:`InflatedTooLarge` past it, ``OSError``
    on a broken gzip stream."""
    body = response.body
    if body[:2] == b"\x1f\x8b":  # a .xml.gz sitemap served as a file
        try:
            body = gunzip(body, max_size=max_size)
        except _DecompressionMaxSizeExceeded as error:
            raise InflatedTooLarge(f"inflates past {max_size} bytes (ARCHIVE_MAX_INFLATED_SIZE)") from error
    return body


def xml_root_name(body: bytes) -> str | None:
    """Local name of the root element of an XML document, or None if not XML."""
    head = body.lstrip()[:1]
    if head != b"<":
        return None
    try:
        parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return None
    if root is None or not isinstance(root.tag, str):
        return None
    return etree.QName(root).localname


#: Entry dates, newest wins: RSS 2.0 ``pubDate``, Atom ``updated`` / ``published``, RSS 1.0
#: ``dc:date``, sitemap ``lastmod``, Google News ``news:publication_date``.
DATE_ELEMENTS = ("pubDate", "updated", "published", "date", "lastmod", "publication_date")


def _newest_date(entry: etree._Element) -> datetime | None:
    dates = [
        parse_date(element.text)
        for element in entry.iter()
        if isinstance(element.tag, str) and etree.QName(element).localname in DATE_ELEMENTS
    ]
    known = [date for date in dates if date is not None]
    return max(known) if known else None


def feed_entries(body: bytes) -> list[tuple[str, datetime | None]]:
    """Entry links of an RSS 2.0, RSS 1.0 or Atom feed, each with its newest date (or None)."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(body, parser=parser)
    entries: list[tuple[str, datetime | None]] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        parent = element.getparent()
        parent_name = etree.QName(parent).localname if parent is not None else ""
        if name == "link" and parent_name in ("item", "entry"):
            assert parent is not None
            href = element.get("href")
            if href is not None:  # Atom: rel="alternate" or no rel
                if element.get("rel", "alternate") == "alternate":
                    entries.append((href.strip(), _newest_date(parent)))
            elif element.text:
                entries.append((element.text.strip(), _newest_date(parent)))
    return entries


def feed_links(body: bytes) -> list[str]:
    """Entry links of an RSS 2.0, RSS 1.0 or Atom feed."""
    return [link for link, _ in feed_entries(body)]


def sitemap_dates(body: bytes) -> dict[str, datetime]:
    """``loc`` -> newest of ``lastmod`` and ``news:publication_date``, for a sitemap's dated entries."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(body, parser=parser)
    dates: dict[str, datetime] = {}
    if root is None:
        return dates
    for entry in root:
        if not isinstance(entry.tag, str) or etree.QName(entry).localname != "url":
            continue
        loc = next((e.text for e in entry if isinstance(e.tag, str) and etree.QName(e).localname == "loc"), None)
        date = _newest_date(entry)
        if loc and date is not None:
            dates[loc.strip()] = date
    return dates


class ArticlesSpider(Spider):
    name = "articles"

    def __init__(
        self,
        urls: str = "",
        urls_file: str = "",
        sitemaps: str = "",
        feeds: str = "",
        follow: str | int = 0,
        requisites: str | int = 1,
        since: str = "",
        finish: str = "",
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        #: ``scrapy finish``: no start URLs, only what a shared crawl's frontier holds.
        self.finish_only = finish.lower() in ("1", "true", "yes", "on")
        page_urls = [(f"urls entry {i}", url) for i, url in enumerate(split_list(urls), 1)]
        page_urls += [(f"{urls_file} line {n}", url) for n, url in (read_urls_file(urls_file) if urls_file else [])]
        sitemap_urls = [(f"sitemaps entry {i}", url) for i, url in enumerate(split_list(sitemaps), 1)]
        feed_urls = [(f"feeds entry {i}", url) for i, url in enumerate(split_list(feeds), 1)]
        #: Start URLs that cannot be fetched: where each was given, the URL, why. Logged and skipped.
        self.bad_start_urls = [
            (where, url, problem) for where, url in (*page_urls, *sitemap_urls, *feed_urls)
            if url != "robots" and (problem := url_problem(url))
        ]
        for where, url, problem in self.bad_start_urls:
            logger.error("Skipping start URL %r (%s): %s", url, where, problem)
        bad = {where for where, _, _ in self.bad_start_urls}
        self.start_page_urls = [url for where, url in page_urls if where not in bad]
        self.sitemap_urls = [url for where, url in sitemap_urls if where not in bad]
        self.feed_urls = [url for where, url in feed_urls if where not in bad]
        #: Hosts of the start, sitemap and feed URLs: the ones the private-address guard
        #: lets reach any address (ARCHIVE_BLOCK_PRIVATE_ADDRESSES).
        self.start_hosts = frozenset(
            host for url in (*self.start_page_urls, *self.sitemap_urls, *self.feed_urls)
            if (host := urlsplit(url).hostname)
        )
        self.follow_depth = int(follow)
        self.fetch_requisites = not switched_off(requisites)
        if since and parse_date(since) is None:
            raise ValueError(f"since={since!r} is not an ISO 8601 date or datetime")
        self.since = since
        #: Feed and sitemap entries dated before this are not fetched (set when the crawl starts).
        self.entries_since: datetime | None = None
        self.history: CrawlHistoryExtension | None = None
        if not (self.start_page_urls or self.sitemap_urls or self.feed_urls or self.finish_only):
            if self.bad_start_urls:
                raise ValueError(f"nothing to crawl: none of the {len(self.bad_start_urls)} start URLs given is valid")
            raise ValueError("nothing to crawl: give urls=, urls_file=, sitemaps= or feeds=")
        self.archive_arguments = {
            name: str(value)
            for name, value in (
                ("urls", urls), ("urls_file", urls_file), ("sitemaps", sitemaps), ("feeds", feeds),
                ("follow", follow), ("requisites", requisites), ("since", since),
            )
            if value not in ("", None)
        }
        self.link_extractor = LinkExtractor(deny_extensions=[])
        self.discover_in_workers = False  # set by from_crawler when the text pipeline runs
        self.max_inflated_size = 0  # bytes a gzip sitemap may inflate to; from_crawler sets it
        self.max_extract_bytes = 0  # bytes of a page past which it is not extracted; from_crawler sets it

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ArticlesSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        pipelines = crawler.settings.getwithbase("ITEM_PIPELINES")
        spider.discover_in_workers = pipelines.get("scraper.pipelines.ArticleTextPipeline") is not None
        spider.max_inflated_size = crawler.settings.getint("ARCHIVE_MAX_INFLATED_SIZE")
        spider.max_extract_bytes = crawler.settings.getint("ARCHIVE_MAX_EXTRACT_BYTES")
        crawler.signals.connect(spider._item_left, signal=signals.item_dropped)
        crawler.signals.connect(spider._item_left, signal=signals.item_error)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        if self.bad_start_urls:
            self.crawler.stats.set_value("archive/start/bad_urls", len(self.bad_start_urls))
        self.history = self.crawler.get_extension(CrawlHistoryExtension)
        self.entries_since = since_cutoff(self.since, self.history)
        if self.entries_since is not None:
            logger.info("Feed and sitemap entries dated before %s are skipped", self.entries_since.isoformat())
        frontier = self.crawler.get_extension(FrontierExtension)
        if frontier is not None:  # before the first download reads them
            self.start_hosts = frozenset(frontier.frontier.share_start_hosts(self.start_hosts))
            arguments = frontier.frontier.share_arguments(self.archive_arguments)
            if self.finish_only:  # follow what the crawl's workers followed
                self.follow_depth = int(arguments.get("follow", 0))
                self.fetch_requisites = not switched_off(arguments.get("requisites", 1))
        if self.finish_only:
            if frontier is None:
                raise ValueError("finish=1 needs a shared crawl (ARCHIVE_FRONTIER)")
            if not frontier.frontier.is_seeded():
                logger.warning("Crawl %s was never fully seeded (its seeding worker stopped): it is finished "
                               "with what was queued", frontier.frontier.crawl_id)
                frontier.frontier.seeding_done()
            return
        if frontier is None:
            for request in self.seed_requests():
                yield request
            return
        if not await self._seeding_turn(frontier.frontier):
            return  # another worker of the crawl seeded the shared queue
        # Queued in Redis at once, not as the engine pulls them: a seeding worker that dies
        # half-way would leave the rest of the seeds to nobody (``scrapy finish`` has none).
        for number, request in enumerate(self.seed_requests(), 1):
            self.crawler.engine.crawl(request)
            if number % 1000 == 0:  # let the reactor breathe on a long list
                await self._pause(0)
        frontier.frontier.seeding_done()

    def seed_requests(self) -> Iterator[Request]:
        """The requests of the start URLs, sitemaps and feeds, in that order."""
        every_run = {FETCH_META_KEY: "always"}
        for url in self.start_page_urls:
            yield self.request(url, callback=self.parse, meta={"link_depth": 0, FETCH_META_KEY: "start"})
        for url in self.sitemap_urls:
            if url == "robots":
                for page_url in self.start_page_urls:
                    parts = urlsplit(page_url)
                    yield self.request(f"{parts.scheme}://{parts.netloc}/robots.txt", callback=self.parse_robots,
                                       meta=every_run)
            else:
                yield self.request(url, callback=self.parse_sitemap, meta=every_run)
        for url in self.feed_urls:
            yield self.request(url, callback=self.parse_feed, meta=every_run)

    @staticmethod
    async def _pause(seconds: float) -> None:
        from twisted.internet import reactor  # the one Scrapy installed

        await maybe_deferred_to_future(task.deferLater(reactor, seconds, lambda: None))

    async def _seeding_turn(self, frontier: RedisFrontier) -> bool:
        """Whether this worker seeds a crawl shared by many: the first to start does, once;
        the others wait until it has (or take over if it dies first)."""
        while True:
            answer = frontier.claim_seeding()
            if answer == "done":
                return False
            if answer == "mine":
                logger.info("Worker %s seeds the crawl's queue", frontier.worker_id)
                return True
            await self._pause(1.0)

    def request(self, url: str, callback: Callable[..., Any], **kwargs: Any) -> Request:
        """A request whose failure is logged on one line (:meth:`download_failed`)."""
        return Request(url, callback=callback, errback=self.download_failed, **kwargs)

    def download_failed(self, failure: Failure) -> None:
        """A download that failed for good (retries spent): one line, no traceback.

        Scrapy logs these with the whole traceback of the network error; a crawl of the
        open web has thousands of them, and they are the web's fault, not a bug.
        Scrapy counts them by exception already (``downloader/exception_type_count/...``)."""
        if failure.check(IgnoreRequest):  # robots.txt, a malformed response: logged where decided
            return
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        logger.warning("Download failed: %s (%s: %s)", url, type(failure.value).__name__, failure.getErrorMessage())

    # -- discovery ----------------------------------------------------------------

    def _old(self, date: datetime | None) -> bool:
        """Whether a feed or sitemap entry dated ``date`` is older than what is wanted (counted)."""
        if date is None or self.entries_since is None or date >= self.entries_since:
            return False
        self.crawler.stats.inc_value("archive/history/old_entries")
        return True

    def parse_robots(self, response: Response) -> Iterator[Request]:
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            yield self.request(url, callback=self.parse_sitemap, meta={FETCH_META_KEY: "always"})

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        if response.status != 200 or self._unchanged(response):
            return
        try:
            body = xml_body(response, self.max_inflated_size)
            sitemap = Sitemap(body)
            dates = sitemap_dates(body)
        except InflatedTooLarge as error:
            self._too_large(response, error)
            return
        except (etree.XMLSyntaxError, OSError, ValueError) as error:
            self.crawler.stats.inc_value("archive/discovery/bad_sitemaps")
            logger.warning("Not a readable sitemap: %s (%s)", response.url, error)
            return
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                yield self.request(loc, callback=self.parse_sitemap, meta={FETCH_META_KEY: "always"})
            elif not self._old(dates.get(loc)):
                self.crawler.stats.inc_value("archive/discovery/sitemap_urls")
                yield from self._entry(loc, dates.get(loc))

    def parse_feed(self, response: Response) -> Iterator[Request]:
        if response.status != 200 or self._unchanged(response):
            return
        try:
            body = xml_body(response, self.max_inflated_size)
        except (InflatedTooLarge, OSError) as error:
            self._too_large(response, error)
            return
        for url, date in feed_entries(body):
            if self._old(date):
                continue
            self.crawler.stats.inc_value("archive/discovery/feed_urls")
            yield from self._entry(response.urljoin(url), date)

    def _entry(self, url: str, date: datetime | None) -> Iterator[Request]:
        """The request for a feed or sitemap entry, with its date for the crawl history, if wanted."""
        dropped_undated = False
        if self.history is not None:
            dropped_undated = self.history.entry_dated(url, date)
            if not self.history.wanted(url, "page", date):
                return
        yield self.request(url, callback=self.parse, meta={"link_depth": 0, ENTRY_DATE_META_KEY: date},
                           dont_filter=dropped_undated)

    def page_text(self, response: TextResponse) -> PageText:
        """The page's text for extraction: as it declares its charset, or detected when that
        does not decode it (counted ``archive/text/charset_fallback``)."""
        page = page_text(response.body, response.text, response.encoding)
        if page.fallback:
            self.crawler.stats.inc_value("archive/text/charset_fallback")
            logger.info("%s declares %s but does not decode with it: its text is read as %s",
                        response.url, response.encoding, page.encoding)
        return page

    @staticmethod
    def _unchanged(response: Response) -> bool:
        """Archived as a revisit of the last capture: the same payload, already read then."""
        record = response.meta.get(RECORD_META_KEY)
        return record is not None and record.revisit_profile is not None

    def _too_large(self, response: Response, error: Exception) -> None:
        self.crawler.stats.inc_value("archive/text/skipped/inflated_too_large")
        logger.warning("Not read: %s (%s)", response.url, error)

    # -- pages ----------------------------------------------------------------------

    async def parse(self, response: Response) -> AsyncIterator[Request | ArticleCandidate]:
        content_type = (response.headers.get(b"Content-Type") or b"").split(b";")[0].strip().lower()
        if content_type in (b"application/xml", b"text/xml", b"application/rss+xml",
                            b"application/atom+xml", b"application/x-gzip", b"application/gzip"):
            try:
                root = xml_root_name(xml_body(response, self.max_inflated_size))
            except InflatedTooLarge as error:
                self._too_large(response, error)
                return
            except OSError:  # a broken gzip file: not XML
                root = None
            if root in ("urlset", "sitemapindex", "rss", "feed", "RDF"):
                is_sitemap = root in ("urlset", "sitemapindex")
                listed = self.parse_sitemap(response) if is_sitemap else self.parse_feed(response)
                for request in listed:
                    yield request
                return
        depth = int(response.meta.get("link_depth", 0))
        wants_links = depth < self.follow_depth
        if response.status == 304:
            if wants_links:
                for request in await self._earlier_links(response, depth + 1):
                    yield request
            return
        if response.status != 200 or not isinstance(response, TextResponse):
            return
        if content_type not in HTML_TYPES:
            return
        if self._unchanged(response):
            # Its text and requisites are archived already; the links of a start page or a
            # listing are followed again: they lead to articles due for a recheck.
            earlier: Capture | None = response.meta.get(EARLIER_META_KEY)
            listing = response.meta.get(FETCH_META_KEY) == "start" or (earlier is not None and not earlier.is_article)
            if wants_links and listing:
                self.crawler.stats.inc_value("archive/discovery/on_reactor")
                for request in self.follow_links(response, depth + 1):
                    yield request
            return
        if self.max_extract_bytes and len(response.body) > self.max_extract_bytes:
            # Archived already; reading it (text, links, requisites) could hold a worker or the reactor for minutes.
            self.crawler.stats.inc_value("archive/text/too_large")
            logger.warning("Not extracting %s: %d bytes, over ARCHIVE_MAX_EXTRACT_BYTES (%d); archived as it came",
                           response.url, len(response.body), self.max_extract_bytes)
            return
        record = response.meta.get(RECORD_META_KEY)
        page = self.page_text(response) if record is not None else None
        discovery = None
        if page is not None and self.discover_in_workers and (self.fetch_requisites or wants_links):
            discovery = PageDiscovery(self.fetch_requisites, wants_links, page.encoding)
        if record is not None and page is not None:
            yield ArticleCandidate(url=response.url, html=page.text, record=record, discovery=discovery,
                                   rights_headers=rights_headers(response.headers))
        if discovery is not None:
            try:
                requisites, links = await maybe_deferred_to_future(discovery.found)
            except Exception as error:  # not parsed in a worker: found here, on the reactor
                self.crawler.stats.inc_value("archive/discovery/on_reactor")
                logger.debug("Finding requisites and links of %s here: %r", response.url, error)
            else:
                for url in requisites:
                    if self._wanted(url, "requisite"):
                        yield self._requisite(url)
                for request in self._follow(links, response.url, depth + 1):
                    yield request
                return
        if self.fetch_requisites:
            for request in self.requisites(response):
                yield request
        if wants_links:
            for request in self.follow_links(response, depth + 1):
                yield request

    async def _earlier_links(self, response: Response, depth: int) -> list[Request]:
        """Requests for the links of a listing answered ``304`` (the crawl history asked
        conditionally): the answer has no body, so they are read from the listing's earlier
        capture in the archive, and the articles it leads to are still rechecked when due.
        An article's 304 is left at that: its links were followed when it was captured."""
        earlier: Capture | None = response.meta.get(EARLIER_META_KEY)
        if self.history is None or earlier is None or earlier.is_article or not self._unchanged(response):
            return []
        try:
            urls = await maybe_deferred_to_future(threads.deferToThread(self._links_of_capture, earlier, response.url))
        except Exception as error:  # a lost or damaged earlier WARC: this page's links are not followed
            self.crawler.stats.inc_value("archive/history/earlier_unreadable")
            logger.warning("Links of %s (answered 304) not followed: its capture in %s/%s at %d cannot be read: %s",
                           response.url, earlier.crawl_id, earlier.warc_filename, earlier.warc_offset, error)
            return []
        self.crawler.stats.inc_value("archive/history/earlier_listings_read")
        return list(self._follow(urls, response.url, depth))

    def _links_of_capture(self, earlier: Capture, url: str) -> list[str]:
        """The links of an earlier capture of the HTML page ``url`` (in a thread: it reads
        the archive and parses the page)."""
        assert self.history is not None
        head, body = self.history.earlier_page(earlier)
        content_type = head.get_header("Content-Type") or ""
        if content_type.split(";")[0].strip().lower().encode("latin-1") not in HTML_TYPES:
            return []
        body = decode_body(body, head.get_header("Content-Encoding") or "", self.max_inflated_size)
        page = HtmlResponse(url, body=body, headers={"Content-Type": content_type})
        return [link.url for link in self.link_extractor.extract_links(page)]

    def _requisite(self, url: str) -> Request:
        return self.request(url, callback=self.parse_requisite, priority=-1, meta={FETCH_META_KEY: "requisite"})

    def _follow(self, urls: Iterable[str], page_url: str, depth: int) -> Iterator[Request]:
        """Requests for the links that stay on the page's host."""
        host = urlsplit(page_url).netloc
        for url in urls:
            if urlsplit(url).netloc == host and self._wanted(url, "page"):
                yield self.request(url, callback=self.parse, meta={"link_depth": depth})

    def _wanted(self, url: str, kind: str) -> bool:
        """Not captured before, or due again (the crawl history): a page not due is not even
        scheduled."""
        return self.history is None or self.history.wanted(url, kind)

    # Discovery on the reactor thread: for pages the text pipeline does not parse (no
    # archive record, the pipeline off, a page the extractor failed on). Otherwise the
    # extraction worker finds the same URLs on its own parse (scraper.extract.discovery).

    def follow_links(self, response: TextResponse, depth: int) -> Iterator[Request]:
        return self._follow((link.url for link in self.link_extractor.extract_links(response)), response.url, depth)

    def requisites(self, response: TextResponse) -> Iterator[Request]:
        """Images, stylesheets and scripts a page needs to replay as it looked."""
        selectors = ("img::attr(src)", "link[rel~=stylesheet]::attr(href)", "script::attr(src)",
                     "link[rel~=icon]::attr(href)")
        for selector in selectors:
            for src in response.css(selector).getall():
                src = src.strip()
                if not src or src.startswith(("data:", "javascript:")):
                    continue
                try:
                    url = response.urljoin(src)
                except ValueError:  # a bogus URL ("http://[::1/x"): nothing to fetch
                    continue
                if self._wanted(url, "requisite"):
                    yield self._requisite(url)

    def _item_left(self, item: Any, **kwargs: Any) -> None:
        """A candidate dropped or failed before the text pipeline answered: find its links here."""
        if isinstance(item, ArticleCandidate) and item.discovery is not None and not item.discovery.found.called:
            item.discovery.found.errback(RuntimeError("the item left the pipelines before discovery"))

    def parse_requisite(self, response: Response) -> Iterator[Any]:
        return iter(())
