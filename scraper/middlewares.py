"""Downloader middlewares: archive every exchange, obey robots.txt, back off politely.

Thin Scrapy glue. The WARC middleware sits next to the downloader (priority 950), so it
sees every response, redirects and errors included, before HttpCompressionMiddleware
decompresses it; the bytes it archives come from :mod:`scraper.downloadhandlers`.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from http.client import responses as reason_phrases
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers
from scrapy.http.request import NO_CALLBACK
from scrapy.responsetypes import responsetypes
from scrapy.robotstxt import RobotParser
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message
from twisted.internet import threads
from twisted.internet.defer import Deferred

from scraper.archive.segments import ResponseLocation
from scraper.archive.warc import warc_date
from scraper.downloadhandlers import MALFORMED_META_KEY, TRUNCATED_META_KEY, WIRE_META_KEY, WireCapture
from scraper.extensions import ArchiveExtension, user_agent

if TYPE_CHECKING:
    from collections.abc import Iterable
    from http.cookiejar import Cookie

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.http.cookies import CookieJar

__all__ = [
    "RECORD_META_KEY",
    "REFERS_TO_META_KEY",
    "AcceptEncodingMiddleware",
    "ArchiveCookiesMiddleware",
    "ArchiveHttpCompressionMiddleware",
    "ArchiveRobotsTxtMiddleware",
    "ArchiveUserAgentMiddleware",
    "RetryAfterMiddleware",
    "WarcCaptureMiddleware",
]

logger = logging.getLogger(__name__)

#: request.meta key where the :class:`ResponseLocation` of the archived response is left.
RECORD_META_KEY = "archive_record"
#: ``request.meta`` flag of a response a resumed crawl took from its own archive.
REPLAYED_META_KEY = "archive_replayed"
#: request.meta key of the URL's last capture (a ``warc.RefersTo``), set by the incremental
#: middleware: a 304 or an identical payload is then archived as a revisit record.
REFERS_TO_META_KEY = "archive_refers_to"


def http_response_head(response: Response) -> bytes:
    """A status line and headers rebuilt from a Scrapy response.

    Only for responses that did not come through :mod:`scraper.downloadhandlers` (another download
    handler, a cache). Repeated headers stay repeated; no transfer coding is claimed,
    because the body Scrapy holds is no longer chunked.
    """
    protocol = response.protocol or "HTTP/1.1"
    phrase = reason_phrases.get(response.status, "")
    lines = [f"{protocol} {response.status} {phrase}".rstrip().encode("latin-1")]
    for name, values in response.headers.items():
        if name.lower() in (b"transfer-encoding", b"content-length"):
            continue
        lines += [name + b": " + value for value in values]
    lines.append(b"Content-Length: " + str(len(response.body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n"


def http_request_head(request: Request) -> bytes:
    """A request line and headers rebuilt from a Scrapy request (fallback only)."""
    parsed = urlparse_cached(request)
    target = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
    lines = [f"{request.method} {target} HTTP/1.1".encode(), b"Host: " + parsed.netloc.encode("ascii")]
    for name, values in request.headers.items():
        lines += [name + b": " + value for value in values]
    return b"\r\n".join(lines) + b"\r\n\r\n" + (request.body or b"")


class WarcCaptureMiddleware:
    """Writes a response and a request record for every HTTP exchange."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self._archive: ArchiveExtension | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        return cls(crawler)

    @property
    def archive(self) -> ArchiveExtension:
        if self._archive is None:
            self._archive = self.crawler.get_extension(ArchiveExtension)
            if self._archive is None:
                raise RuntimeError("WarcCaptureMiddleware needs scraper.extensions.ArchiveExtension")
        return self._archive

    async def process_exception(self, request: Request, exception: Exception) -> None:
        """A download that failed after the response's head arrived: what came is archived.

        Cut short (timeout, disconnect, size limit): marked ``WARC-Truncated``, and the
        error goes on to the other middlewares (retries). Refused by the parser (an odd
        head): archived as it came, counted under ``archive/warc/malformed``, logged on
        one line, and not retried (the server would only say it again).
        """
        wire: WireCapture | None = request.meta.pop(WIRE_META_KEY, None)
        truncated: str | None = request.meta.pop(TRUNCATED_META_KEY, None)
        malformed: str | None = request.meta.pop(MALFORMED_META_KEY, None)
        if wire is None or not (truncated or malformed) or urlparse_cached(request).scheme not in ("http", "https"):
            return
        await self.archive.write_exchange(
            request.url, wire.response_bytes, wire.request_bytes, date=warc_date(), ip_address=wire.ip_address,
            truncated=truncated,
        )
        if malformed:
            self.crawler.stats.inc_value("archive/warc/malformed")
            logger.warning("Archived %s as received; no HTTP parser accepts it (%s)", request.url, malformed)
            raise IgnoreRequest(f"malformed response: {malformed}")
        logger.info("Archived %s as received, truncated (%s): %s", request.url, truncated, exception)

    async def process_response(self, request: Request, response: Response) -> Response:
        wire: WireCapture | None = request.meta.pop(WIRE_META_KEY, None)
        if urlparse_cached(request).scheme not in ("http", "https") or request.meta.get(REPLAYED_META_KEY):
            return response  # a resumed crawl's response from its own archive is archived already
        latency = float(request.meta.get("download_latency") or 0.0)
        date = warc_date(datetime.now(timezone.utc) - timedelta(seconds=latency))
        if wire is not None and wire.response_chunks:
            http_response, http_request, ip = wire.response_bytes, wire.request_bytes, wire.ip_address
        else:
            self.crawler.stats.inc_value("archive/warc/rebuilt_exchanges")
            http_response = http_response_head(response) + response.body
            http_request = http_request_head(request)
            ip = str(response.ip_address) if response.ip_address else None
        location: ResponseLocation = await self.archive.write_exchange(
            response.url, http_response, http_request, date=date, ip_address=ip,
            refers_to=request.meta.get(REFERS_TO_META_KEY),
        )
        request.meta[RECORD_META_KEY] = location
        return response


