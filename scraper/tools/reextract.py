"""Runs the current extractor over archived WARCs: new text rows and WET, nothing fetched.

Works on our crawls and on WARCs, ARCs and WACZ packages from other crawlers (wget,
Heritrix, Browsertrix): records are streamed with warcio and their decoded payloads
(chunked and gzip bodies undone) sent in batches to the extraction workers; rows are
written in record order. Odd records (revisits, truncated, segmented, non-HTML,
undecodable, over the size cap) are counted, never fatal; a WARC cut short yields the
records before the cut, and every record it does not hold whole is counted. A page whose
extraction runs past the deadline, or kills its worker twice, is counted and skipped: its
worker is replaced and every other page gets its row. Each row's ``rights`` take its
origin's ``/.well-known/tdmrep.json`` from among the same WARCs (:class:`ArchivedTdmRep`),
as the crawl merged it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin

from warcio.bufferedreaders import ChunkedDataReader
from warcio.recordloader import ArcWarcRecord

from scraper.archive import warc
from scraper.archive.cdxj import warc_stem
from scraper.archive.codings import DecodeError, TooLarge, decode_body
from scraper.archive.manifest import MANIFEST_NAME, completed_file
from scraper.archive.reader import FILE_DAMAGE, ArchiveReader, ReadRecord
from scraper.archive.sources import ArchiveFile, archive_files
from scraper.archive.textrows import HTML_TYPES, text_row, text_row_bytes
from scraper.archive.wet import WetWriter, wet_fields
from scraper.extract.extractor import extract_article
from scraper.extract.model import Article, ExtractionOptions, extractor_name
from scraper.extract.rights import (
    MAX_TDMREP_BYTES,
    RIGHTS_HEADERS,
    TDMREP_PATH,
    TdmRepFile,
    merge_rights,
    origin_of,
    read_tdmrep_file,
)
from scraper.files import write_atomically
from scraper.workers.client import BlockingPool, ExtractionTimeout, Job, WorkerDied
from scraper.workers.forkserver import start_extraction_server

__all__ = ["ArchivedTdmRep", "HtmlRecord", "ReextractResult", "find_warcs", "html_records", "reextract"]

logger = logging.getLogger(__name__)

#: Record types that hold no page to extract, counted by name.
OTHER_TYPES = ("warcinfo", "request", "metadata", "conversion", "continuation")
#: Bigger decoded HTML payloads are skipped (counted ``too_large``) whatever the size cap
#: asked for: no article page is that large, and it bounds what one record costs in memory.
MAX_HTML_BYTES = 16 << 20
#: A batch sent to a worker: this many records or this many bytes, whichever comes first.
BATCH_RECORDS = 16
BATCH_BYTES = 4 << 20


@dataclass(frozen=True)
class HtmlRecord:
    """An archived HTML response, decoded, with where it lives: one extraction job."""

    url: str
    html: bytes
    content_type: str
    warc_filename: str
    warc_offset: int
    warc_record_id: str
    warc_date: str
    payload_digest: str
    rights_headers: dict[str, str] = field(default_factory=dict)  # as scraper.items.ArticleCandidate's


@dataclass
class ReextractResult:
    """What a run did: counts, the files it wrote (relative to DEST) and timing."""

    counts: Counter[str] = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def pages_per_second(self) -> float:
        return self.counts["html_records"] / self.seconds if self.seconds else 0.0


# -- finding and reading WARCs ------------------------------------------------------------


def find_warcs(source: Path) -> list[ArchiveFile]:
    """The WARC/ARC files of a crawl folder (its ``warc/``), a WARC or ARC file, a WACZ (its
    ``archive/``), or a folder of them (:func:`scraper.archive.sources.archive_files`).

    Raises ``FileNotFoundError`` for nothing at ``source``, ``ValueError`` for two files of one
    name (text rows name their WARC by file name, and outputs are named after it), and
    ``zipfile.BadZipFile`` for a WACZ that is no zip package.
    """
    return archive_files(source)


class _DigestTee:
    """Reads through to a stream and digests the payload that passes (for a missing payload
    digest), as WARC 1.1 defines it: de-chunked (:class:`~scraper.archive.warc.PayloadDigester`)."""

    def __init__(self, stream: Any, chunked: bool):
        self.stream = stream
        self.digester = warc.PayloadDigester(chunked)

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.stream.read(size)
        self.digester.update(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        data: bytes = self.stream.readline(size)
        self.digester.update(data)
        return data

    def label(self) -> str:
        return self.digester.label()


def _content_type(record: ArcWarcRecord) -> str:
    if record.http_headers is not None:
        return record.http_headers.get_header("Content-Type") or ""
    return record.rec_headers.get_header("Content-Type") or ""


def _content_encoding(record: ArcWarcRecord) -> str:
    return (record.http_headers.get_header("Content-Encoding") or "") if record.http_headers is not None else ""


def _entity_body(record: ArcWarcRecord) -> Any:
    """The payload with chunking undone and its content coding kept (we decode it, not warcio)."""
    if record.http_headers is not None and \
            (record.http_headers.get_header("Transfer-Encoding") or "").strip().lower() == "chunked":
        return ChunkedDataReader(record.raw_stream)
    return record.raw_stream


def _skip_reason(record: ArcWarcRecord) -> str | None:
    """Why a record is no extraction job (a counter name), or None if it is one."""
    if record.length is None:  # a header block cut by the end of the file: the reader counts it
        return "cut_head"
    if record.rec_type == "revisit":
        return "revisits"
    if record.rec_type not in ("response", "resource"):
        return f"{record.rec_type}_records" if record.rec_type in OTHER_TYPES else "unknown_type_records"
    if record.rec_headers.get_header("WARC-Segment-Number"):
        return "segmented_records"
    if record.http_headers is not None and record.http_headers.get_statuscode() != "200":
        return "not_200"
    if _content_type(record).split(";", 1)[0].strip().lower() not in HTML_TYPES:
        return "not_html"
    return None


def _html_record(item: ReadRecord, reader: ArchiveReader, warc_name: str, counts: Counter[str],
                 max_bytes: int) -> HtmlRecord | None:
    """Read one HTML record's decoded payload; None (counted) if it cannot be read whole or
    decodes to more than ``max_bytes``."""
    record, offset = item.record, item.offset
    headers = record.rec_headers
    payload_digest = headers.get_header("WARC-Payload-Digest") or ""
    tee = None
    if not payload_digest:
        tee = _DigestTee(record.raw_stream, record.http_headers is not None and warc.is_chunked(record.http_headers))
        record.raw_stream = tee
    if headers.get_header("WARC-Truncated"):
        counts["truncated_records"] += 1  # extracted all the same: a cut page still has its text
    html: bytes | None
    try:
        html = decode_body(_entity_body(record).read(max_bytes + 1), _content_encoding(record), max_bytes)
    except TooLarge:
        html = None
    except (DecodeError, zlib.error, OSError, EOFError) as error:
        if reader.finish(item) or not item.whole:
            return None  # the file is cut or damaged here: the reader says so
        counts["decode_errors"] += 1
        logger.info("Cannot decode %s at %s:%d: %r", headers.get_header("WARC-Target-URI"), warc_name, offset, error)
        return None
    if html is None or len(html) > max_bytes:  # a body sent as is was read up to max_bytes + 1
        counts["too_large"] += 1
        logger.warning("Not extracting %s (%s:%d): over %d bytes decoded", headers.get_header("WARC-Target-URI"),
                       warc_name, offset, max_bytes)
        return None
    rest = tee if tee is not None else item.block
    while rest.read(1 << 16):  # what decoders leave unread (a chunked body's trailer), hashed by the tee
        pass
    if reader.finish(item) or not item.whole:
        return None  # cut short by the end of the file: counted by html_records
    if tee is not None:
        payload_digest = tee.label()
    return HtmlRecord(
        url=headers.get_header("WARC-Target-URI") or "",
        html=html,
        content_type=_content_type(record),
        warc_filename=warc_name,
        warc_offset=offset,
        warc_record_id=headers.get_header("WARC-Record-ID") or "",
        warc_date=headers.get_header("WARC-Date") or "",
        payload_digest=payload_digest,
        rights_headers=_rights_headers(record),
    )


def _rights_headers(record: ArcWarcRecord) -> dict[str, str]:
    """The response's rights headers (``RIGHTS_HEADERS``), repeats joined."""
    if record.http_headers is None:
        return {}
    found: dict[str, str] = {}
    wanted = {name.lower(): name for name in RIGHTS_HEADERS}
    for key, value in record.http_headers.headers:
        name = wanted.get(key.lower())
        if name is not None:
            found[name] = f"{found[name]}, {value}" if name in found else value
    return found


