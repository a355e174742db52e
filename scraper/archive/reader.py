"""One guarded loop over the records of a WARC or ARC file (gzip or plain), with offsets.

warcio parses; this module decides what its failures mean. A file cut or damaged
anywhere is reported as :class:`Damage` (what, where), in one shape for every caller:
``scrapy verify`` names each one as a fault, ``scrapy reextract`` counts them. Only
warcio's reading is guarded: an error in the caller's code is a bug, not damage.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from scraper.archive.warc import PayloadDigester, is_chunked, parse_digest

__all__ = ["FILE_DAMAGE", "PARSE_ERRORS", "READ_ERRORS", "RECORD_DAMAGE", "ArchiveReader", "Damage", "ReadRecord"]

READ_BLOCK = 1 << 20
#: What a cut or corrupt gzip/WARC file raises while being read.
READ_ERRORS = (ArchiveLoadFailed, EOFError, OSError, zlib.error, ValueError)
#: What warcio raises on a damaged file, besides read errors: a WARC header block cut
#: short reaches its HTTP parser without a target URI.
PARSE_ERRORS = (*READ_ERRORS, AttributeError)

#: Damage to one record read: its head or block cut by the end of the file, its gzip
#: member cut short, or a digest that does not match.
RECORD_DAMAGE = ("cut_head", "cut_block", "cut_gzip", "digest")
#: Damage to the file: warcio stops (``unreadable``), nothing readable, or what follows
#: the last whole record is not a record (``tail``) or not its closing CRLF CRLF.
FILE_DAMAGE = ("unreadable", "no_records", "tail", "no_closing")


@dataclass(frozen=True)
class Damage:
    """One fault found while reading a file: its kind (one of :data:`RECORD_DAMAGE` or
    :data:`FILE_DAMAGE`), the offset of the record it concerns, and a sentence for people."""

    kind: str
    offset: int
    message: str


@dataclass
class ReadRecord:
    """A record as the reader yields it: warcio's record and where it starts in the file.

    ``damage`` and ``length`` (bytes in the file) are known once the record is finished
    (:meth:`ArchiveReader.finish`), which the reader does before it reads the next one.
    """

    offset: int
    record: ArcWarcRecord
    block: Any  # warcio's reader limited to the record's Content-Length, before any caller wraps it
    damage: list[Damage] = field(default_factory=list)
    length: int = 0
    digests_checked: bool = False
    legacy_payload_digest: bool = False  # the declared digest covers the chunk framing (older writers)
    digester: PayloadDigester | None = None
    finished: bool = False

    @property
    def whole(self) -> bool:
        """Read whole: not cut (a digest mismatch is damage, but the record is all there)."""
        return not any(d.kind in ("cut_head", "cut_block", "cut_gzip") for d in self.damage)


def _payload_digester(record: ArcWarcRecord) -> PayloadDigester | None:
    """Our own payload digest for an HTTP record that claims one: warcio's covers chunk framing."""
    declared = parse_digest(record.rec_headers.get_header("WARC-Payload-Digest") or "")
    if record.http_headers is None or declared is None:
        return None
    return PayloadDigester(is_chunked(record.http_headers), algorithm=declared[0], legacy=True)


