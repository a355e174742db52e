"""One guarded loop over the records of a WARC or ARC file (gzip or plain), with offsets.

warcio parses; this module decides what its failures mean. A file cut or damaged
anywhere is reported as :class:`Damage` (what, where), in one shape for every caller:
``scrapy verify`` names each one as a fault, ``scrapy reextract`` counts them. Only
warcio's reading is guarded: an error in the caller's code is a bug, not damage.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from scraper.archive.sources import ArchiveFile
from scraper.archive.warc import PayloadDigester, is_chunked, parse_digest

__all__ = ["CUT", "FILE_DAMAGE", "PARSE_ERRORS", "READ_ERRORS", "RECORD_DAMAGE", "ArchiveReader", "Damage",
           "ReadRecord"]

READ_BLOCK = 1 << 20
#: What a cut or corrupt gzip/WARC file raises while being read.
READ_ERRORS = (ArchiveLoadFailed, EOFError, OSError, zlib.error, ValueError)
#: What warcio raises on a damaged file, besides read errors: a WARC header block cut
#: short reaches its HTTP parser without a target URI.
PARSE_ERRORS = (*READ_ERRORS, AttributeError)

#: Damage to one record read: its head or block cut by the end of the file, its gzip
#: member cut short, warcio stopping inside it, a digest that does not match, a record
#: not followed by its closing blank lines (its Content-Length does not frame it), or
#: lines ending in CR CR LF (a text-mode copy, or a writer's stray CR).
RECORD_DAMAGE = ("cut_head", "cut_block", "cut_gzip", "unreadable_record", "digest", "misframed", "odd_lines")
#: Damage to the file: warcio stops (``unreadable``), nothing readable, or what follows
#: the last whole record is not a record (``tail``) or not its closing blank lines.
FILE_DAMAGE = ("unreadable", "no_records", "tail", "no_closing")
#: Record damage that means the record is not all there.
CUT = ("cut_head", "cut_block", "cut_gzip", "unreadable_record")
#: How much of a record's head is read again to look at its line ends.
HEAD_BYTES = 4096
ODD_LINES = "its lines end in CR CR LF, not CRLF"
#: Why, when the record's lengths or digests no longer fit its bytes, and when they do.
ODD_LINES_COPIED = ("a text-mode copy turned every LF into CRLF: the file is not cut, its lengths and digests "
                    "no longer fit")
ODD_LINES_WRITTEN = "its writer adds a CR to each line: readers that split lines at CRLF keep a CR in every value"


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
        return not any(d.kind in CUT for d in self.damage)


def _payload_digester(record: ArcWarcRecord) -> PayloadDigester | None:
    """Our own payload digest for an HTTP record that claims one: warcio's covers chunk framing."""
    declared = parse_digest(record.rec_headers.get_header("WARC-Payload-Digest") or "")
    if record.http_headers is None or declared is None or record.rec_type == "revisit":
        return None  # a revisit's payload digest is its original's (WARC 1.1 section 6.7): it holds no payload
    return PayloadDigester(is_chunked(record.http_headers), algorithm=declared[0], legacy=True)


def _odd_line_ends(head: bytes) -> bool:
    """The record's first line ends in CR CR LF (WARC 1.1 and HTTP end lines in CRLF, ARC in LF)."""
    line, newline, _ = head.partition(b"\n")
    return bool(newline) and line.endswith(b"\r\r")