def html_records(source: Path | ArchiveFile, counts: Counter[str], *,
                 max_bytes: int = MAX_HTML_BYTES) -> Iterator[HtmlRecord]:
    """The HTML responses of one WARC or ARC, streamed; everything else is counted and skipped.

    A page whose payload decodes to more than ``max_bytes`` (capped at :data:`MAX_HTML_BYTES`)
    is counted ``too_large`` and logged.

    Every record the file began but does not hold whole (a cut head, a cut block or gzip
    member, one warcio cannot parse), an HTML page or not, is counted ``cut_records`` and
    never extracted (no half page); a file that does not end where a whole record ends is
    counted once in ``files_cut`` and logged.
    """
    reader = ArchiveReader(source, arc2warc=True)
    name = reader.source.name
    max_bytes = min(max_bytes, MAX_HTML_BYTES)
    for item in reader:
        counts["records"] += 1
        reason = _skip_reason(item.record)
        job = None if reason else _html_record(item, reader, name, counts, max_bytes)
        reader.finish(item)
        if not item.whole:  # counted below, with the records too cut to be yielded
            logger.warning("%s:%d: %s", name, item.offset, item.damage[0].message)
        elif reason:
            counts[reason] += 1
        elif job is not None:
            counts["html_records"] += 1
            yield job
    counts["cut_records"] += reader.cut_records
    file_damage = [d for d in reader.damage if d.kind in FILE_DAMAGE]
    if reader.cut_records or file_damage:
        counts["files_cut"] += 1
        logger.warning("%s: %s", reader.source.label(), (file_damage or reader.damage)[0].message)
    odd_lines = [d for d in reader.damage if d.kind == "odd_lines"]
    if odd_lines:  # not cut: lines that end in CR CR LF (a text-mode copy reads only until warcio loses its way)
        counts["odd_line_files"] += 1
        logger.warning("%s: %s", reader.source.label(), odd_lines[-1].message)