class ArchiveReader:
    """Streams the records of one WARC or ARC file, gzip or plain; collects its damage.

    Iterate for :class:`ReadRecord`; a record may be read by the caller (its
    ``content_stream()``), then it is drained to its end by :meth:`finish` (called by the
    caller when it must know the record is whole before using it, else by the loop).
    Everything found is in :attr:`damage`, in file order; the loop ends at the first
    damage that stops warcio. ``check_digests`` checks the block digest as ``warcio
    check`` does and the payload digest as WARC 1.1 defines it (de-chunked; a digest
    over the chunk framing is ``legacy_payload_digest``, not damage): the caller then
    must not read the record before it is finished. ``arc2warc`` gives ARC records WARC
    headers.
    """

    def __init__(self, path: Path, *, check_digests: bool = False, arc2warc: bool = False):
        self.path = Path(path)
        self.check_digests = check_digests
        self.arc2warc = arc2warc
        self.damage: list[Damage] = []
        self.records = 0
        self._iterator: ArchiveIterator | None = None
        self._stopped = False

    def __iter__(self) -> Iterator[ReadRecord]:
        with open(self.path, "rb") as f:
            yield from self._records(f)

    def _records(self, f: IO[bytes]) -> Iterator[ReadRecord]:
        iterator = self._iterator = ArchiveIterator(f, check_digests=self.check_digests, arc2warc=self.arc2warc)
        records = iter(iterator)
        last: ReadRecord | None = None
        while True:
            try:
                record = next(records, None)
            except PARSE_ERRORS as error:
                self._stop(last.offset if last else 0, error)
                return
            if record is None:
                break
            item = ReadRecord(iterator.offset, record, record.raw_stream)
            if self.check_digests:
                item.digester = _payload_digester(record)
            self.records += 1
            yield item
            self.finish(item)
            if self._stopped:
                return
            last = item
        if last is None:
            self.damage.append(Damage("no_records", 0, "holds no readable WARC record"))
            return
        f.seek(0)
        compressed = f.read(2) == b"\x1f\x8b"
        f.seek(last.offset + last.length)
        self._tail(f.read(READ_BLOCK), compressed=compressed, offset=last.offset)

    def finish(self, item: ReadRecord) -> list[Damage]:
        """Read ``item`` to its end (guarded) and return its damage; safe to call twice."""
        if item.finished:
            return item.damage
        item.finished = True
        assert self._iterator is not None
        try:
            while block := item.block.read(READ_BLOCK):
                if item.digester is not None:
                    item.digester.update(block)
            item.length = self._iterator.get_record_length()
        except PARSE_ERRORS as error:
            self._stop(item.offset, error)
            return item.damage
        decompressor = self._iterator.reader.decompressor
        item.damage = self._record_damage(item, gzip_cut=decompressor is not None and not decompressor.eof)
        self.damage += item.damage
        return item.damage

    def _stop(self, offset: int, error: BaseException) -> None:
        self._stopped = True
        self.damage.append(Damage("unreadable", offset, f"unreadable after offset {offset}: {error!r}"))

    def _record_damage(self, item: ReadRecord, *, gzip_cut: bool) -> list[Damage]:
        record, offset = item.record, item.offset
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        if record.length is None:  # warcio yields a header block cut short as a record without one
            return [Damage("cut_head", offset,
                           f"record at offset {offset} has no Content-Length: its headers are cut or damaged")]
        found = []
        missing = getattr(item.block, "limit", 0)
        if missing:  # the file ends inside this record: warcio stops without a word
            found.append(Damage("cut_block", offset, f"record {record_id} at offset {offset} is cut short: "
                                                     f"{missing} bytes of its block are missing"))
        checker = record.digest_checker
        problems = list(checker.problems)
        digester = item.digester
        if digester is not None:  # warcio's word on the payload is replaced by ours (it digests the framing)
            problems = [problem for problem in problems if not problem.startswith("payload digest failed")]
            declared = record.rec_headers.get_header("WARC-Payload-Digest") or ""
            match = digester.match(declared)
            if match == "legacy":
                item.legacy_payload_digest = True
            elif match is None:
                problems.append(f"payload digest failed: {declared} declared, the payload's is {digester.label()}")
        if problems:
            found += [Damage("digest", offset, f"record {record_id} at offset {offset}: {problem}")
                      for problem in problems]
        elif checker.passed is not None or digester is not None:
            item.digests_checked = True
        if gzip_cut:
            found.append(Damage("cut_gzip", offset, f"the gzip member of the record at offset {offset} is cut short"))
        return found

    def _tail(self, tail: bytes, *, compressed: bool, offset: int) -> None:
        """What follows the last whole record: nothing (gzip), or its closing CRLF CRLF."""
        if tail.strip(b"\r\n"):  # warcio ends quietly at a record whose headers are cut
            self.damage.append(Damage("tail", offset, f"bytes after the last whole record (at offset {offset}) "
                                                      "are not a record: the file is cut or damaged"))
        elif not compressed and tail != b"\r\n\r\n":
            self.damage.append(Damage("no_closing", offset, f"the last record (at offset {offset}) lacks its "
                                                            "closing CRLF CRLF: the file is cut"))
