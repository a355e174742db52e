"""Incremental crawls: the crawl history beside the archive, conditional GET, what is fetched again.

Scrapy glue for :mod:`scraper.history`, in one module as scrapy-deltafetch is:
:class:`CrawlHistoryExtension` opens the history where the archive is (beside the crawl
folders; for ``s3://`` downloaded from the bucket first and uploaded back at the end; on
the shared Redis when ``ARCHIVE_FRONTIER`` is set), confirms what earlier crawls recorded,
and says at the end what the history saved;
:class:`IncrementalFetchMiddleware` decides what is fetched again, makes the request
conditional and records each capture. The archive writes the revisit records
(:meth:`scraper.archive.segments.CrawlArchive.write_exchange`), the text pipeline asks
:meth:`CrawlHistoryExtension.article_version` whether an article's text changed.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import socket
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import threads

from scraper.archive import warc
from scraper.archive.manifest import MANIFEST_NAME
from scraper.archive.recovery import read_http_record
from scraper.extensions import ArchiveExtension, default_crawl_id, ordered_pool
from scraper.history.base import HISTORY_NAME, Capture, CrawlRun, HistoryLocked, text_fingerprint
from scraper.history.redis import RedisHistory
from scraper.history.sqlite import SqliteHistory
from scraper.middlewares import RECORD_META_KEY, REFERS_TO_META_KEY

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector
    from warcio.statusandheaders import StatusAndHeaders

    from scraper.archive.segments import ResponseLocation

__all__ = [
    "EARLIER_META_KEY",
    "ENTRY_DATE_META_KEY",
    "FETCH_META_KEY",
    "CrawlHistoryExtension",
    "IncrementalFetchMiddleware",
    "S3HistoryCopy",
    "archive_name",
    "parse_date",
]

logger = logging.getLogger(__name__)

#: request.meta key saying how a URL fetched before is fetched again (set by the spider):
#: ``"start"`` (start pages: every run, whole, so their links can be followed again),
#: ``"always"`` (feeds, sitemaps: every run, conditionally), ``"page"`` (the default: an
#: article again once ``ARCHIVE_RECHECK_AFTER`` has passed or its feed or sitemap entry is
#: newer than its capture; any other page, such as a section, every run, conditionally),
#: ``"requisite"`` (images, CSS, scripts: once).
FETCH_META_KEY = "archive_fetch"
#: request.meta key of the date a feed or sitemap gives the entry (``lastmod``, ``pubDate``):
#: an article whose entry is dated after its last capture is due again, whatever
#: ``ARCHIVE_RECHECK_AFTER`` says.
ENTRY_DATE_META_KEY = "archive_entry_date"
#: request.meta key of the :class:`Capture` a request was made conditional on.
EARLIER_META_KEY = "archive_earlier_capture"
#: request.meta key of the URL the conditional headers were set for (a redirect changes it).
_CONDITIONAL_FOR = "archive_conditional_for"
#: Records kept in memory before they are written to the history (in its own thread).
FLUSH_EVERY = 1000


def parse_date(value: str | None) -> datetime | None:
    """An ISO 8601 / W3C datetime (sitemaps, ``since=``) or RFC 822 date (RSS), in UTC; None
    if empty or unreadable. A date without a zone is taken as UTC."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def archive_name(uri: str) -> str:
    """The archive's canonical URI, the same from every process and machine of a crawl:
    ``file:///absolute/path`` for a local folder, ``s3://bucket/prefix`` (no credentials)
    for a bucket. What the archive's keys in a shared Redis are named after."""
    from scraper.storage.base import ArchiveUri

    parsed = ArchiveUri.parse(uri)
    if parsed.scheme in ("", "file"):
        from scraper.storage.local import FileStorage

        return FileStorage.from_uri(uri).root.as_uri()
    if parsed.scheme == "s3":
        return "/".join(part for part in (f"s3://{parsed.host}", parsed.path) if part)
    return parsed.public()


def _iso_now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _changed_since(entry_date: datetime | None, warc_date: str) -> bool:
    checked = parse_date(warc_date)
    return entry_date is not None and checked is not None and entry_date > checked


def _seconds_since(warc_date: str) -> float:
    moment = parse_date(warc_date)
    return float("inf") if moment is None else (datetime.now(timezone.utc) - moment).total_seconds()