# -- the sites' tdmrep.json, as archived -----------------------------------------------------

#: Redirects followed from an origin's tdmrep.json to where it was answered.
MAX_TDMREP_REDIRECTS = 5


@dataclass(frozen=True)
class _TdmRepCapture:
    when: datetime
    status: int
    location: str  # a redirect's Location, resolved
    payload_digest: str
    body: bytes | None  # None: a revisit record, whose payload is its original's


class ArchivedTdmRep:
    """The ``/.well-known/tdmrep.json`` responses archived among a set of WARCs, by URL.

    The crawl fetches an origin's file once, after the origin's first article, so it may
    sit after that article or in a later WARC: :meth:`scan` reads them all first (a pass
    that reads only record heads, and the bodies of URLs ending in ``tdmrep.json``).
    For a page, :meth:`site_file` takes the capture of its origin's file nearest in time,
    follows its redirects among the captures, and reads a revisit's payload from the
    capture it repeats. None when the WARCs hold no answer (never fetched, disallowed by
    robots.txt, or its capture is elsewhere): the row's ``tdm_file`` is then null, as in a
    crawl that did not fetch it.
    """

    def __init__(self, captures: dict[str, list[_TdmRepCapture]]):
        self.captures = captures
        self.bodies = {c.payload_digest: c.body for cs in captures.values() for c in cs if c.body is not None}

    @classmethod
    def scan(cls, warcs: Iterable[ArchiveFile], counts: Counter[str]) -> ArchivedTdmRep:
        """Every tdmrep.json response and revisit in ``warcs``; unreadable ones counted ``tdmrep_unreadable``."""
        captures: dict[str, list[_TdmRepCapture]] = {}
        for source in warcs:
            reader = ArchiveReader(source, arc2warc=True)
            for item in reader:
                record = item.record
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                if record.rec_type not in ("response", "revisit") or record.http_headers is None \
                        or not url.endswith("tdmrep.json"):
                    continue
                capture = cls._capture(record, url)
                if reader.finish(item) or not item.whole or capture is None:
                    counts["tdmrep_unreadable"] += 1
                    continue
                captures.setdefault(url, []).append(capture)
        return cls(captures)

    @staticmethod
    def _capture(record: ArcWarcRecord, url: str) -> _TdmRepCapture | None:
        assert record.http_headers is not None
        body = None
        if record.rec_type == "response":
            try:
                body = decode_body(_entity_body(record).read(MAX_TDMREP_BYTES + 1), _content_encoding(record),
                                   MAX_TDMREP_BYTES)
            except (TooLarge, DecodeError, zlib.error, OSError, EOFError):
                return None
        try:
            status = int(record.http_headers.get_statuscode() or 0)
            when = datetime.fromisoformat(record.rec_headers.get_header("WARC-Date") or "")
        except ValueError:
            return None
        location = record.http_headers.get_header("Location") or ""
        return _TdmRepCapture(when, status, urljoin(url, location) if location else "",
                              record.rec_headers.get_header("WARC-Payload-Digest") or "", body)

    def site_file(self, url: str, warc_date: str) -> TdmRepFile | None:
        """The tdmrep.json of ``url``'s origin as archived nearest to ``warc_date``, or None."""
        try:
            target = origin_of(url) + TDMREP_PATH
            when = datetime.fromisoformat(warc_date)
        except ValueError:
            return None
        for _ in range(MAX_TDMREP_REDIRECTS + 1):
            captures = self.captures.get(target)
            if not captures:
                return None
            capture = min(captures, key=lambda c: abs((c.when - when).total_seconds()))
            if capture.location and 300 <= capture.status < 400:
                target = capture.location
                continue
            body = capture.body if capture.body is not None else self.bodies.get(capture.payload_digest)
            return None if body is None else read_tdmrep_file(capture.status, body, target)
        return None


