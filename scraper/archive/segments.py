"""The files of one crawl: WARC segments rotated by size, text and WET segments beside them.

A :class:`CrawlArchive` writes into a local crawl folder (the archive itself, or a
spool for remote storage). Files are written under a ``.open`` suffix, hashed as they
are written, and renamed when complete. It is synchronous and single-threaded: the
Scrapy glue calls it from one writer thread. It knows nothing of Scrapy or S3.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from warcio.statusandheaders import StatusAndHeaders

from scraper.archive import warc
from scraper.archive.cdxj import cdxj_line, index_name
from scraper.archive.manifest import CompletedFile
from scraper.archive.textrows import text_row_bytes
from scraper.archive.wet import WetWriter, wet_fields
from scraper.files import fsync_folder, open_path

__all__ = [
    "CrawlArchive",
    "Deriver",
    "ResponseLocation",
    "SegmentFile",
]

class Deriver(Protocol):
    """Makes files from finished ones: an index per WARC, WET per text segment, a package.

    Called in a thread of its own, one file at a time in completion order, so indexing
    a large segment never holds up the WARC writer. Returns the paths it wrote inside
    the crawl folder; they are hashed, listed in the manifest and stored like every
    other file. ``crawl_completed`` comes last, with every file made before it.
    """

    def file_completed(self, crawl_dir: Path, completed: CompletedFile) -> list[Path]: ...

    def crawl_completed(self, crawl_dir: Path, files: list[CompletedFile]) -> list[Path]: ...


@dataclass(frozen=True)
class ResponseLocation:
    """Where the response record of one exchange lives: what a text row points at."""

    warc_filename: str
    warc_offset: int
    warc_length: int
    warc_record_id: str
    payload_digest: str
    warc_date: str
    #: ``WARC-Profile`` when the record is a ``revisit`` (warc.IDENTICAL_PAYLOAD_DIGEST or
    #: warc.SERVER_NOT_MODIFIED), None for a ``response`` record with the payload.
    revisit_profile: str | None = None


class SegmentFile:
    """A file written under ``.open`` in single writes, hashed, renamed on close."""

    def __init__(self, final_path: Path):
        self.final_path = final_path
        self.open_path = open_path(final_path)
        final_path.parent.mkdir(parents=True, exist_ok=True)
        # Unbuffered: every record reaches the OS in one write, so a killed process
        # leaves whole records behind, not a half-filled buffer.
        self._file = open(self.open_path, "xb", buffering=0)
        self._sha256 = hashlib.sha256()
        self.size = 0
        #: True when a failed write could not be cut back: never renamed complete.
        self.damaged = False

    def write(self, data: bytes) -> int:
        """File-object style :meth:`append`: returns the number of bytes written."""
        self.append(data)
        return len(data)

    def append(self, data: bytes) -> int:
        """Append ``data``; return the offset it starts at.

        A write that fails (``OSError``: a full disk, ``ENOSPC``; a file size limit,
        ``EFBIG``) is undone before the error is raised: the file is cut back to its
        size before the call, so it still ends at its last complete record and the
        next offset is the one it would have been. If even that cut fails, the file is
        marked damaged (:attr:`damaged`) and :meth:`close` refuses to call it complete.
        """
        if self.damaged:
            raise OSError(f"{self.open_path} is damaged: an earlier write could not be undone")
        offset = self.size
        view = memoryview(data)
        try:
            while view:
                written = self._file.write(view)
                view = view[written or 0 :]
        except OSError:
            self._cut_back(offset)
            raise
        self._sha256.update(data)
        self.size += len(data)
        return offset

    def _cut_back(self, size: int) -> None:
        try:
            os.ftruncate(self._file.fileno(), size)
            self._file.seek(size)
        except OSError:
            self.damaged = True

    def abandon(self) -> None:
        """Close the file and leave it under ``.open`` (a crawl stopped by a write error):
        the next run of the crawl seals it (:mod:`scraper.archive.recovery`)."""
        self._file.close()

    def close(self, crawl_dir: Path) -> CompletedFile:
        if self.damaged:
            self.abandon()
            raise OSError(f"{self.open_path} is damaged: left open, not renamed complete")
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self.open_path, self.final_path)
        fsync_folder(self.final_path.parent)
        relpath = self.final_path.relative_to(crawl_dir).as_posix()
        return CompletedFile(self.final_path, relpath, self.size, self._sha256.hexdigest())


class CrawlArchive:
    """WARC and text segments of one crawl, rotated together by WARC size.

    ``first_serial`` numbers the first segment (a resumed crawl starts after the segments
    its earlier run left, :func:`scraper.archive.recovery.last_serial`). ``stem_prefix``
    starts every file name (default: the crawl id; ``<crawl id>-<worker id>`` for one worker
    of a crawl shared by many processes, so their files never collide)."""

    def __init__(
        self,
        crawl_dir: Path,
        crawl_id: str,
        *,
        warcinfo_fields: list[tuple[str, str]],
        max_warc_bytes: int,
        gzip_level: int,
        on_file_completed: Callable[[CompletedFile], None] | None = None,
        write_wet: bool = True,
        first_serial: int = 1,
        stem_prefix: str = "",
    ):
        self.crawl_dir = crawl_dir
        self.crawl_id = crawl_id
        self.stem_prefix = stem_prefix or crawl_id
        self.warcinfo_fields = warcinfo_fields
        self.max_warc_bytes = max_warc_bytes
        self.gzip_level = warc.check_gzip_level(gzip_level)
        self.on_file_completed = on_file_completed
        # CDXJ lines of the open segment, made as its records are written; None when a
        # record needs what only cdxj-indexer does (a POST or PUT), so it indexes the file.
        self._index_lines: list[str] | None = None  # started by _open_warc
        self.completed: list[CompletedFile] = []
        self._serial = first_serial - 1  # a resumed crawl goes on after its last segment
        self._warc: SegmentFile | None = None
        self._warcinfo_id: str | None = None
        self._text: SegmentFile | None = None
        # WET conversion records of the text rows, written with them (wet/<stem>.warc.wet.gz)
        self.write_wet = write_wet
        self._wet: SegmentFile | None = None
        self._wet_writer: WetWriter | None = None
        self._closed = False

    # -- segments ---------------------------------------------------------------

    def _segment_stem(self) -> str:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        return f"{self.stem_prefix}-{stamp}-{self._serial:05d}"

    def _open_warc(self) -> SegmentFile:
        self._serial += 1
        self._stem = self._segment_stem()
        segment = SegmentFile(self.crawl_dir / "warc" / f"{self._stem}.warc.gz")
        info = warc.warcinfo_record(segment.final_path.name, self.warcinfo_fields)
        segment.append(warc.gzip_member(info.to_bytes(), self.gzip_level))
        self._warcinfo_id = info.record_id
        self._index_lines = []
        self._warc = segment
        return segment

    def _current_warc(self) -> SegmentFile:
        if self._closed:
            raise RuntimeError("the crawl archive is closed")
        if self._warc is not None and self._warc.size >= self.max_warc_bytes:
            self._close_segments()
        return self._warc or self._open_warc()

    def _finish(self, segment: SegmentFile) -> None:
        self._register(segment.close(self.crawl_dir))

    def _register(self, done: CompletedFile) -> None:
        self.completed.append(done)
        if self.on_file_completed is not None:
            self.on_file_completed(done)

    def _write_index(self, warc_name: str) -> CompletedFile | None:
        if not self._index_lines:
            return None
        index = SegmentFile(self.crawl_dir / "indexes" / index_name(warc_name))
        index.append("".join(sorted(self._index_lines)).encode("utf-8"))
        return index.close(self.crawl_dir)

    def _close_segments(self) -> None:
        if self._warc is not None:
            done = self._warc.close(self.crawl_dir)
            index = self._write_index(done.path.name)  # before the WARC is announced
            self._register(done)
            if index is not None:
                self._register(index)
            self._warc = None
        if self._text is not None:
            self._finish(self._text)
            self._text = None
        if self._wet is not None:
            self._finish(self._wet)
            self._wet, self._wet_writer = None, None

    # -- records ----------------------------------------------------------------

    def write_exchange(
        self,
        target_uri: str,
        http_response: bytes,
        http_request: bytes | None,
        *,
        date: str,
        ip_address: str | None = None,
        truncated: str | None = None,
        refers_to: warc.RefersTo | None = None,
    ) -> ResponseLocation:
        """Write the response record and, when known, its request record.

        ``truncated``: why ``http_response`` is incomplete (``WARC-Truncated``), if it is.
        Interim (1xx) responses before the final one go in a metadata record beside it
        (:func:`~scraper.archive.warc.interim_responses_record`).
        ``refers_to``: the last capture of the URL, when there is one: a ``304`` is then
        written as a ``revisit`` record (server-not-modified), and so is a whole response
        whose payload digest is that capture's (identical-payload-digest), without its body."""
        segment = self._current_warc()
        interims, http_response = warc.split_interim_responses(http_response)
        response_head, payload_offset = warc.parse_http_head(http_response)  # once: digest and index
        digest = warc.payload_digest(http_response, payload_offset, response_head)
        profile = None
        if refers_to is not None and truncated is None:
            if response_head.get_statuscode() == "304":
                profile = warc.SERVER_NOT_MODIFIED
            elif digest == refers_to.payload_digest:
                profile = warc.IDENTICAL_PAYLOAD_DIGEST
        if profile is not None:
            assert refers_to is not None
            response = warc.revisit_record(
                target_uri, http_response, profile=profile, refers_to=refers_to, date=date, ip_address=ip_address,
                warcinfo_id=self._warcinfo_id, payload_offset=payload_offset,
            )
        else:
            response = warc.response_record(
                target_uri, http_response, date=date, ip_address=ip_address, warcinfo_id=self._warcinfo_id,
                payload_offset=payload_offset, head=response_head, truncated=truncated, digest=digest,
            )
        member = warc.gzip_member(response.to_bytes(), self.gzip_level)
        members = [member]
        if http_request is not None:
            request = warc.request_record(
                target_uri, http_request, date=date, concurrent_to=response.record_id,
                warcinfo_id=self._warcinfo_id,
            )
            members.append(warc.gzip_member(request.to_bytes(), self.gzip_level))
        if interims:
            interim = warc.interim_responses_record(
                target_uri, interims, date=date, concurrent_to=response.record_id, warcinfo_id=self._warcinfo_id,
            )
            members.append(warc.gzip_member(interim.to_bytes(), self.gzip_level))
        # The exchange's records in one append: a write that fails is undone whole, never
        # leaving a response without its request record.
        offset = segment.append(b"".join(members))
        if self._index_lines is not None:
            self._index(target_uri, date, response_head, http_request, response, segment, offset, member)
        return ResponseLocation(
            warc_filename=segment.final_path.name,
            warc_offset=offset,
            warc_length=len(member),
            warc_record_id=response.record_id,
            payload_digest=response.header("WARC-Payload-Digest") or "",
            warc_date=date,
            revisit_profile=profile,
        )

    def _index(self, target_uri: str, date: str, response_head: StatusAndHeaders, http_request: bytes | None,
               response: warc.WarcRecord, segment: SegmentFile, offset: int, member: bytes) -> None:
        assert self._index_lines is not None
        referrer = None
        if http_request is not None:
            request_head, _ = warc.parse_http_head(http_request)
            if request_head.protocol.upper() in ("POST", "PUT"):  # cdxj-indexer adds the body to the key
                self._index_lines = None
                return
            referrer = request_head.get_header("Referer")
        self._index_lines.append(cdxj_line(
            target_uri, date, response_head, response.header("WARC-Payload-Digest") or "",
            offset=offset, length=len(member), filename=segment.final_path.name,
            record_digest="sha256:" + hashlib.sha256(member).hexdigest(), referrer=referrer,
            revisit=response.header("WARC-Type") == "revisit",
        ))

    def write_text_row(self, row: dict[str, Any]) -> None:
        """Append one clean-text row to the text segment of the current WARC, and its
        conversion record to the WET segment beside it."""
        self._current_warc()
        if self._text is None:
            self._text = SegmentFile(self.crawl_dir / "text" / f"{self._stem}.jsonl.gz")
        self._text.append(text_row_bytes(row, self.gzip_level))
        if not self.write_wet:
            return
        if self._wet_writer is None:
            self._wet = SegmentFile(self.crawl_dir / "wet" / f"{self._stem}.warc.wet.gz")
            fields = wet_fields(self.crawl_id, f"text/{self._stem}.jsonl.gz", str(row.get("extractor") or ""))
            self._wet_writer = WetWriter(self._wet, self._wet.final_path.name, fields, gzip_level=self.gzip_level)
        self._wet_writer.write_row(row)

    def abandon(self) -> None:
        """Stop writing and leave the open segments under ``.open``, not renamed complete:
        what a crawl stopped by a write error does. Its next run seals and resumes them."""
        if not self._closed:
            for segment in (self._warc, self._text, self._wet):
                if segment is not None:
                    segment.abandon()
            self._warc = self._text = self._wet = None
            self._wet_writer = None
            self._closed = True

    def close(self) -> list[CompletedFile]:
        """Finish the open segments; return every file this archive completed."""
        if not self._closed:
            self._close_segments()
            self._closed = True
        return list(self.completed)