class S3HistoryCopy:
    """The history's object in the bucket (``<prefix>/crawl-history.sqlite``) and its lock.

    The lock is an object written with ``If-None-Match: *`` (S3 conditional writes), so of
    two crawls starting on two machines exactly one gets it.
    """

    def __init__(self, client: Any, bucket: str, prefix: str):
        self.client = client
        self.bucket = bucket
        self.key = "/".join(part for part in (prefix, HISTORY_NAME) if part)
        self.prefix = prefix
        self.lock_key = self.key + ".lock"
        self.locked = False

    @classmethod
    def from_settings(cls, settings: BaseSettings, uri: str) -> S3HistoryCopy:
        from scraper.storage.s3 import S3ClientOptions, S3Destination

        destination = S3Destination.from_uri(uri)
        return cls(S3ClientOptions.from_settings(settings, uri).make_client(), destination.bucket, destination.prefix)

    def where(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def lock(self, owner: str) -> None:
        from botocore.exceptions import ClientError

        who = json.dumps({"crawl_id": owner, "pid": os.getpid(), "host": socket.gethostname(), "since": _iso_now()})
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.lock_key, Body=who.encode(), IfNoneMatch="*")
            self.locked = True
            # A crawl that fails to start after this never closes its spider: let go at exit.
            atexit.register(self.unlock)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "412"):
                raise
            holder = self.client.get_object(Bucket=self.bucket, Key=self.lock_key)["Body"].read().decode()
            if _holder_crawl(holder) == owner:  # left by a killed run of this very crawl, now resumed
                logger.warning("Taking over the crawl history lock %s left by an earlier run of crawl %s",
                               self.where(self.lock_key), owner)
                self.client.put_object(Bucket=self.bucket, Key=self.lock_key, Body=who.encode())
                self.locked = True
                atexit.register(self.unlock)
                return
            raise HistoryLocked(
                f"the crawl history {self.where(self.key)} is in use by another crawl ({holder}). Wait for it "
                f"to end; if it died, delete {self.where(self.lock_key)}; or run without the history "
                f"(-s ARCHIVE_HISTORY=False)"
            ) from None

    def unlock(self) -> None:
        if self.locked:
            self.client.delete_object(Bucket=self.bucket, Key=self.lock_key)
            self.locked = False

    def download(self, path: Path) -> bool:
        """The bucket's copy into ``path`` (replacing it); False when the bucket has none."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        partial = path.with_name(path.name + ".download")
        self.client.download_file(self.bucket, self.key, str(partial))
        os.replace(partial, path)
        return True

    def upload(self, path: Path) -> None:
        from scraper.storage.s3 import put_verified

        put_verified(self.client, self.bucket, self.key, path.read_bytes())

    def read_record(self, crawl_id: str, relpath: str, offset: int) -> tuple[StatusAndHeaders, bytes]:
        """The HTTP record at ``offset`` of a crawl's file in the bucket (a ranged GET from
        there, closed after that one record; blocking)."""
        key = "/".join(part for part in (self.prefix, crawl_id, relpath) if part)
        body = self.client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes={offset}-")["Body"]
        try:
            return read_http_record(body)
        finally:
            body.close()

    def crawl_is_complete(self, crawl_id: str) -> bool:
        from botocore.exceptions import ClientError

        key = "/".join(part for part in (self.prefix, crawl_id, MANIFEST_NAME) if part)
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True


@dataclass
class _Saved:
    """What the history saved this crawl (the end-of-crawl summary)."""

    not_fetched: int = 0
    not_modified: int = 0
    revisits: int = 0
    unchanged: int = 0
    versions: int = 0
    bytes_not_downloaded: int = 0


class CrawlHistoryExtension:
    """Opens the crawl history with the archive (``ARCHIVE_HISTORY``), closes it at the end.

    Local archives keep ``crawl-history.sqlite`` beside their crawl folders; ``s3://``
    archives keep it in the bucket, with a working copy in the spool; with
    ``ARCHIVE_FRONTIER`` every process of the crawl shares it on that Redis
    (:class:`~scraper.history.redis.RedisHistory`). Crawls recorded earlier are confirmed
    when this one starts: those whose manifest is not in the archive are forgotten, so no
    revisit points into a crawl that was lost.

    ``archive_root``: the local archive's folder (the earlier crawls' WARCs are read from
    there), None for a bucket (``remote``). ``remote`` also holds the SQLite history's copy
    in the bucket, uploaded at the end; a shared history is not copied anywhere.
    """

    def __init__(self, history: SqliteHistory | RedisHistory, stats: StatsCollector, *, recheck_after: float,
                 remote: S3HistoryCopy | None = None, archive_root: Path | None = None):
        self.history = history
        self.stats = stats
        self.recheck_after = recheck_after
        self.remote = remote
        self.archive_root = archive_root
        #: Whether this process ends the crawl's run in a shared history (the run's end
        #: written, its lock let go: ``crawl_finished``) or only stops recording, other
        #: processes of the crawl going on (``worker_finished``). True for the SQLite
        #: history; for the shared one False, unless the frontier sets it before this
        #: extension's ``spider_closed`` in the process that finishes the crawl. Left
        #: False everywhere, the run ends when the next crawl opens the history and finds
        #: this one complete in the archive (its manifest published).
        self.last_worker = not isinstance(history, RedisHistory)
        self.crawl_id = ""
        self.run: CrawlRun | None = None
        #: The start of the last confirmed crawl: feed and sitemap entries older are not new.
        self.last_crawl_start: datetime | None = None
        self.saved = _Saved()
        #: Dates feeds and sitemaps gave their entries this crawl, and the pages not fetched
        #: for not being due: a link to a page may reach the middleware before the sitemap
        #: entry that dates it, and Scrapy's duplicate filter then drops the entry's request.
        self.entry_dates: dict[str, datetime] = {}
        self.not_due: set[str] = set()
        self._decided: dict[str, bool] = {}
        self._recorded: set[str] = set()
        # Pages found not due, then dated newer by a feed or sitemap: requested again with
        # dont_filter, so Scrapy's duplicate filter never saw them and would let a later
        # link to the same page through; they are asked for once.
        self._requested_again: set[str] = set()
        self._pool = ordered_pool("archive-history")
        self._flushing = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlHistoryExtension:
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_HISTORY") or not settings.getbool("ARCHIVE_ENABLED", True):
            raise NotConfigured("ARCHIVE_HISTORY is off")
        uri = str(settings.get("ARCHIVE_URI") or "./archive")
        scheme = uri.split("://", 1)[0] if "://" in uri else ""
        assert crawler.spidercls is not None
        owner = settings.get("ARCHIVE_CRAWL_ID") or default_crawl_id(crawler.spidercls.name)
        remote: S3HistoryCopy | None = None
        archive_root: Path | None = None
        if scheme == "s3":
            from scraper.storage.s3 import spool_dir_from_settings

            remote = S3HistoryCopy.from_settings(settings, uri)
            path = spool_dir_from_settings(settings) / HISTORY_NAME
        elif scheme in ("", "file"):
            from scraper.storage.local import FileStorage

            archive_root = FileStorage.from_uri(uri).root
            path = archive_root / HISTORY_NAME
        else:
            raise NotConfigured(f"no crawl history for ARCHIVE_URI scheme {scheme!r}")
        frontier = str(settings.get("ARCHIVE_FRONTIER") or "")
        # Blocking, before anything is fetched (as the storage's own check): a crawl that
        # cannot have its history stops here, with the reason.
        history: SqliteHistory | RedisHistory
        try:
            if frontier:
                history = cls.open_shared_history(frontier, archive_name(uri), owner, archive_root, remote)
            else:
                history = cls.open_history(path, owner, remote)
        except Exception as error:
            from scraper.storage.s3 import is_outage

            if remote is None or not is_outage(error):
                raise
            # The bucket is down: the crawl goes on into the spool (the storage's policy),
            # without the history it cannot lock or read. Everything is fetched whole.
            logger.warning("The bucket holding the crawl history is unreachable (%s): this crawl runs "
                           "without it and fetches everything", error)
            crawler.stats.set_value("archive/history/unavailable", 1)
            raise NotConfigured("the crawl history's bucket is unreachable") from error
        ext = cls(history, crawler.stats, recheck_after=settings.getfloat("ARCHIVE_RECHECK_AFTER"), remote=remote,
                  archive_root=archive_root)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    @staticmethod
    def open_history(path: Path, owner: str, remote: S3HistoryCopy | None) -> SqliteHistory:
        """The history at ``path``, locked for ``owner``; from the bucket first when ``remote``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if remote is None:
            history = SqliteHistory(path, owner=owner)
            complete = lambda crawl_id: (path.parent / crawl_id / MANIFEST_NAME).exists()  # noqa: E731
        else:
            remote.lock(owner)
            try:
                if remote.download(path):
                    logger.info("Crawl history from %s", remote.where(remote.key))
                history = SqliteHistory(path, owner=owner)
            except BaseException:
                remote.unlock()
                raise
            complete = remote.crawl_is_complete
        confirm_earlier(history, complete)
        return history

    @staticmethod
    def open_shared_history(frontier: str, archive: str, owner: str, archive_root: Path | None,
                            remote: S3HistoryCopy | None) -> RedisHistory:
        """The history of ``archive`` on the Redis at ``frontier``, joined for crawl ``owner``:
        the processes of one crawl share it, another crawl is refused while one runs (one
        complete in the archive has stopped running, whether its run was ended or not)."""
        if remote is not None:
            complete = remote.crawl_is_complete
        else:
            assert archive_root is not None
            complete = lambda crawl_id: (archive_root / crawl_id / MANIFEST_NAME).exists()  # noqa: E731
        history = RedisHistory.from_url(frontier, archive, owner=owner, complete=complete)
        try:
            confirm_earlier(history, complete)
        except BaseException:
            history.close()
            raise
        return history

    # -- signals -------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        archive = spider.crawler.get_extension(ArchiveExtension)
        self.crawl_id = archive.crawl_id if archive is not None else ""
        last = self.history.last_crawl()
        self.last_crawl_start = parse_date(last.started_at) if last is not None else None
        self.run = CrawlRun(self.crawl_id, _iso_now())
        self.history.crawl_started(self.run)
        self._pool.start()
        logger.info(
            "Crawl history: %s%s", self.history.where,
            f" (last crawl {last.crawl_id}, started {last.started_at})" if last else " (no earlier crawl)",
        )

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        from twisted.internet import reactor

        assert self.run is not None
        archive = spider.crawler.get_extension(ArchiveExtension)
        if isinstance(self.history, RedisHistory) and archive is not None and archive.frontier is not None:
            # One worker of a shared crawl: the last one out ends the run in the history.
            self.last_worker = await maybe_deferred_to_future(archive.finishes_crawl)
        run = replace(self.run, finished_at=_iso_now(), finish_reason=reason)
        try:
            await maybe_deferred_to_future(threads.deferToThreadPool(reactor, self._pool, self._finish, run))
        finally:
            self._pool.stop()
        self.log_summary()

    def _finish(self, run: CrawlRun) -> None:
        if isinstance(self.history, RedisHistory) and not self.last_worker:
            self.history.worker_finished()
        else:
            self.history.crawl_finished(run)
        self.history.close()
        if self.remote is not None and isinstance(self.history, SqliteHistory):
            try:
                self.remote.upload(self.history.path)
                logger.info("Crawl history stored in %s", self.remote.where(self.remote.key))
            except Exception:  # the crawl is archived; the next one starts from the older history
                logger.exception("The crawl history could not be uploaded to %s", self.remote.where(self.remote.key))
                self.stats.inc_value("archive/history/upload_failed")
            finally:
                self.remote.unlock()

    def log_summary(self) -> None:
        saved = self.saved
        logger.info(
            "The crawl history saved: %d pages not fetched, %d not modified (304), %d identical payloads "
            "(revisits), %d articles with unchanged text, %d new versions; %.1f MB not downloaded",
            saved.not_fetched, saved.not_modified, saved.revisits, saved.unchanged, saved.versions,
            saved.bytes_not_downloaded / 1e6,
        )

    # -- what the middleware and the pipeline ask ----------------------------------------

    def count(self, name: str, value: int = 1) -> None:
        setattr(self.saved, name, getattr(self.saved, name) + value)
        self.stats.inc_value(f"archive/history/{name}", value)

    def record(self, capture: Capture) -> None:
        """Record a capture; write the batch in the history's thread once it is large enough."""
        self.history.record(capture)
        self._recorded.add(capture.url)
        if self.history.pending >= FLUSH_EVERY and not self._flushing:
            from twisted.internet import reactor

            self._flushing = True
            d = threads.deferToThreadPool(reactor, self._pool, self.history.flush)
            d.addBoth(self._flushed)

    def _flushed(self, result: Any) -> Any:
        self._flushing = False
        return result

    def wanted(self, url: str, kind: str = "page", entry_date: datetime | None = None) -> bool:
        """Whether ``url`` is to be fetched this run (see :data:`FETCH_META_KEY` for ``kind``).

        The spider asks before it makes a request, so what is not due never reaches
        Scrapy's scheduler; the middleware asks again for requests from anywhere else.
        Pages link to the same URLs many times: an answer without an entry date is kept."""
        if url in self._recorded or url in self._requested_again:  # fetched or asked for already this crawl
            return False
        if entry_date is None and url in self._decided:
            return self._decided[url]
        earlier = self.history.lookup(url)
        wanted = earlier is None or self.due(earlier, kind, entry_date)
        if entry_date is None:
            self._decided[url] = wanted
        return wanted

    def due(self, earlier: Capture, kind: str, entry_date: datetime | None) -> bool:
        """Whether a URL captured before (``earlier``) is fetched again; when not, it is
        counted as saved."""
        url = earlier.url
        if kind in ("start", "always") or (kind == "page" and (
            not earlier.is_article or self.recheck_after <= 0
            or _seconds_since(earlier.checked_at) >= self.recheck_after
            or _changed_since(entry_date or self.entry_dates.get(url), earlier.checked_at)
        )):
            if url in self.not_due:  # found not due by a link, then dated newer by a feed or sitemap
                self.not_due.discard(url)
                self._requested_again.add(url)
                self._decided.pop(url, None)
                self._count_not_fetched(earlier, kind, -1)
            return True
        if url not in self.not_due:
            self.not_due.add(url)
            self._count_not_fetched(earlier, kind, 1)
        return False

    def earlier_page(self, capture: Capture) -> tuple[StatusAndHeaders, bytes]:
        """The HTTP head and body (de-chunked, content coding kept) of ``capture``'s response
        record, read from the archive: the earlier crawl's WARC beside the history, or in the
        bucket. Blocking: call it in a thread. Raises ``OSError`` (or the S3 client's error)
        if the file cannot be read, ``ValueError`` if no HTTP record is at its offset."""
        relpath = f"warc/{capture.warc_filename}"
        if self.remote is not None:
            return self.remote.read_record(capture.crawl_id, relpath, capture.warc_offset)
        assert self.archive_root is not None
        with open(self.archive_root / capture.crawl_id / relpath, "rb") as stream:
            stream.seek(capture.warc_offset)
            return read_http_record(stream)

    def _count_not_fetched(self, earlier: Capture, kind: str, sign: int) -> None:
        self.count("not_fetched", sign)
        self.count("bytes_not_downloaded", sign * earlier.payload_bytes)
        self.stats.inc_value(f"archive/history/not_fetched/{kind}", sign)

    def entry_dated(self, url: str, date: datetime | None) -> bool:
        """A feed or sitemap lists ``url``, dated ``date``: True when a request for it was
        dropped earlier as not due, so the entry's own request must pass the duplicate filter."""
        if date is None:
            return False
        self.entry_dates[url] = max(date, self.entry_dates.get(url, date))
        return url in self.not_due

    def article_version(self, url: str, title: str | None, text: str, record_id: str) -> tuple[int, str | None] | None:
        """``(version, previous_warc_record_id)`` of an article's new text row, or None when
        its text is the one archived before (no new row: ``archive/text/unchanged``)."""
        fingerprint = text_fingerprint(title, text)
        capture = self.history.lookup(url)
        if capture is not None and capture.text_fingerprint == fingerprint:
            self.saved.unchanged += 1
            self.stats.inc_value("archive/text/unchanged")
            return None
        previous_version = capture.text_version if capture is not None else None
        previous_record = capture.text_record_id if capture is not None else None
        version = (previous_version or 0) + 1
        if capture is not None:
            self.record(capture.with_text(fingerprint, version, record_id))
        if version > 1:
            self.saved.versions += 1
            self.stats.inc_value("archive/text/versions")
        return version, previous_record