# -- extraction in worker processes --------------------------------------------------------


def extract_batch(jobs: list[HtmlRecord], options: ExtractionOptions) -> list[Article | str | None]:
    """Run in a worker: an Article, None (not an article) or an error message per job."""
    from w3lib.encoding import html_to_unicode

    from scraper.extract.charset import page_text

    results: list[Article | str | None] = []
    for job in jobs:
        try:
            encoding, text = html_to_unicode(job.content_type, job.html)
            results.append(extract_article(page_text(job.html, text, encoding).text, job.url, options))
        except Exception as error:  # a page that breaks the extractor is counted, not fatal
            results.append(f"{type(error).__name__}: {error}")
    return results


def batches(jobs: Iterable[HtmlRecord]) -> Iterator[list[HtmlRecord]]:
    batch: list[HtmlRecord] = []
    size = 0
    for job in jobs:
        batch.append(job)
        size += len(job.html)
        if len(batch) >= BATCH_RECORDS or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


# -- output ----------------------------------------------------------------------------------


class _Outputs:
    """The text and WET files made from one source WARC, opened on the first article."""

    def __init__(self, dest: Path, source: ArchiveFile, extractor: str, gzip_level: int):
        self.dest = dest
        self.source = source
        self.extractor = extractor
        self.gzip_level = gzip_level
        stem = warc_stem(source.name)
        self.text_path = dest / "text" / f"{stem}.jsonl.gz"
        self.wet_path = dest / "wet" / f"{stem}.warc.wet.gz"
        self._text: IO[bytes] | None = None
        self._wet_file: IO[bytes] | None = None
        self._wet: WetWriter | None = None
        self.rows = 0

    def _open(self) -> None:
        for path in (self.text_path, self.wet_path):
            path.parent.mkdir(parents=True, exist_ok=True)
        self._text = open(self.text_path.with_name(self.text_path.name + ".open"), "wb")
        self._wet_file = open(self.wet_path.with_name(self.wet_path.name + ".open"), "wb")
        fields = wet_fields(self.dest.name, self.source.name, self.extractor)
        self._wet = WetWriter(self._wet_file, self.wet_path.name, fields, gzip_level=self.gzip_level)

    def write(self, row: dict[str, Any]) -> None:
        if self._text is None:
            self._open()
        assert self._text is not None and self._wet is not None
        self._text.write(text_row_bytes(row, self.gzip_level))
        self._wet.write_row(row)
        self.rows += 1

    def close(self, *, complete: bool = True) -> list[Path]:
        """Finish the files, renamed into place when ``complete`` (else left as ``.open``).

        Nothing is written for a WARC without articles.
        """
        done = []
        for file, path in ((self._text, self.text_path), (self._wet_file, self.wet_path)):
            if file is None:
                continue
            file.flush()
            os.fsync(file.fileno())
            file.close()
            if complete:
                os.replace(path.with_name(path.name + ".open"), path)
                done.append(path)
        return done


