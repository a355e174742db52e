"""What a stopped or killed crawl left in its folder, made whole so the crawl can go on.

A crawl killed mid-way (SIGKILL, power loss) leaves its open segments under ``.open``:
complete records, and perhaps a last record torn by the kill. :func:`seal_open_files`
cuts each such file back to its last complete record and renames it complete, saying
what it cut; :func:`archived_responses` and :func:`rows_written` tell the resumed crawl
what it need not fetch or extract again; :func:`last_serial` where the segment numbering
goes on. Nothing here knows of Scrapy; the crawl's glue decides when to call it.
"""

from __future__ import annotations

import logging
import os
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from scraper.archive.reader import ArchiveReader
from scraper.archive.segments import ResponseLocation
from scraper.archive.textrows import read_text_rows
from scraper.archive.warc import Dechunker, is_chunked
from scraper.files import OPEN_SUFFIX, fsync_folder

__all__ = [
    "ArchivedResponse", "ResumeState", "SealedFile", "archived_responses", "gzip_members_end", "last_serial",
    "read_http_record", "rows_written", "seal_open_files",
]

logger = logging.getLogger(__name__)

#: The segment folders whose files are written record by record (an index is written whole).
RECORD_FOLDERS = ("warc", "text", "wet")
#: ``<crawl_id>-<YYYYmmddHHMMSS>-<serial>.<suffixes>``: the serial of a segment's name.
_SERIAL = re.compile(r"-\d{14}-(\d+)\.")
#: HTTP statuses a resumed crawl fetches again rather than taking from its own archive:
#: an answer the crawl's retry middleware would have tried again (the kill came first).
RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 522, 524})


@dataclass(frozen=True)
class SealedFile:
    """An ``.open`` file made complete: its final path, what was kept and what was cut off."""

    path: Path
    kept_bytes: int
    cut_bytes: int
    records: int


@dataclass(frozen=True)
class ArchivedResponse:
    """The response record of a URL in the crawl's own WARCs: where it is, what it said."""

    warc_path: Path
    offset: int
    length: int  # bytes of the record in the file (its gzip member)
    record_id: str
    date: str
    status: int
    payload_digest: str

    @property
    def location(self) -> ResponseLocation:
        """Where a text row of this response points."""
        return ResponseLocation(self.warc_path.name, self.offset, self.length, self.record_id, self.payload_digest,
                                self.date)

    def read(self) -> tuple[StatusAndHeaders, bytes]:
        """The HTTP head and the body of the record, de-chunked (a content coding stays, as it came)."""
        with open(self.warc_path, "rb") as f:
            f.seek(self.offset)
            return read_http_record(f)


def read_http_record(stream: IO[bytes]) -> tuple[StatusAndHeaders, bytes]:
    """The HTTP head and body of the WARC record ``stream`` starts at (a file sought to a
    record's offset, or a ranged GET of it), de-chunked; a content coding stays, as it came.

    Reads that one record and no further. Raises ``ValueError`` if the record there has no
    HTTP head (a warcinfo or metadata record), warcio's errors if it is no WARC record.
    """
    record = next(iter(ArchiveIterator(stream)))
    if record.http_headers is None:
        raise ValueError(f"the {record.rec_type} record there has no HTTP head")
    digester = Dechunker() if is_chunked(record.http_headers) else None
    body = bytearray()
    while block := record.raw_stream.read(1 << 20):
        if digester is None:
            body += block
        else:
            for piece in digester.feed(block):
                body += piece
    if digester is not None:
        for piece in digester.close():
            body += piece
    return record.http_headers, bytes(body)


def gzip_members_end(path: Path) -> tuple[int, int]:
    """End offset of the last complete gzip member of ``path`` (and how many there are)."""
    end = members = 0
    with open(path, "rb") as f:
        data = f.read()  # text segments hold rows of one crawl segment: small beside their WARC
    position = 0
    while position < len(data):
        decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
        try:
            decompressor.decompress(data[position:])
        except zlib.error:
            break
        if not decompressor.eof:  # cut inside this member
            break
        position = len(data) - len(decompressor.unused_data)
        end, members = position, members + 1
    return end, members


def _whole_records_end(path: Path) -> tuple[int, int]:
    """End offset of the last whole record of a WARC (and how many whole records there are)."""
    end = records = 0
    reader = ArchiveReader(path)
    for item in reader:
        reader.finish(item)
        if not item.whole:
            break
        end, records = item.offset + item.length, records + 1
    return end, records