class ResumeReplayMiddleware:
    """A resumed crawl takes what its earlier runs archived from its own WARCs, not the web.

    Next to the downloader (above the capture middleware's order): a GET whose final
    response the crawl archived before its stop or kill is answered from that record, with
    the record's location for the text pipeline, so the spider finds the same links and
    requisites again, nothing is fetched twice, and an article whose row was not yet
    written gets it. Everything else is fetched. Off in a crawl that is not resumed.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ResumeReplayMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> Response | None:
        archive = self.crawler.get_extension(ArchiveExtension)
        if archive is None or archive.resume is None or request.method != "GET":
            return None
        archived = archive.archived_response(request.url)
        if archived is None:
            return None
        head, body = await maybe_deferred_to_future(threads.deferToThread(archived.read))
        headers = Headers([(name, value) for name, value in head.headers
                           if name.lower() not in ("transfer-encoding", "content-length")])
        response_class = responsetypes.from_args(headers=headers, url=request.url, body=body)
        request.meta[RECORD_META_KEY] = archived.location
        request.meta[REPLAYED_META_KEY] = True
        self.crawler.stats.inc_value("archive/resume/replayed")
        return response_class(url=request.url, status=archived.status, headers=headers, body=body,
                              request=request, flags=["archived"])


class _Unreachable(RobotParser):
    """The parser of a robots.txt that could not be fetched: everything is disallowed
    (RFC 9309 section 2.3.1.4) until ``retry_at`` (``time.monotonic()``), when it is
    fetched again."""

    def __init__(self, retry_at: float, why: str):
        self.retry_at = retry_at
        self.why = why

    @classmethod
    def from_crawler(cls, crawler: Crawler, robotstxt_body: bytes) -> _Unreachable:
        raise TypeError("an unreachable robots.txt has no body to parse")

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False

    def sitemaps(self) -> list[str]:
        return []


class ArchiveRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with every waiter given the parser, and an
    unreachable robots.txt taken as RFC 9309 says.

    Scrapy 2.19 keeps one Deferred per host while robots.txt downloads and lets every
    request await it; the first awaiter's callback consumes the result, so the others
    get ``None`` and go through unchecked. Here each waiter gets its own Deferred,
    fired with the parser when the shared one fires, and the result is passed on.

    Scrapy also lets everything through when robots.txt answers 5xx or cannot be
    fetched (reset, timeout, refused). RFC 9309 section 2.3.1.4: such a robots.txt is
    *unreachable*, and the crawler must assume a complete disallow. Here the host's
    requests are then ignored (counted in ``archive/robotstxt/unreachable_forbidden``,
    logged once per fetch on one line), and robots.txt is fetched again for the first
    request that comes ``ARCHIVE_ROBOTSTXT_RETRY_INTERVAL`` seconds later. A 4xx is
    *unavailable* (section 2.3.1.3): everything allowed, as Scrapy does.
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.retry_interval = crawler.settings.getfloat("ARCHIVE_ROBOTSTXT_RETRY_INTERVAL", 300.0)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        pending = self._parsers.get(netloc)
        if isinstance(pending, Deferred):
            waiter: Deferred[RobotParser | None] = Deferred()

            def relay(parser: RobotParser | None) -> RobotParser | None:
                waiter.callback(parser)
                return parser

            pending.addCallback(relay)
            return await maybe_deferred_to_future(waiter)
        if isinstance(pending, _Unreachable) and time.monotonic() >= pending.retry_at:
            del self._parsers[netloc]  # time to ask again
        elif netloc in self._parsers:
            return pending
        # First request for this host: robots.txt is downloaded and parsed. A Deferred is
        # set first, so requests arriving meanwhile take the first branch above.
        self._parsers[netloc] = Deferred()
        url = urlparse_cached(request)
        robots_request = Request(f"{url.scheme}://{netloc}/robots.txt", priority=self.DOWNLOAD_PRIORITY,
                                 meta={"dont_obey_robotstxt": True}, callback=NO_CALLBACK)
        assert self.crawler.engine is not None
        try:
            response = await self.crawler.engine.download_async(robots_request)
        except IgnoreRequest as error:  # not fetched on purpose (another middleware): as Scrapy does
            self._robots_error(error, netloc)
        except Exception as error:  # reset, timeout, refused, no such host: unreachable
            self._unreachable(netloc, f"{type(error).__name__}: {error}")
        else:
            if response.status >= 500 or response.status == 429:
                self._stats.inc_value("robotstxt/response_count")
                self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
                self._unreachable(netloc, f"status {response.status}")
            else:
                await self._parse_robots(response, netloc, request)
        self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        return await maybe_deferred_to_future(parser) if isinstance(parser, Deferred) else parser

    def _unreachable(self, netloc: str, why: str) -> None:
        self._stats.inc_value("archive/robotstxt/unreachable")
        logger.warning("robots.txt of %s is unreachable (%s): nothing of it is fetched for %.0f s",
                       netloc, why, self.retry_interval)
        pending = self._parsers[netloc]
        parser = _Unreachable(time.monotonic() + self.retry_interval, why)
        self._parsers[netloc] = parser
        if isinstance(pending, Deferred):
            pending.callback(parser)

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        if isinstance(rp, _Unreachable):
            self._stats.inc_value("archive/robotstxt/unreachable_forbidden")
            logger.debug("Forbidden while robots.txt is unreachable (%s): %s", rp.why, request)
            raise IgnoreRequest(f"robots.txt unreachable ({rp.why})")
        super().process_request_2(rp, request)


class ArchiveHttpCompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's content decoding, with the inflated size capped by ``ARCHIVE_MAX_INFLATED_SIZE``
    as well as ``DOWNLOAD_MAXSIZE``, whichever is smaller.

    A body that inflates past it (a decompression bomb: a megabyte of gzip that is a
    gigabyte of zeros) is never held whole: Scrapy stops inflating at the cap and ignores
    the response, which the WARC middleware has archived as it came by then. Counted in
    ``archive/text/skipped/inflated_too_large``; Scrapy logs it on one line.
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler=crawler)
        cap = crawler.settings.getint("ARCHIVE_MAX_INFLATED_SIZE")
        if cap and (not self._max_size or cap < self._max_size):
            self._max_size = cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveHttpCompressionMiddleware:
        if not crawler.settings.getbool("COMPRESSION_ENABLED"):
            raise NotConfigured
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        try:
            return super().process_response(request, response)
        except IgnoreRequest as error:
            if isinstance(error.__cause__, _DecompressionMaxSizeExceeded) and self.stats is not None:
                self.stats.inc_value("archive/text/skipped/inflated_too_large")
            raise


class ArchiveCookiesMiddleware(CookiesMiddleware):
    """Scrapy's cookie handling, bounded, and with no network call of its own.

    - At most ``ARCHIVE_MAX_COOKIES_PER_DOMAIN`` cookies are kept per domain: one response
      with 10,000 ``Set-Cookie`` lines otherwise makes every later request to its host
      carry them all. A cookie longer than ``ARCHIVE_MAX_COOKIE_HEADER_SIZE`` is never kept.
    - The ``Cookie`` header sent is at most ``ARCHIVE_MAX_COOKIE_HEADER_SIZE`` bytes: the
      cookies that fit, in the jar's order.
    - The public-suffix check (a cookie may not be set for ``co.uk``) uses the suffix list
      that tldextract ships. Scrapy's own ``TLDExtract()`` fetches the list from the web
      on first use, on the reactor: a stuck network froze the crawl for minutes.

    Dropped cookies are counted in ``archive/cookies/dropped``, trimmed headers in
    ``archive/cookies/header_trimmed``.
    """

    def __init__(self, debug: bool = False, *, max_per_domain: int = 50, max_header_size: int = 8192):
        super().__init__(debug)
        self.max_per_domain = max_per_domain
        self.max_header_size = max_header_size
        from tldextract import TLDExtract

        # No URLs: the snapshot bundled with tldextract, read from the package, never the web.
        self._split_domain = TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveCookiesMiddleware:
        settings = crawler.settings
        if not settings.getbool("COOKIES_ENABLED"):
            raise NotConfigured
        middleware = cls(settings.getbool("COOKIES_DEBUG"),
                         max_per_domain=settings.getint("ARCHIVE_MAX_COOKIES_PER_DOMAIN"),
                         max_header_size=settings.getint("ARCHIVE_MAX_COOKIE_HEADER_SIZE"))
        middleware.crawler = crawler
        return middleware

    def _process_cookies(self, cookies: Iterable[Cookie], *, jar: CookieJar, request: Request) -> None:
        # Scrapy's, with the bundled suffix list and the caps.
        hostname = urlparse_cached(request).hostname
        if hostname is None:
            return
        request_domain = hostname.lower()
        stored: Any = jar.jar._cookies  # type: ignore[attr-defined]  # http.cookiejar: domain -> path -> name -> Cookie
        dropped = 0
        for cookie in cookies:
            cookie_domain = cookie.domain.removeprefix(".")
            if cookie_domain and not self._split_domain(cookie_domain).domain:  # a public suffix
                if cookie_domain != request_domain:
                    continue
                cookie.domain = request_domain
            paths = stored.get(cookie.domain, {})
            known = any(cookie.name in names for names in paths.values())
            size = len(cookie.name) + len(cookie.value or "") + 1
            if size > self.max_header_size or (
                    not known and sum(len(names) for names in paths.values()) >= self.max_per_domain):
                dropped += 1
                continue
            jar.set_cookie_if_ok(cookie, request)
        if dropped:
            self.crawler.stats.inc_value("archive/cookies/dropped", dropped)
            logger.info("Dropped %d cookies of %s (ARCHIVE_MAX_COOKIES_PER_DOMAIN, ARCHIVE_MAX_COOKIE_HEADER_SIZE)",
                        dropped, request_domain)

    def process_request(self, request: Request) -> Request | Response | None:  # type: ignore[override]
        super().process_request(request)
        header = request.headers.get(b"Cookie")
        if header is not None and len(header) > self.max_header_size:
            kept, size = [], 0
            for pair in header.split(b"; "):
                if size + len(pair) + 2 > self.max_header_size:
                    break
                kept.append(pair)
                size += len(pair) + 2
            if kept:
                request.headers[b"Cookie"] = b"; ".join(kept)
            else:
                del request.headers[b"Cookie"]
            self.crawler.stats.inc_value("archive/cookies/header_trimmed")
        return None


class RetryAfterMiddleware(RetryMiddleware):
    """Retries with backoff; 429 and 503 wait as long as ``Retry-After`` asks.

    The delay is ``Retry-After`` when the server sends one (seconds or an HTTP date),
    else ``ARCHIVE_RETRY_BACKOFF_BASE * 2 ** retries`` with jitter, capped by
    ``ARCHIVE_RETRY_BACKOFF_MAX``.
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.backoff_base = crawler.settings.getfloat("ARCHIVE_RETRY_BACKOFF_BASE")
        self.backoff_max = crawler.settings.getfloat("ARCHIVE_RETRY_BACKOFF_MAX")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    def retry_delay(self, response: Response, retries: int) -> float:
        header = response.headers.get(b"Retry-After")
        if header:
            value = header.decode("latin-1").strip()
            try:
                delay = float(value)
            except ValueError:
                try:
                    when = parsedate_to_datetime(value)
                    delay = (when - datetime.now(timezone.utc)).total_seconds()
                except (TypeError, ValueError):
                    delay = self.backoff_base * 2**retries
        else:
            delay = self.backoff_base * 2**retries * random.uniform(0.8, 1.2)
        return max(0.0, min(delay, self.backoff_max))

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retries = request.meta.get("retry_times", 0)
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        delay = self.retry_delay(response, retries)
        if delay > 0:
            from twisted.internet import reactor
            from twisted.internet.task import deferLater

            logger.info("Retrying %s in %.1f s (status %d)", request.url, delay, response.status)
            self.crawler.stats.inc_value("archive/retry/delayed")
            await maybe_deferred_to_future(deferLater(reactor, delay))
        return retry


class ArchiveUserAgentMiddleware(UserAgentMiddleware):
    """User-Agent naming the project and how to reach its operator (``ARCHIVE_CONTACT``)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveUserAgentMiddleware:
        return cls(user_agent(crawler.settings))


class AcceptEncodingMiddleware:
    """Asks servers only for the content codings of ``ARCHIVE_ACCEPT_ENCODING``.

    The archive keeps bodies as they came: a coding the replay tools cannot decode would
    make its records unreadable to them. A request that sets its own header keeps it.
    """

    def __init__(self, accept_encoding: str):
        self.accept_encoding = accept_encoding

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AcceptEncodingMiddleware:
        return cls(crawler.settings.get("ARCHIVE_ACCEPT_ENCODING"))

    def process_request(self, request: Request) -> None:
        if self.accept_encoding:
            request.headers.setdefault(b"Accept-Encoding", self.accept_encoding)