# -- the run ---------------------------------------------------------------------------------


def _record_result(job: HtmlRecord, result: Article | str | None, outputs: _Outputs, extractor: str,
                   counts: Counter[str], sites: ArchivedTdmRep) -> None:
    if isinstance(result, str):
        counts["extract_errors"] += 1
        logger.warning("Extraction failed for %s (%s:%d): %s", job.url, job.warc_filename, job.warc_offset, result)
    elif result is None:
        counts["not_article"] += 1
    else:
        counts["articles"] += 1
        article = result.as_dict()
        site = sites.site_file(job.url, job.warc_date)
        article["rights"] = merge_rights(article["rights"], job.rights_headers, url=job.url, site=site)
        outputs.write(text_row(job.url, article, job, extractor))


@dataclass
class _Sent:
    """Pages of one WARC given to the workers as one job, in record order."""

    pages: list[HtmlRecord]
    job: Job
    alone: bool = False  # sent alone after its batch failed: a second failure is final

    def resend(self) -> bool:
        """Whether its pages go out again one at a time: its batch ran past the deadline or
        lost its worker, and one of them alone may not."""
        error = self.job.exception()
        if self.alone or not isinstance(error, (ExtractionTimeout, WorkerDied)):
            return False
        return len(self.pages) > 1 or isinstance(error, WorkerDied)  # one page past the deadline had its chance


def _write_sent(sent: _Sent, outputs: _Outputs, counts: Counter[str], sites: ArchivedTdmRep) -> None:
    error = sent.job.exception()
    if error is None:
        for job, result in zip(sent.pages, sent.job.result(), strict=True):
            _record_result(job, result, outputs, outputs.extractor, counts, sites)
        return
    if not isinstance(error, (ExtractionTimeout, WorkerDied)):  # extract_batch answers for every page: a bug
        raise error
    (page,) = sent.pages  # a batch that failed was sent again, a page at a time
    if isinstance(error, ExtractionTimeout):
        counts["extract_timeouts"] += 1
        logger.warning("Extraction of %s (%s:%d) skipped: %s", page.url, page.warc_filename, page.warc_offset, error)
    else:
        counts["extract_crashes"] += 1
        logger.warning("Extraction of %s (%s:%d) skipped after two tries: %s", page.url, page.warc_filename,
                       page.warc_offset, error)


def _reextract_file(path: ArchiveFile, pool: BlockingPool, outputs: _Outputs, options: ExtractionOptions,
                    counts: Counter[str], sites: ArchivedTdmRep, *, max_pending: int, timeout: float,
                    max_bytes: int) -> None:
    """Stream one WARC through the workers; results are written in record order.

    A batch has ``timeout`` seconds, one page's deadline, for all its pages: it holds no
    more than about the bytes of one page under the crawl's size cap, and pages take less
    time together than one page of their total size (extraction time grows faster than
    size). A batch past it, or whose worker died, is sent again one page at a time, each
    with the deadline: a hanging page costs about two deadlines, whatever its batch, and
    only that page is skipped.
    """
    pending: list[_Sent] = []

    def send(pages: list[HtmlRecord], *, alone: bool = False) -> _Sent:
        return _Sent(pages, pool.submit(extract_batch, pages, options, timeout=timeout), alone)

    def settle() -> None:
        nonlocal pending
        settled: list[_Sent] = []
        for sent in pending:
            if not (sent.job.done and sent.resend()):
                settled.append(sent)
                continue
            first, error = sent.pages[0], sent.job.exception()
            # a death is news (the kernel's OOM killer, a crash); a page past the deadline is logged alone
            logger.log(logging.WARNING if isinstance(error, WorkerDied) else logging.INFO,
                       "Sending %d pages of %s from offset %d again one at a time: %s", len(sent.pages),
                       first.warc_filename, first.warc_offset, error)
            settled += [send([page], alone=True) for page in sent.pages]
        pending = settled
        while pending and pending[0].job.done:
            _write_sent(pending.pop(0), outputs, counts, sites)

    for pages in batches(html_records(path, counts, max_bytes=max_bytes)):
        while len(pending) >= max_pending:
            pool.wait()
            settle()
        pending.append(send(pages))
    while pending:
        pool.wait()
        settle()