def seal_open_files(crawl_dir: Path, prefix: str = "") -> list[SealedFile]:
    """Cut every ``.open`` segment of ``crawl_dir`` (whose name starts with ``prefix``) back
    to its last complete record and rename it complete; an ``.open`` index is removed (it is
    made again from its WARC).

    Returns what was sealed, in name order. A file with no complete record is removed.
    Raises ``OSError`` if a file cannot be truncated or renamed.
    """
    sealed = []
    for open_path in sorted(crawl_dir.glob(f"*/{prefix}*{OPEN_SUFFIX}")):
        folder = open_path.parent.name
        final = open_path.with_name(open_path.name[: -len(OPEN_SUFFIX)])
        if folder not in RECORD_FOLDERS:
            logger.info("Removing %s: written whole, it is made again", open_path.relative_to(crawl_dir))
            open_path.unlink()
            continue
        size = open_path.stat().st_size
        end, records = gzip_members_end(open_path) if folder == "text" else _whole_records_end(open_path)
        if not records:
            open_path.unlink()
            logger.warning("Removed %s: no complete record in its %d bytes", open_path.relative_to(crawl_dir), size)
            continue
        if end < size:
            with open(open_path, "r+b") as f:
                f.truncate(end)
                f.flush()
                os.fsync(f.fileno())
            logger.warning("Cut %d bytes of a torn last record off %s", size - end, open_path.relative_to(crawl_dir))
        os.replace(open_path, final)
        fsync_folder(final.parent)
        sealed.append(SealedFile(final, end, size - end, records))
    return sealed


def last_serial(crawl_dir: Path, prefix: str = "") -> int:
    """The highest segment serial among the crawl's WARC files whose name starts with
    ``prefix`` (0 if none)."""
    serials = [int(m.group(1)) for p in crawl_dir.glob(f"warc/{prefix}*") if (m := _SERIAL.search(p.name))]
    return max(serials, default=0)


def archived_responses(warc_paths: Iterable[Path]) -> dict[str, ArchivedResponse]:
    """The last whole, final response record of each URL in ``warc_paths``.

    "Final": not truncated, and not a status the retry middleware would have tried again
    (:data:`RETRIED_STATUSES`): for those the resumed crawl fetches the URL once more.
    """
    found: dict[str, ArchivedResponse] = {}
    for path in warc_paths:
        reader = ArchiveReader(path)
        for item in reader:
            record = item.record
            if record.rec_type != "response" or record.http_headers is None:
                continue
            reader.finish(item)
            headers = record.rec_headers
            status = int(record.http_headers.get_statuscode() or 0)
            if not item.whole or headers.get_header("WARC-Truncated") or status in RETRIED_STATUSES:
                continue
            url = headers.get_header("WARC-Target-URI") or ""
            found[url] = ArchivedResponse(
                path, item.offset, item.length, headers.get_header("WARC-Record-ID") or "",
                headers.get_header("WARC-Date") or "", status, headers.get_header("WARC-Payload-Digest") or "",
            )
    return found


def rows_written(text_paths: Iterable[Path]) -> set[str]:
    """The response record ids that already have a text row."""
    return {row["warc_record_id"] for path in text_paths for row in read_text_rows(path)}


@dataclass
class ResumeState:
    """What a crawl's earlier, unfinished run left, ready for the run that goes on with it."""

    sealed: list[SealedFile]
    earlier_files: list[Path]  # every complete file the earlier runs left (sealed ones included)
    responses: dict[str, ArchivedResponse]  # URL -> its final response in the earlier runs' WARCs
    rows: set[str]  # response record ids that have their text row
    first_serial: int  # of the first segment this run writes

    @classmethod
    def prepare(cls, crawl_dir: Path, prefix: str = "") -> ResumeState | None:
        """Seal what the earlier run left in ``crawl_dir`` and index it; None for a new crawl.

        ``prefix``: only the files whose names start with it (one worker's, of a crawl
        shared by many processes; the others' are theirs to resume). Blocking (it reads the
        earlier runs' WARCs once): call it before fetching starts.
        """
        if not any(crawl_dir.glob(f"warc/{prefix}*")):
            return None
        sealed = seal_open_files(crawl_dir, prefix)
        earlier = sorted(p for p in crawl_dir.glob(f"*/{prefix}*") if p.is_file() and not p.name.endswith(OPEN_SUFFIX))
        warcs = [p for p in earlier if p.parent.name == "warc"]
        return cls(
            sealed=sealed,
            earlier_files=earlier,
            responses=archived_responses(warcs),
            rows=rows_written(p for p in earlier if p.parent.name == "text"),
            first_serial=last_serial(crawl_dir, prefix) + 1,
        )