class ArchiveReader:
    """Streams the records of one WARC or ARC file, gzip or plain; collects its damage.

    ``source`` is a path or an :class:`~scraper.archive.sources.ArchiveFile` (a WACZ
    member). Iterate for :class:`ReadRecord`; a record may be read by the caller (its
    ``content_stream()``), then it is drained to its end by :meth:`finish` (called by the
    caller when it must know the record is whole before using it, else by the loop).
    Everything found is in :attr:`damage`, in file order; the loop ends at the first
    damage that stops warcio. :attr:`cut_records` counts the records the file began but
    does not hold whole, those too cut to be yielded included. ``check_digests`` checks
    the block digest as ``warcio check`` does and the payload digest as WARC 1.1 defines
    it (de-chunked; a digest over the chunk framing is ``legacy_payload_digest``, not
    damage), and looks at every record's line ends: the caller then must not read the
    record before it is finished. ``arc2warc`` gives ARC records WARC headers.
    """

    def __init__(self, source: Path | ArchiveFile, *, check_digests: bool = False, arc2warc: bool = False):
        self.source = source if isinstance(source, ArchiveFile) else ArchiveFile(Path(source))
        self.path = self.source.path
        self.check_digests = check_digests
        self.arc2warc = arc2warc
        self.damage: list[Damage] = []
        self.records = 0
        self.cut_records = 0
        self._iterator: ArchiveIterator | None = None
        self._stopped = False
        self._compressed = False
        self._files: ExitStack | None = None
        self._second: IO[bytes] | None = None

    def __iter__(self) -> Iterator[ReadRecord]:
        with ExitStack() as files:
            self._files = files
            f = files.enter_context(self.source.open())
            self._compressed = f.read(2) == b"\x1f\x8b"
            f.seek(0)
            yield from self._records(f)

    def _records(self, f: IO[bytes]) -> Iterator[ReadRecord]:
        iterator = self._iterator = ArchiveIterator(f, check_digests=self.check_digests, arc2warc=self.arc2warc)
        iterator.INC_RECORD = ""  # warcio prints a warning per misframed record; we report it as damage
        records = iter(iterator)
        last: ReadRecord | None = None
        while True:
            try:
                record = next(records, None)
            except PARSE_ERRORS as error:  # a record begun, cut or damaged where warcio cannot parse it
                self._stop(last.offset + last.length if last else 0, error)
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
            f.seek(0)
            if f.read(1):  # an empty file holds no record, and lost none
                self.cut_records += 1
                self.damage.append(Damage("no_records", 0, "holds no readable WARC or ARC record: "
                                                           "its first record is cut or damaged"))
            return
        if last.whole:
            f.seek(last.offset + last.length)
            self._tail(f.read(READ_BLOCK), last)

    def finish(self, item: ReadRecord) -> list[Damage]:
        """Read ``item`` to its end (guarded) and return its damage; safe to call twice."""
        if item.finished:
            return item.damage
        item.finished = True
        iterator = self._iterator
        assert iterator is not None
        misframed_before = iterator.err_count
        try:
            while block := item.block.read(READ_BLOCK):
                if item.digester is not None:
                    item.digester.update(block)
            item.length = iterator.get_record_length()
        except PARSE_ERRORS as error:
            item.damage = [Damage("unreadable_record", item.offset,
                                  f"unreadable inside the record at offset {item.offset}: {error!r}")]
            self._stop(item.offset, error, counted=False)
            self.cut_records += 1
            self.damage[-1:-1] = item.damage
            return item.damage
        decompressor = iterator.reader.decompressor
        item.damage = self._record_damage(item, gzip_cut=decompressor is not None and not decompressor.eof,
                                          misframed=iterator.err_count > misframed_before)
        if not item.whole:
            self.cut_records += 1
        self.damage += item.damage
        return item.damage

    def _stop(self, offset: int, error: BaseException, *, counted: bool = True) -> None:
        """warcio cannot go on: the record at ``offset`` (and all after) cannot be read."""
        self._stopped = True
        if self._odd_lines_at(offset):  # not cut: misframed by a text-mode copy, warcio lost its way
            self.damage.append(Damage("odd_lines", offset, f"record at offset {offset}: {ODD_LINES} "
                                                           f"({ODD_LINES_COPIED}); warcio stops there ({error!r})"))
            return
        if counted:
            self.cut_records += 1
        self.damage.append(Damage("unreadable", offset, f"unreadable after offset {offset}: {error!r}"))

    def _head(self, offset: int) -> bytes:
        """Up to :data:`HEAD_BYTES` of the record at ``offset``, decompressed, read by a second handle."""
        if self._second is None:
            assert self._files is not None
            self._second = self._files.enter_context(self.source.open())
        self._second.seek(offset)
        data = self._second.read(HEAD_BYTES)
        if not self._compressed:
            return data
        try:
            return zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(data, HEAD_BYTES)
        except zlib.error:
            return b""

    def _odd_lines_at(self, offset: int) -> bool:
        return _odd_line_ends(self._head(offset))

    def _record_damage(self, item: ReadRecord, *, gzip_cut: bool, misframed: bool) -> list[Damage]:
        record, offset = item.record, item.offset
        record_id = record.rec_headers.get_header("WARC-Record-ID") or record.rec_headers.get_header("uri")
        odd_lines = (self.check_digests or misframed) and self._odd_lines_at(offset)
        declared = record.rec_headers.get_header("Content-Length") or record.rec_headers.get_header("length") or ""
        # warcio yields a header block cut short as a record without a length, or with an
        # empty or partial Content-Length read as 0
        if record.length is None or not declared.strip().isdigit():
            return [Damage("cut_head", offset,
                           f"record at offset {offset} has no Content-Length: its headers are cut or damaged")]
        missing = getattr(item.block, "limit", 0)
        if missing:  # the file ends inside this record: warcio stops without a word
            return [Damage("cut_block", offset, f"record {record_id} at offset {offset} is cut short: "
                                                f"{missing} bytes of its block are missing")]
        if gzip_cut:
            return [Damage("cut_gzip", offset, f"the gzip member of the record at offset {offset} is cut short")]
        found = []
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
        if odd_lines:  # the cause, named before what follows from it
            why = ODD_LINES_COPIED if misframed or problems else ODD_LINES_WRITTEN
            found.insert(0, Damage("odd_lines", offset, f"record {record_id} at offset {offset}: {ODD_LINES} ({why})"))
        elif misframed:
            found.insert(0, Damage("misframed", offset, f"record {record_id} at offset {offset} is not followed by "
                                                        "blank lines: its Content-Length does not frame it"))
        return found

    def _tail(self, tail: bytes, last: ReadRecord) -> None:
        """What follows the last whole record: nothing (gzip), or its closing blank lines
        (CRLF CRLF after a WARC record, one LF after an ARC record)."""
        offset = last.offset
        if any(d.kind in ("odd_lines", "misframed") for d in last.damage):
            return  # what follows is the rest of a record its Content-Length does not frame: said already
        if tail.strip(b"\r\n"):  # warcio ends quietly at a record whose headers are cut
            self.cut_records += 1
            self.damage.append(Damage("tail", offset, f"bytes after the last whole record (at offset {offset}) "
                                                      "are not a whole record: the file is cut or damaged"))
            return
        if self._compressed:
            return
        warc = self._head(offset).startswith(b"WARC/")  # ARC records converted by arc2warc look like WARC's
        if tail not in ((b"\r\n\r\n",) if warc else (b"\n", b"")):
            ending = "CRLF CRLF" if warc else "LF"
            self.damage.append(Damage("no_closing", offset, f"the last record (at offset {offset}) lacks its "
                                                            f"closing {ending}: the file is cut"))