def reextract(source: Path, dest: Path, *, options: ExtractionOptions, workers: int = 0, gzip_level: int,
              extract_timeout: float = 0, max_extract_bytes: int = 0) -> ReextractResult:
    """Re-extract every WARC under ``source`` into ``dest`` (``text/``, ``wet/``, ``manifest.json``).

    ``workers``: extraction processes (0: one per core). ``extract_timeout``: seconds one
    page's extraction may take (0: no deadline; the crawl's ``ARCHIVE_EXTRACT_TIMEOUT``);
    past it the page's worker is killed and replaced and the page is skipped, counted
    ``extract_timeouts``. A page whose worker dies twice is skipped, counted
    ``extract_crashes``; ``worker_restarts`` counts the workers replaced.
    ``max_extract_bytes``: a page decoding to more bytes is skipped, counted ``too_large``
    (0: no cap below :data:`MAX_HTML_BYTES`; the crawl's ``ARCHIVE_MAX_EXTRACT_BYTES``).

    Raises ``FileExistsError`` if ``dest`` holds a re-extraction already, what
    :func:`find_warcs` raises, and :class:`WorkerDied` if workers keep dying with no page
    answered in between (the extractor itself broken): the files written until then stay
    ``.open``, and no manifest is written.
    """
    warcs = find_warcs(source)
    if (dest / "manifest.json").exists():
        raise FileExistsError(f"{dest} already holds a re-extraction (manifest.json)")
    dest.mkdir(parents=True, exist_ok=True)
    extractor = extractor_name()
    result = ReextractResult()
    started = datetime.now(timezone.utc)
    clock = time.monotonic()
    workers = workers or os.cpu_count() or 1
    written: list[Path] = []
    pool = BlockingPool(workers, start_extraction_server())
    try:
        sites = ArchivedTdmRep.scan(warcs, result.counts)
        for path in warcs:
            outputs = _Outputs(dest, path, extractor, gzip_level)
            before = result.counts["articles"]
            try:
                _reextract_file(path, pool, outputs, options, result.counts, sites, max_pending=2 * workers,
                                timeout=extract_timeout, max_bytes=max_extract_bytes or MAX_HTML_BYTES)
            except BaseException:
                outputs.close(complete=False)  # an interrupted file stays .open, as in a crawl
                raise
            written += outputs.close()
            result.counts["warc_files"] += 1
            logger.info("%s: %d articles", path.name, result.counts["articles"] - before)
        if pool.restarts:
            result.counts["worker_restarts"] = pool.restarts
    finally:
        pool.close()
    result.seconds = time.monotonic() - clock
    result.files = [p.relative_to(dest).as_posix() for p in written]
    write_manifest(dest, source, extractor, options, result, started, written)
    return result


def write_manifest(dest: Path, source: Path, extractor: str, options: ExtractionOptions, result: ReextractResult,
                   started: datetime, written: list[Path]) -> None:
    """``manifest.json`` of the re-extraction, written last (as a crawl's)."""
    document = {
        "source": str(source),
        "extractor": extractor,
        "options": dataclasses.asdict(options),
        "start_time": started.isoformat(),
        "end_time": datetime.now(timezone.utc).isoformat(),
        "seconds": round(result.seconds, 3),
        "counts": dict(sorted(result.counts.items())),
        "files": [completed_file(dest, path).manifest_entry() for path in sorted(written)],
    }
    data = json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    write_atomically(dest / MANIFEST_NAME, data)

