"""The archive of a running crawl: opens it, writes to it off the reactor, closes it.

:class:`ArchiveExtension` owns the :class:`~scraper.archive.segments.CrawlArchive` and its one
writer thread (records stay in order, gzip and disk I/O stay off the reactor), logs
progress, and at the end writes the manifest through the storage backend.

It leaves the reactor one way: Twisted's ``deferToThreadPool`` on a named one-thread
:class:`~twisted.python.threadpool.ThreadPool`, awaited through Scrapy's
``maybe_deferred_to_future``. One thread per pool keeps the order work was queued in:
records in the WARC (``archive-writer``), derived files after the files they come from and
the manifest after all of them (``archive-deriver``). Scrapy's ``run_in_thread`` would hand
work to asyncio's shared executor, where no order is kept.
"""

from __future__ import annotations

import json
import logging
import platform
import socket
import threading
import time
from datetime import datetime, timezone
from importlib.metadata import version
from typing import TYPE_CHECKING, Any, TypeVar

import scrapy
import twisted
from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, DropItem, IgnoreRequest, NotConfigured
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet import threads
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall
from twisted.python.threadpool import ThreadPool

from scraper import __version__
from scraper.archive import warc
from scraper.archive.manifest import CompletedFile, completed_file
from scraper.archive.recovery import ArchivedResponse, ResumeState, seal_open_files
from scraper.archive.segments import CrawlArchive, Deriver, ResponseLocation
from scraper.files import OPEN_SUFFIX
from scraper.frontier.redis import RedisFrontier, worker_id
from scraper.storage.base import ArchiveUri, storage_class_for_uri

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

    from scraper import component
    from scraper.storage.base import ArchiveStorage

__all__ = [
    "LEASE_META_KEY", "ArchiveExtension", "ArchiveMetrics", "FrontierExtension", "default_crawl_id", "user_agent",
    "warcinfo_fields",
]

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: The close reason of a crawl stopped because its archive could not be written (a full disk).
WRITE_ERROR_REASON = "archive_write_error"
#: Close reasons of a crawl stopped before its end: it gets no manifest, and resumes.
UNFINISHED_REASONS = frozenset({"shutdown", WRITE_ERROR_REASON})
#: Settings recorded in every warcinfo record and manifest: what an operator tunes.
#: Never credentials (AWS_*), never anything not listed here.
RECORDED_SETTINGS = (
    "ARCHIVE_URI",
    "ARCHIVE_CONTACT",
    "ARCHIVE_WARC_MAX_SIZE",
    "ARCHIVE_HISTORY",
    "ARCHIVE_RECHECK_AFTER",
    "ROBOTSTXT_OBEY",
    "AUTOTHROTTLE_ENABLED",
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "DOWNLOAD_DELAY",
    "DOWNLOAD_TIMEOUT",
    "RETRY_TIMES",
)


def user_agent(settings: BaseSettings) -> str:
    """The User-Agent the crawl sends and records: ``ARCHIVE_USER_AGENT`` with ``{version}``
    and ``{contact}`` (``ARCHIVE_CONTACT``) filled in; Scrapy's ``USER_AGENT`` as it is when
    ``ARCHIVE_USER_AGENT`` is empty."""
    template = settings.get("ARCHIVE_USER_AGENT")
    if not template:
        return str(settings.get("USER_AGENT"))
    return str(template).format(version=__version__, contact=settings.get("ARCHIVE_CONTACT") or "")


def default_crawl_id(spider_name: str, moment: datetime | None = None) -> str:
    moment = moment or datetime.now(timezone.utc)
    return f"{spider_name}-{moment.strftime('%Y%m%dT%H%M%SZ')}"


def stem_prefix(crawl_id: str, worker: str = "") -> str:
    """How the crawl's segment files are named: ``<crawl id>`` or, for one worker of a crawl
    shared by many processes, ``<crawl id>-<worker id>`` (then ``-<UTC time>-<serial>``)."""
    return f"{crawl_id}-{worker}" if worker else crawl_id


def warcinfo_fields(
    crawl_id: str, settings: dict[str, Any], arguments: dict[str, str]
) -> list[tuple[str, str]]:
    """The ``application/warc-fields`` of the warcinfo record (ISO 28500 annex)."""
    software = (
        f"scraper/{__version__} scrapy/{scrapy.__version__} twisted/{twisted.__version__} "
        f"warcio/{version('warcio')} "
        f"trafilatura/{version('trafilatura')} python/{platform.python_version()}"
    )
    fields = [
        ("software", software),
        ("format", "WARC File Format 1.1"),
        ("conformsTo", "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"),
        ("isPartOf", crawl_id),
        ("hostname", socket.gethostname()),
        ("http-header-user-agent", str(settings.get("USER_AGENT_RESOLVED", ""))),
        ("robots", "obey" if settings.get("ROBOTSTXT_OBEY") else "ignore"),
        ("operator", str(settings.get("ARCHIVE_CONTACT") or "")),
    ]
    fields += [(f"setting-{name}", str(settings[name])) for name in RECORDED_SETTINGS if name in settings]
    fields += [(f"argument-{name}", value) for name, value in sorted(arguments.items())]
    return fields