class IncrementalFetchMiddleware:
    """Downloader middleware (priority 940, inside the WARC capture's 950): fetches a URL
    captured before only when due, conditionally, and records every capture.

    ``process_request``: a requisite captured before is not fetched again, nor an article
    captured less than ``ARCHIVE_RECHECK_AFTER`` seconds ago (``IgnoreRequest``, counted);
    anything else captured before is asked for with ``If-None-Match`` / ``If-Modified-Since``
    and its last capture goes with the request, for the archive's revisit records.
    ``process_response`` (after the response is archived): the capture is recorded.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self._ext: CrawlHistoryExtension | None = None
        self._looked = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalFetchMiddleware:
        if not crawler.settings.getbool("ARCHIVE_HISTORY"):
            raise NotConfigured("ARCHIVE_HISTORY is off")
        return cls(crawler)

    @property
    def ext(self) -> CrawlHistoryExtension | None:
        if not self._looked:
            self._ext = self.crawler.get_extension(CrawlHistoryExtension)
            self._looked = True
        return self._ext

    def process_request(self, request: Request) -> None:
        ext = self.ext
        if ext is None:
            return
        if request.meta.get(_CONDITIONAL_FOR, request.url) != request.url:  # redirected: not that URL's
            for name in (b"If-None-Match", b"If-Modified-Since"):
                request.headers.pop(name, None)
            for key in (_CONDITIONAL_FOR, EARLIER_META_KEY, REFERS_TO_META_KEY):
                request.meta.pop(key, None)
        parsed = urlparse_cached(request)
        # robots.txt answered 304 would read as empty, that is, as "everything allowed".
        if request.method != "GET" or parsed.scheme not in ("http", "https") or parsed.path == "/robots.txt":
            return
        # On the reactor: an indexed read of a local file, cheaper than a hop to a thread.
        earlier = ext.history.lookup(request.url)
        if earlier is None:
            return
        kind = request.meta.get(FETCH_META_KEY, "page")
        if not ext.due(earlier, kind, request.meta.get(ENTRY_DATE_META_KEY)):
            raise IgnoreRequest(f"captured before, not due again: {request.url}")
        if earlier.status == 200 and kind != "start":
            if earlier.etag:
                request.headers[b"If-None-Match"] = earlier.etag
            if earlier.last_modified:
                request.headers[b"If-Modified-Since"] = earlier.last_modified
            if earlier.etag or earlier.last_modified:
                self.crawler.stats.inc_value("archive/history/conditional_requests")
        request.meta[_CONDITIONAL_FOR] = request.url
        request.meta[EARLIER_META_KEY] = earlier
        request.meta[REFERS_TO_META_KEY] = warc.RefersTo(
            earlier.warc_record_id, earlier.url, earlier.fetched_at, earlier.payload_digest
        )

    def process_response(self, request: Request, response: Response) -> Response:
        ext = self.ext
        location: ResponseLocation | None = request.meta.get(RECORD_META_KEY)
        if ext is None or location is None:
            return response
        earlier: Capture | None = request.meta.get(EARLIER_META_KEY)
        etag = _header(response, b"ETag")
        last_modified = _header(response, b"Last-Modified")
        if location.revisit_profile is not None and earlier is not None:
            if location.revisit_profile == warc.SERVER_NOT_MODIFIED:
                ext.count("not_modified")
                ext.count("bytes_not_downloaded", earlier.payload_bytes)
            else:
                ext.count("revisits")
            ext.record(earlier.checked(location.warc_date, etag=etag, last_modified=last_modified))
            return response
        if response.status == 304:  # not asked for conditionally by us: nothing to record
            return response
        ext.record(Capture(
            url=response.url, status=response.status, fetched_at=location.warc_date,
            checked_at=location.warc_date, crawl_id=ext.crawl_id, warc_filename=location.warc_filename,
            warc_offset=location.warc_offset, warc_record_id=location.warc_record_id,
            payload_digest=location.payload_digest, payload_bytes=len(response.body), etag=etag,
            last_modified=last_modified,
            # The text stays the earlier one's until the pipeline says the article changed.
            text_fingerprint=earlier.text_fingerprint if earlier else None,
            text_version=earlier.text_version if earlier else None,
            text_record_id=earlier.text_record_id if earlier else None,
        ))
        return response


def confirm_earlier(history: SqliteHistory | RedisHistory, complete: Callable[[str], bool]) -> None:
    """Confirm the crawls ``history`` recorded and has not confirmed yet: those
    ``complete`` in the archive (their manifest there) count from now on, the others'
    records are forgotten (logged)."""
    for crawl_id in history.unconfirmed():
        done = complete(crawl_id)
        history.confirm(crawl_id, done)
        if not done:
            logger.warning("Crawl %s is not complete in the archive: the history forgets what it fetched", crawl_id)


def _holder_crawl(holder: str) -> str | None:
    try:
        return str(json.loads(holder).get("crawl_id"))
    except (ValueError, AttributeError):
        return None


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def since_cutoff(since: str | None, ext: CrawlHistoryExtension | None) -> datetime | None:
    """The moment before which feed and sitemap entries are old: the later of the spider's
    ``since=`` and the start of the last crawl in the history."""
    moments = [moment for moment in (parse_date(since), ext.last_crawl_start if ext else None) if moment]
    return max(moments) if moments else None