class _DaemonThread(threading.Thread):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, daemon=True, **kwargs)


def ordered_pool(name: str) -> ThreadPool:
    """A one-thread pool, started by the caller: work runs in the order it was queued.

    Its thread is a daemon. A crawl that ends well awaits every job it queued before it
    stops the pool; a forced stop (a second Ctrl-C) stops the reactor without that, and a
    pool thread the interpreter had to join would keep the process alive (its idle
    thread forever, a busy one as long as its job, a package of the whole crawl). Each
    record is one write, so a file left by a forced stop ends at its last record.
    """
    pool = ThreadPool(minthreads=1, maxthreads=1, name=name)
    pool.threadFactory = _DaemonThread
    return pool


class ArchiveExtension:
    """Owns the crawl's archive; middlewares and pipelines write through it."""

    def __init__(
        self,
        storage: ArchiveStorage,
        crawl_id: str,
        *,
        stats: StatsCollector,
        recorded_settings: dict[str, Any],
        max_warc_bytes: int,
        gzip_level: int,
        progress_interval: float,
        derivers: list[Deriver],
        write_wet: bool,
        resume: ResumeState | None = None,
        stop_crawl: Callable[[str], object] | None = None,
        worker: str = "",
    ):
        self.storage = storage
        self.crawl_id = crawl_id
        self.stats = stats
        self.recorded_settings = recorded_settings
        self.max_warc_bytes = max_warc_bytes
        self.gzip_level = gzip_level
        self.progress_interval = progress_interval
        self.derivers = derivers
        self.write_wet = write_wet
        self.resume = resume  # what an earlier, unfinished run of this crawl left
        self.stop_crawl = stop_crawl  # closes the spider with a reason (the engine's close_spider_async)
        #: This process's worker id in a crawl shared by many (``ARCHIVE_FRONTIER``), or "".
        self.worker = worker
        #: The shared crawl's frontier (set when the spider opens), or None for a crawl of one process.
        self.frontier: FrontierExtension | None = None
        #: The first write error, once the archive could not be written: nothing more is written.
        self.write_error: OSError | None = None
        #: What a deriver could not make ("WaczDeriver at the end of the crawl"): in the manifest.
        self.failed: list[str] = []
        self.archive: CrawlArchive | None = None
        self.started_at: datetime | None = None
        self.arguments: dict[str, str] = {}
        self._writer = ordered_pool("archive-writer")
        # Derived files (indexes, packages) are made in a thread of their own, in order; the
        # manifest is published there last.
        self._deriver = ordered_pool("archive-deriver")
        self._files: list[CompletedFile] = []
        #: Other workers' files copied here to derive from (a shared crawl on S3): removed at the end.
        self._fetched: list[Path] = []
        self._files_lock = threading.Lock()
        #: True once the spider's close has run to its end (files closed, manifest published
        #: or the crawl marked unfinished); False after a forced stop cut it short.
        self.closed = False
        #: Fires once this process knows, as the spider closes, whether it finishes the
        #: crawl: True for a crawl of one process or the last worker out of a shared one.
        self.finishes_crawl: Deferred[bool] = Deferred()
        self._progress: LoopingCall | None = None
        self._progress_last = (0.0, 0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveExtension:
        settings = crawler.settings
        if settings.get("ARCHIVE_ENABLED") is None:
            # Every default is in scraper/settings.py: without it, unset settings would
            # read as 0 or off (here: an archive silently switched off).
            raise RuntimeError(
                "ARCHIVE_ENABLED is not set: run from the project folder (its scrapy.cfg names "
                "scraper.settings), set SCRAPY_SETTINGS_MODULE=scraper.settings, or copy the ARCHIVE_* "
                "settings from scraper/settings.py into your own"
            )
        if not settings.getbool("ARCHIVE_ENABLED"):
            raise NotConfigured("ARCHIVE_ENABLED is off")
        uri = ArchiveUri.parse(str(settings.get("ARCHIVE_URI") or ""))
        if not uri.text:
            raise ValueError("ARCHIVE_URI is empty: give a folder, file:///abs/path or s3://bucket/prefix")
        storage_cls = storage_class_for_uri(uri, settings.getdict("ARCHIVE_STORAGES"))
        # Storages and derivers see the crawler through scraper.component's Protocols; this
        # annotation has mypy check that Scrapy's Crawler fits them.
        _: component.Crawler = crawler
        storage = build_from_crawler(storage_cls, crawler, uri)
        storage.check()  # bad folder, credentials or bucket: stop before fetching anything
        assert crawler.spidercls is not None
        crawl_id = settings.get("ARCHIVE_CRAWL_ID") or default_crawl_id(crawler.spidercls.name)
        if storage.is_complete(crawl_id):
            raise FileExistsError(f"crawl {crawl_id} is already complete at {storage.location(crawl_id)}")
        derivers = [build_from_crawler(load_object(path), crawler) for path in settings.getlist("ARCHIVE_DERIVERS")]
        # One of many processes of a shared crawl: its files and its claim are its own.
        worker = worker_id(settings.get("ARCHIVE_WORKER_ID") or "") if settings.get("ARCHIVE_FRONTIER") else ""
        # Derivers read finished files until the end (a WACZ packs every WARC): a storage
        # that moves files elsewhere keeps its local copies until the manifest is published.
        crawl_dir = storage.open_crawl(crawl_id, keep_files_until_published=bool(derivers), worker=worker)
        # A crawl id whose earlier run stopped or was killed goes on where it was: its open
        # files are sealed now, before anything is fetched (reading its WARCs once).
        resume = ResumeState.prepare(crawl_dir, stem_prefix(crawl_id, worker) + "-" if worker else "")
        recorded = {name: settings.get(name) for name in RECORDED_SETTINGS if settings.get(name) is not None}
        recorded["ARCHIVE_URI"] = uri.public()
        recorded["USER_AGENT_RESOLVED"] = user_agent(settings)
        ext = cls(
            storage,
            crawl_id,
            stats=crawler.stats,
            recorded_settings=recorded,
            max_warc_bytes=settings.getint("ARCHIVE_WARC_MAX_SIZE"),
            gzip_level=warc.check_gzip_level(settings.getint("ARCHIVE_GZIP_LEVEL")),
            progress_interval=settings.getfloat("ARCHIVE_PROGRESS_INTERVAL"),
            derivers=derivers,
            write_wet=settings.getbool("ARCHIVE_WET"),
            resume=resume,
            stop_crawl=lambda reason: deferred_from_coro(crawler.engine.close_spider_async(reason=reason))
            if crawler.engine is not None else None,
            worker=worker,
        )
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    # -- the writer thread --------------------------------------------------------

    async def _in_writer(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self._in_thread(self._writer, func, *args, **kwargs)

    @staticmethod
    async def _in_thread(pool: ThreadPool, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``func(*args, **kwargs)`` in ``pool``, after the work queued there before it."""
        from twisted.internet import reactor

        return await maybe_deferred_to_future(threads.deferToThreadPool(reactor, pool, func, *args, **kwargs))

    def _register(self, completed: CompletedFile) -> None:
        # Writer or deriver thread; storage backends hand uploads to their own threads.
        with self._files_lock:
            self._files.append(completed)
        folder, _, rest = completed.relpath.partition("/")
        kind = folder if rest else completed.relpath.rsplit(".", 1)[-1]  # top-level files by extension
        self.stats.inc_value(f"archive/files/{kind}")
        self.storage.file_completed(self.crawl_id, completed)
        if self.frontier is not None:  # the crawl's manifest lists every worker's files
            self.frontier.frontier.file_completed(completed.relpath, completed.manifest_entry())

    def _on_file_completed(self, completed: CompletedFile) -> None:
        self._register(completed)
        if self.derivers:
            self._deriver.callInThread(self._derive_from, completed)  # thread-safe: from the writer

    def _derive_from(self, completed: CompletedFile) -> None:
        self._run_derivers(f"on {completed.relpath}", lambda d, folder: d.file_completed(folder, completed))

    def _derive_at_end(self) -> list[CompletedFile]:
        with self._files_lock:
            files = list(self._files)
        self._run_derivers("at the end of the crawl", lambda d, folder: d.crawl_completed(folder, files))
        with self._files_lock:
            return list(self._files)

    def _run_derivers(self, when: str, step: Callable[[Deriver, Path], list[Path]]) -> None:
        """Run one step of every deriver (deriver thread) and register what it made."""
        crawl_dir = self.storage.crawl_folder(self.crawl_id)
        for deriver in self.derivers:
            try:
                paths = step(deriver, crawl_dir)
            except OSError as error:  # a full disk, a file it could not read: one line says so
                logger.error("%s failed %s: %s", type(deriver).__name__, when, error)
            except Exception:  # a broken derived file must not lose the crawl: logged, counted
                logger.exception("%s failed %s", type(deriver).__name__, when)
            else:
                for path in paths:
                    self._register(completed_file(crawl_dir, path))
                continue
            self.stats.inc_value("archive/derive/errors")
            self.failed.append(f"{type(deriver).__name__} {when}")

    # -- signals -------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        self.started_at = datetime.now(timezone.utc)
        self.arguments = dict(getattr(spider, "archive_arguments", {}))
        self.archive = CrawlArchive(
            self.storage.crawl_folder(self.crawl_id),
            self.crawl_id,
            warcinfo_fields=warcinfo_fields(self.crawl_id, self.recorded_settings, self.arguments),
            max_warc_bytes=self.max_warc_bytes,
            gzip_level=self.gzip_level,
            on_file_completed=self._on_file_completed,
            write_wet=self.write_wet,
            first_serial=self.resume.first_serial if self.resume else 1,
            stem_prefix=stem_prefix(self.crawl_id, self.worker),
        )
        self.frontier = spider.crawler.get_extension(FrontierExtension)
        self._writer.start()
        self._deriver.start()
        if self.resume is not None:
            self._resume_files(self.resume)
        self.stats.set_value("archive/crawl_id", self.crawl_id)
        logger.info("Archiving crawl %s to %s", self.crawl_id, self.storage.location(self.crawl_id))
        if self.progress_interval > 0:
            self._progress_last = (time.monotonic(), 0)
            self._progress = LoopingCall(self.log_progress)
            self._progress.start(self.progress_interval, now=False)

    def _resume_files(self, resume: ResumeState) -> None:
        """The earlier runs' files belong to this crawl: counted, stored, derived from, listed."""
        crawl_dir = self.storage.crawl_folder(self.crawl_id)
        for path in resume.earlier_files:
            self._on_file_completed(completed_file(crawl_dir, path))
        cut = sum(s.cut_bytes for s in resume.sealed)
        self.stats.set_value("archive/resume/sealed_files", len(resume.sealed))
        self.stats.set_value("archive/resume/cut_bytes", cut)
        logger.info(
            "Resuming crawl %s: %d files of earlier runs (%d sealed, %d bytes of torn records cut off), "
            "%d responses and %d text rows archived already",
            self.crawl_id, len(resume.earlier_files), len(resume.sealed), cut, len(resume.responses),
            len(resume.rows),
        )

    def archived_response(self, url: str) -> ArchivedResponse | None:
        """The final response an earlier run of this crawl archived for ``url`` (once: a second
        request for it, a retry or a redirect back, is fetched); None for a new crawl."""
        if self.resume is None:
            return None
        return self.resume.responses.pop(url, None)

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._progress is not None and self._progress.running:
            self._progress.stop()
            self.log_progress()  # the last interval too: a short crawl gets its line
        if self.archive is None:
            self.finishes_crawl.callback(False)
            return
        try:
            try:
                if self.write_error is not None:  # its files stay .open: the next run seals them
                    await self._in_writer(self.archive.abandon)
                else:
                    await self._in_writer(self.archive.close)
            except OSError as error:  # the last index or fsync met the full disk
                self._write_failed(error)
                reason = WRITE_ERROR_REASON
            finally:
                self._writer.stop()  # a live pool thread would keep the process from exiting
            if self.write_error is not None:
                reason = WRITE_ERROR_REASON  # whatever closed the spider first: its archive is not whole
            if reason in UNFINISHED_REASONS:
                # Stopped before its end (Ctrl-C, SIGTERM): its files are whole, but no
                # manifest, so the same command resumes it; the exit status says so.
                self.stats.set_value("archive/crawl/unfinished", 1)
                logger.warning("Crawl %s stopped before its end (%s): its files are kept; run the same "
                               "command again to resume it", self.crawl_id, reason)
                return
            crawl_stats: dict[str, Any] | None = None
            if self.frontier is not None:
                # One worker of many: the last one out writes the crawl's manifest.
                crawl_stats = await self._in_thread(self._deriver, self._worker_done)
                if crawl_stats is None:
                    return
            self.finishes_crawl.callback(True)
            # Queued after every file_completed: runs once all derived files are made.
            completed = await self._in_thread(self._deriver, self._derive_at_end)
            finished_at = datetime.now(timezone.utc)
            manifest = self.manifest(completed, finished_at, reason, crawl_stats=crawl_stats)
            await self._in_thread(self._deriver, self.storage.publish_manifest, self.crawl_id, manifest)
            if self.frontier is not None:  # the shared queue and duplicate filter can go
                await self._in_thread(self._deriver, self.frontier.frontier.crawl_finished)
            for path in self._fetched:
                path.unlink(missing_ok=True)
        finally:
            self._deriver.stop()
            self.closed = True
            if not self.finishes_crawl.called:
                self.finishes_crawl.callback(False)
        self.log_summary(completed)

    def _worker_done(self) -> dict[str, Any] | None:
        """Deriver thread, after this worker's own derived files: its stats and files are
        in Redis; if the crawl is over and this worker is the one to finish it, the other
        workers' files join this one's (those of workers that died are sealed and indexed
        first) and the crawl's stats are returned; else its storage lets go, and None."""
        assert self.frontier is not None
        frontier = self.frontier.frontier
        frontier.add_stats({k: v for k, v in self.stats.get_stats().items() if k.startswith(("archive/", "downloader/",
                            "item_", "response_", "scheduler/", "log_count/"))})
        # Its files where readers find them before it says it is done: the last worker out
        # lists them, and may fetch them for the WACZ.
        self.storage.wait_stored(self.crawl_id)
        if not self.frontier.crawl_over():
            self.storage.close_worker(self.crawl_id)
            logger.info("Worker %s of crawl %s is done; the last worker out writes the manifest",
                        self.worker, self.crawl_id)
            return None
        crawl_dir = self.storage.crawl_folder(self.crawl_id)
        sealed = seal_open_files(crawl_dir)  # every other worker is done: what is open is a dead one's
        with self._files_lock:
            known = {c.relpath for c in self._files}
        others = 0
        for relpath, entry in sorted(frontier.files().items()):
            if relpath not in known:  # stored by its own worker: listed, not stored again
                self.storage.adopt_file(self.crawl_id, relpath, entry["size"], entry["sha256"])
                path = crawl_dir / relpath
                if self.derivers and relpath.startswith(("warc/", "indexes/", "text/")) and not path.exists():
                    # Another machine's spool: the WACZ packs it too.
                    path = self.storage.fetch_file(self.crawl_id, relpath)
                    self._fetched.append(path)
                with self._files_lock:
                    self._files.append(CompletedFile(path, relpath, entry["size"], entry["sha256"]))
                known.add(relpath)
                others += 1
        left = [p for p in sorted(crawl_dir.glob("*/*")) if p.is_file() and not p.name.endswith(OPEN_SUFFIX)
                and p.relative_to(crawl_dir).as_posix() not in known]
        for path in left:  # a dead worker's, sealed now or finished as it died
            self._register(completed_file(crawl_dir, path))
        with self._files_lock:
            warcs = [c for c in self._files if c.relpath.startswith("warc/") and c.path.exists()]
        for completed in warcs:  # a WARC whose worker died before its index was made gets one
            self._derive_from(completed)
        logger.info("Crawl %s is over: worker %s writes its manifest (%d files of other workers, %d of them "
                    "sealed after their worker died)", self.crawl_id, self.worker, others + len(left), len(sealed))
        crawl = dict(frontier.crawl_stats())
        states = frontier.workers()
        crawl["archive/frontier/workers"] = len(states)
        crawl["archive/frontier/dead_workers"] = sum(state == "dead" for state in states.values())
        reported = frontier.worker_stats()
        workers: dict[str, Any] = {}
        for worker, state in sorted(states.items()):
            stats = reported.get(worker)
            if stats is None:  # died before reporting: its pages and rows counted from its files
                stats = self._count_files(crawl_dir, stem_prefix(self.crawl_id, worker) + "-")
                for name, value in stats.items():
                    crawl[name] = crawl.get(name, 0) + value
            workers[worker] = {"state": state, "stats": stats}
        return {"crawl": crawl, "workers": workers}

    @staticmethod
    def _count_files(crawl_dir: Path, prefix: str) -> dict[str, int]:
        """Response records and text rows in the files whose names start with ``prefix``."""
        from scraper.tools.crawls import count_responses, count_rows  # the crawl's start-up need not load boto3

        return {
            "archive/warc/responses": sum(count_responses(p) for p in crawl_dir.glob(f"warc/{prefix}*.warc.gz")),
            "archive/text/articles": sum(count_rows(p) for p in crawl_dir.glob(f"text/{prefix}*.jsonl.gz")),
        }

    # -- writing ---------------------------------------------------------------------

    async def write_exchange(
        self, target_uri: str, http_response: bytes, http_request: bytes | None, *, date: str,
        ip_address: str | None, truncated: str | None = None, refers_to: warc.RefersTo | None = None,
    ) -> ResponseLocation:
        assert self.archive is not None, "the archive opens with the spider"
        if self.write_error is not None:
            raise IgnoreRequest(f"not archived, the archive could not be written: {self.write_error}")
        try:
            location = await self._in_writer(
                self.archive.write_exchange, target_uri, http_response, http_request, date=date,
                ip_address=ip_address, truncated=truncated, refers_to=refers_to,
            )
        except OSError as error:
            self._write_failed(error)
            raise IgnoreRequest(f"not archived, the archive could not be written: {error}") from error
        if location.revisit_profile is not None:
            self.stats.inc_value("archive/warc/revisits")
        if truncated:
            self.stats.inc_value(f"archive/warc/truncated/{truncated}")
        self.stats.inc_value("archive/warc/responses")
        self.stats.inc_value("archive/warc/records", 2 if http_request is not None else 1)
        self.stats.inc_value("archive/warc/http_bytes", len(http_response))
        return location

    async def write_text_row(self, row: dict[str, Any]) -> None:
        assert self.archive is not None, "the archive opens with the spider"
        if self.resume is not None and row["warc_record_id"] in self.resume.rows:
            self.stats.inc_value("archive/resume/rows_kept")  # an earlier run wrote it: one row an article
            return
        if self.write_error is not None:
            raise DropItem("not archived, the archive could not be written", log_level="DEBUG")
        try:
            written = await self._in_writer(self._write_row_once, row)
        except OSError as error:
            self._write_failed(error)
            raise DropItem(f"not archived, the archive could not be written: {error}", log_level="DEBUG") from error
        if not written:
            self.stats.inc_value("archive/frontier/rows_kept")  # a worker that died wrote it: one row an article
            return
        self.stats.inc_value("archive/text/articles")
        if self.write_wet:
            self.stats.inc_value("archive/wet/records")

    def _write_row_once(self, row: dict[str, Any]) -> bool:
        """Writer thread: write ``row``; in a crawl shared by many processes, only if no
        worker wrote one for its URL. A worker killed after writing a row and before its
        request's lease went leaves the page to be fetched again: the row it wrote stands.
        Written first, marked right after in the same thread, so a kill between the two
        (microseconds) is the one way to a second row."""
        assert self.archive is not None
        if self.frontier is None:
            self.archive.write_text_row(row)
            return True
        frontier = self.frontier.frontier
        if frontier.has_row(row["url"]):
            return False
        self.archive.write_text_row(row)
        frontier.row_written(row["url"])
        return True

    def _write_failed(self, error: OSError) -> None:
        """A write the archive refused (full disk, file size limit): counted; the first one
        logged and the crawl stopped, unfinished, to be resumed once there is room."""
        self.stats.inc_value("archive/warc/write_errors")
        if self.write_error is not None:
            return
        self.write_error = error
        logger.error("Could not write the archive of crawl %s (%s): stopping the crawl; its files end at "
                     "their last complete record; run the same command again, with room, to resume it",
                     self.crawl_id, error)
        if self.stop_crawl is not None:
            self.stop_crawl(WRITE_ERROR_REASON)

    # -- reporting -------------------------------------------------------------------

    def manifest(self, completed: list[CompletedFile], finished_at: datetime, reason: str, *,
                 crawl_stats: dict[str, Any] | None = None) -> bytes:
        """The crawl's ``manifest.json``. ``crawl_stats``: of a crawl shared by many processes,
        ``{"crawl": summed stats, "workers": {worker id: its stats}}``."""
        # Upload figures are still moving while the manifest is written: they go to the log.
        stats = {
            k: v
            for k, v in (crawl_stats["crawl"] if crawl_stats else self.stats.get_stats()).items()
            if isinstance(v, (int, float, str)) and not k.startswith("archive/upload/")
        }
        document = {
            "crawl_id": self.crawl_id,
            "software": f"scraper/{__version__}",
            "start_time": self.started_at.isoformat() if self.started_at else None,
            "end_time": finished_at.isoformat(),
            "finish_reason": reason,
            "arguments": self.arguments,
            "settings": {k: v for k, v in self.recorded_settings.items() if not k.endswith("_RESOLVED")},
            "stats": dict(sorted(stats.items())),
            "files": [c.manifest_entry() for c in sorted(completed, key=lambda c: c.relpath)],
            # Derived files that could not be made: the files above are whole, these are missing.
            "failed": list(self.failed),
        }
        if crawl_stats:
            document["workers"] = crawl_stats["workers"]
        return json.dumps(document, indent=2, ensure_ascii=False, default=str).encode("utf-8") + b"\n"

    def log_progress(self) -> None:
        now = time.monotonic()
        pages = int(self.stats.get_value("archive/warc/responses", 0))
        last_time, last_pages = self._progress_last
        rate = (pages - last_pages) / max(now - last_time, 1e-9) * 60
        self._progress_last = (now, pages)
        warc_mb = self.stats.get_value("archive/warc/http_bytes", 0) / 1e6
        logger.info(
            "Archived %d pages (%.0f pages/min), %d articles, %.1f MB of HTTP in WARC",
            pages, rate, self.stats.get_value("archive/text/articles", 0), warc_mb,
        )

    def log_summary(self, completed: list[CompletedFile]) -> None:
        warcs = [c for c in completed if c.relpath.startswith("warc/")]
        texts = [c for c in completed if c.relpath.startswith("text/")]
        logger.info(
            "Crawl %s archived: %d pages, %d articles; %d WARC files (%.1f MB), %d text files -> %s",
            self.crawl_id,
            self.stats.get_value("archive/warc/responses", 0),
            self.stats.get_value("archive/text/articles", 0),
            len(warcs),
            sum(c.size for c in warcs) / 1e6,
            len(texts),
            self.storage.location(self.crawl_id),
        )


class ArchiveMetrics:
    """Writes the crawl's figures for Prometheus when it has ended (``ARCHIVE_METRICS_FILE``).

    Runs at ``engine_stopped``, after every ``spider_closed`` handler: the archive's manifest
    and uploads are done by then, so the upload failure stats are final. The file is
    written in a thread of its own (:func:`scraper.tools.metrics.write_crawl_metrics`).
    """

    def __init__(self, path: Path, spider_name: str, stats: StatsCollector):
        self.path = path
        self.spider_name = spider_name
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMetrics:
        from pathlib import Path

        value = crawler.settings.get("ARCHIVE_METRICS_FILE")
        if not value:
            raise NotConfigured("ARCHIVE_METRICS_FILE is not set")
        path = Path(value).expanduser().resolve()
        if not path.parent.is_dir():  # a typo found now, not after a night's crawl
            raise FileNotFoundError(f"ARCHIVE_METRICS_FILE {path}: no folder {path.parent}")
        assert crawler.spidercls is not None and crawler.stats is not None
        ext = cls(path, crawler.spidercls.name, crawler.stats)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    async def engine_stopped(self) -> None:
        from scraper.tools.metrics import write_crawl_metrics

        stats = dict(self.stats.get_stats())
        pool = ordered_pool("archive-metrics")
        pool.start()
        try:
            await ArchiveExtension._in_thread(
                pool, write_crawl_metrics, self.path, self.spider_name, stats, finished_at=datetime.now(timezone.utc)
            )
        except OSError as error:
            logger.error("Could not write the crawl's metrics to %s: %s", self.path, error)
        else:
            logger.info("Crawl metrics written to %s", self.path)
        finally:
            pool.stop()  # a live pool thread would keep the process from exiting


#: Seconds between two looks at the shared queue by a worker with nothing to do.
POLL_INTERVAL = 1.0

#: Where a request popped from the frontier carries its lease id.
LEASE_META_KEY = "archive_lease"

#: The counts a worker of a shared crawl publishes at each heartbeat, for ``scrapy crawls``.
_PROGRESS_STATS = ("archive/warc/responses", "archive/text/articles")


class FrontierExtension:
    """This process's membership of a crawl on a shared frontier (``ARCHIVE_FRONTIER``, a
    Redis URL; :mod:`scraper.scheduler` is the queue's side).

    Not configured when ``ARCHIVE_FRONTIER`` is empty. The crawl id must be given
    (``ARCHIVE_CRAWL_ID``): it is how the processes find each other. It runs the worker's
    heartbeat, hands back dead workers' leases, keeps an idle worker open while other
    workers may still queue requests, and acknowledges each request's lease once Scrapy's
    scraper is done with its response: its WARC records written, the spider's callback run
    and its requests queued in Redis, its item through the pipelines (the text row
    written). A worker killed before that leaves the request leased; another worker
    fetches it again.
    """

    def __init__(self, frontier: RedisFrontier, crawler: Crawler):
        self.frontier = frontier
        self.crawler = crawler
        self.stats = crawler.stats
        #: Lease ids of requests popped and not yet handed to the scraper.
        self.downloading: set[str] = set()
        self._heartbeat: LoopingCall | None = None
        self._poll: LoopingCall | None = None
        #: Leases whose acknowledgement Redis did not take (it was unreachable): tried again.
        self._unacked: list[str] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierExtension:
        settings = crawler.settings
        url = settings.get("ARCHIVE_FRONTIER") or ""
        if not url:
            raise NotConfigured("ARCHIVE_FRONTIER is empty: the crawl is one process")
        crawl_id = settings.get("ARCHIVE_CRAWL_ID") or ""
        if not crawl_id:
            raise ValueError("ARCHIVE_FRONTIER needs ARCHIVE_CRAWL_ID: the processes of one crawl share it")
        frontier = RedisFrontier.from_url(
            url, crawl_id, worker_id(settings.get("ARCHIVE_WORKER_ID") or ""),
            lease_timeout=settings.getfloat("ARCHIVE_FRONTIER_LEASE_TIMEOUT"),
        )
        if frontier.is_finished():
            raise FileExistsError(f"crawl {crawl_id} on {url} is finished already")
        ext = cls(frontier, crawler)
        crawler.signals.connect(ext.engine_started, signal=signals.engine_started)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    @property
    def worker_id(self) -> str:
        return self.frontier.worker_id

    def engine_started(self) -> None:
        self.frontier.join()
        self.stats.set_value("archive/frontier/worker", self.worker_id)
        logger.info("Worker %s joins crawl %s (%d requests queued)", self.worker_id, self.frontier.crawl_id,
                    self.frontier.queued())
        self._heartbeat = LoopingCall(self._beat)
        self._heartbeat.start(self.frontier.lease_timeout / 3, now=False)
        self._poll = LoopingCall(self._wake_engine)
        self._poll.start(POLL_INTERVAL, now=False)
        # Scrapy has no signal for "the scraper is done with a response": wrap the method
        # the engine calls for it (docs/private-apis.md).
        assert self.crawler.engine is not None
        scraper = self.crawler.engine.scraper
        enqueue_scrape = scraper.enqueue_scrape

        def enqueue_scrape_then_ack(result: Any, request: Request) -> Deferred[Any]:
            lease = request.meta.get(LEASE_META_KEY)
            if lease is None:
                return enqueue_scrape(result, request)
            self.downloading.discard(lease)
            return enqueue_scrape(result, request).addBoth(self._ack, lease)

        scraper.enqueue_scrape = enqueue_scrape_then_ack  # type: ignore[method-assign]

    def _wake_engine(self) -> None:
        """Requests another worker queued are taken within a second, not at the engine's
        next 5-second heartbeat: Scrapy asks its scheduler again only when a download
        ends or a request is queued in this process (docs/private-apis.md)."""
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        if slot is None:
            return
        try:
            queued = self.frontier.queued()
        except RedisError:
            return  # the heartbeat says so
        if queued:
            slot.nextcall.schedule()

    def _ack(self, result: Any, lease: str) -> Any:
        try:
            acked = self.frontier.ack(lease)
        except RedisError as error:  # kept, and tried again at each heartbeat
            logger.error("Worker %s cannot give up a lease: %s", self.worker_id, error)
            self._unacked.append(lease)
            return result
        self.stats.inc_value("archive/frontier/acked" if acked else "archive/frontier/lease_lost")
        return result

    def _beat(self) -> None:
        progress = {name: int(self.stats.get_value(name, 0)) for name in _PROGRESS_STATS}
        try:
            self.frontier.heartbeat(progress)
            reaped = self.frontier.reap()
        except RedisError as error:  # the client retried for about a minute: the next beat tries again
            self.stats.inc_value("archive/frontier/redis_errors")
            logger.error("Worker %s cannot reach the frontier: %s", self.worker_id, error)
            return
        for _, leases in reaped:
            self.stats.inc_value("archive/frontier/reaped_workers")
            self.stats.inc_value("archive/frontier/reaped_leases", leases)
        unacked, self._unacked = self._unacked, []
        for lease in unacked:
            self._ack(None, lease)

    def spider_idle(self, spider: Spider) -> None:
        """Idle here is not the crawl's end while requests are queued or leased elsewhere (a
        live worker may queue more; a dead one's leases come back), seeding goes on, or the
        frontier cannot be reached to tell."""
        self._beat()
        try:
            # Idle: nothing is downloading or being handled, so a lease of ours that is not
            # waiting to be acknowledged is one we never learnt of.
            orphans = self.frontier.release_unknown_leases(list(self._unacked))
            if orphans:
                self.stats.inc_value("archive/frontier/unknown_leases", orphans)
                logger.warning("Worker %s handed back %d leased requests it never received (a reply lost "
                               "when Redis went down)", self.worker_id, orphans)
            queued, leased, _ = self.frontier.pending()
            seeded = self.frontier.is_seeded()
        except RedisError as error:
            logger.error("Worker %s cannot reach the frontier: %s", self.worker_id, error)
            raise DontCloseSpider from error
        if queued or leased or not seeded:
            raise DontCloseSpider

    def spider_closed(self, spider: Spider, reason: str) -> None:
        for loop in (self._heartbeat, self._poll):
            if loop is not None and loop.running:
                loop.stop()
        if reason != "finished":
            handed = self.frontier.release_worker("stopped")
            if handed:
                logger.info("Worker %s stops (%s): %d leased requests back to the queue",
                            self.worker_id, reason, handed)

    def crawl_over(self) -> bool:
        """This worker is done (called once its files are delivered): True if the crawl is
        over and this worker is to write its manifest."""
        return self.frontier.worker_done()
