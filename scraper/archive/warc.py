"""WARC/1.1 records built from the exact bytes of an HTTP exchange.

Each record is its own gzip member and is written with a single ``write`` call, so a
file cut short by a crash stays readable up to its last complete record. The HTTP
block is stored verbatim: warcio's writer re-serialises HTTP headers, which would
re-case names, re-encode values and drop the framing actually sent, so records are
framed here and warcio is used for WARC header formatting and for reading back.
This module writes to any binary file object and never decides where bytes go.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO
from uuid import uuid4

from isal import isal_zlib
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser

__all__ = [
    "GZIP_LEVELS",
    "IDENTICAL_PAYLOAD_DIGEST",
    "SERVER_NOT_MODIFIED",
    "Dechunker",
    "PayloadDigester",
    "RefersTo",
    "WarcRecord",
    "block_digest",
    "check_gzip_level",
    "conversion_record",
    "gzip_member",
    "http_payload_offset",
    "interim_responses_record",
    "is_chunked",
    "make_record_id",
    "parse_digest",
    "parse_http_head",
    "payload_digest",
    "request_record",
    "response_record",
    "revisit_record",
    "split_interim_responses",
    "warc_date",
    "warcinfo_record",
]

WARC_VERSION = "WARC/1.1"

#: WARC 1.1 section 6.7.2 profiles of a ``revisit`` record: the payload is the one of an
#: earlier record (same digest), or the server said it had not changed (a ``304``).
IDENTICAL_PAYLOAD_DIGEST = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


@dataclass
class WarcRecord:
    """A WARC record before framing: named headers (in order) and the block bytes."""

    headers: list[tuple[str, str]]
    block: bytes

    @property
    def record_id(self) -> str:
        return self.header("WARC-Record-ID") or ""

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def to_bytes(self) -> bytes:
        """The uncompressed record: version line, headers, block, two CRLFs."""
        all_headers = [*self.headers, ("Content-Length", str(len(self.block)))]
        head = StatusAndHeaders("", all_headers, protocol=WARC_VERSION).to_bytes(encoding="utf-8")
        return head + self.block + b"\r\n\r\n"


def make_record_id() -> str:
    return f"<urn:uuid:{uuid4()}>"


def warc_date(moment: datetime | None = None) -> str:
    """WARC/1.1 date: UTC, ISO 8601, microseconds."""
    moment = (moment or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _sha1_label(data: bytes | memoryview) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def block_digest(block: bytes) -> str:
    return _sha1_label(block)


def parse_http_head(block: bytes) -> tuple[StatusAndHeaders, int]:
    """The status (or request) line and headers of an ``application/http`` block, and
    where its payload starts.

    Parsed with warcio's own header parser, so the payload digest written here is the
    one ``warcio check`` and pywb recompute.
    """
    stream = BytesIO(block)
    head = StatusAndHeadersParser([], verify=False).parse(stream)
    return head, stream.tell()


def http_payload_offset(block: bytes) -> int:
    """Where the HTTP payload starts in an ``application/http`` block."""
    return parse_http_head(block)[1]


#: An interim (1xx) status line, and the blank line that ends its head (CRLF or bare LF).
_INTERIM_STATUS = re.compile(rb"HTTP/\d(?:\.\d)? 1(?!01)\d\d(?: [^\r\n]*)?\r?\n")
_HEAD_END = re.compile(rb"\r?\n\r?\n")


def split_interim_responses(http_response: bytes) -> tuple[list[bytes], bytes]:
    """Interim responses (``100 Continue``, ``103 Early Hints``; RFC 9110 section 15.2) at the
    start of what a server sent, exactly as sent, and the final response after them.

    ``101 Switching Protocols`` is final: what follows it is another protocol. A 1xx head
    with nothing after it stays the response: there is no final one to archive."""
    interims = []
    rest = http_response
    while _INTERIM_STATUS.match(rest):
        end = _HEAD_END.search(rest)
        if end is None or end.end() >= len(rest):
            break
        interims.append(rest[: end.end()])
        rest = rest[end.end():]
    return interims, rest


def _chunk_size(line: bytes | bytearray) -> int | None:
    """The size of a chunk-size line (RFC 9112 section 7.1: hex, then optional ``;extensions``)."""
    size = bytes(line).split(b";", 1)[0].strip()
    if not size or len(size) > 16 or size.strip(b"0123456789abcdefABCDEF"):
        return None
    return int(size, 16)


class Dechunker:
    """Removes chunked transfer coding (RFC 9112 section 7.1) from a body fed in any pieces.

    Tolerant, as a reader of archives must be: a body cut short gives what arrived (the
    last chunk as far as it goes); chunk extensions and trailers are skipped; lines may
    end in LF alone; a chunk-size line that does not parse ends the data there. A body
    whose first line is no chunk size is not chunked, whatever its head says: it is
    passed through whole. Written here because warcio's ``ChunkedDataReader`` misreads
    chunk extensions and trailers, and Resiliparse's chunk reader stops at LF-only lines.
    """

    _MAX_LINE = 1024  # a chunk-size line longer than this is not one

    def __init__(self) -> None:
        self._line = bytearray()
        self._remaining = 0
        self._state = "size"  # size, data, data-end, done, raw
        self._first = True

    def feed(self, data: bytes | memoryview) -> Iterator[memoryview]:
        """The payload bytes in ``data`` (views into it: use them before feeding more)."""
        view = memoryview(data)
        while view:
            if self._state == "raw":
                yield view
                return
            if self._state == "done":
                return
            if self._state == "data":
                piece = view[: self._remaining]
                self._remaining -= len(piece)
                view = view[len(piece) :]
                if not self._remaining:
                    self._state = "data-end"
                yield piece
                continue
            if self._state == "data-end":  # the CRLF (or LF) after a chunk's data
                if view[:1] == b"\r":
                    view = view[1:]
                    continue
                if view[:1] == b"\n":
                    view = view[1:]
                self._state = "size"
                continue
            newline = bytes(view[: self._MAX_LINE]).find(b"\n")  # state "size": a chunk-size line
            if newline < 0:
                self._line += view
                view = view[len(view) :]
                if len(self._line) > self._MAX_LINE:
                    yield from self._not_a_size_line()
                return
            self._line += view[:newline]
            view = view[newline + 1 :]
            size = _chunk_size(self._line)
            if size is None:
                yield from self._not_a_size_line(b"\n")
                if self._state == "raw":
                    yield view
                return
            self._line.clear()
            self._first = False
            if size == 0:  # the last chunk: what follows are trailers
                self._state = "done"
                return
            self._remaining = size
            self._state = "data"

    def close(self) -> Iterator[memoryview]:
        """The end of the body: a first line still waiting for its end, and no chunk size, was payload."""
        if self._state == "size" and self._first and self._line and _chunk_size(self._line) is None:
            yield from self._not_a_size_line()
        self._state = "done"

    def _not_a_size_line(self, ending: bytes = b"") -> Iterator[memoryview]:
        if self._first:  # not chunked at all: everything is payload
            self._state = "raw"
            yield memoryview(bytes(self._line) + ending)
        else:
            self._state = "done"
        self._line.clear()


def parse_digest(label: str) -> tuple[str, bytes] | None:
    """``(algorithm, raw digest)`` of a WARC digest label such as ``sha1:BASE32``, or None.

    WARC 1.1 section 5.8 names the algorithm and leaves the encoding open; writers use
    base32 (most), base16 or base64, so all three are read. The algorithm is lowercased
    without dashes (``SHA-256`` -> ``sha256``), as :mod:`hashlib` names it.
    """
    algorithm, _, value = label.strip().partition(":")
    algorithm = algorithm.lower().replace("-", "")
    if not value or algorithm not in hashlib.algorithms_available:
        return None
    size = hashlib.new(algorithm).digest_size
    decoders = (
        lambda v: base64.b32decode(v.upper() + "=" * (-len(v) % 8)),
        lambda v: base64.b16decode(v.upper()),
        lambda v: base64.b64decode(v + "=" * (-len(v) % 4), validate=True),
    )
    for decode in decoders:
        try:
            raw = decode(value)
        except ValueError:
            continue
        if len(raw) == size:
            return algorithm, raw
    return None


class PayloadDigester:
    """``WARC-Payload-Digest`` computed as the payload is read, in pieces (WARC 1.1 section 6.3.2).

    ``chunked`` says whether the HTTP head's last transfer coding is chunked
    (:func:`is_chunked`); the digest then covers the de-chunked data. With ``legacy``, the
    digest over the body as sent (chunk framing included) is kept too, as warcio and
    Heritrix before 2026 wrote it (webrecorder/warcio#74, internetarchive/heritrix3#769),
    so a reader can tell an older crawler's digest from damage (:meth:`match`).
    """

    def __init__(self, chunked: bool, *, algorithm: str = "sha1", legacy: bool = False):
        self.algorithm = algorithm
        self._dechunker = Dechunker() if chunked else None
        self._digest = hashlib.new(algorithm)
        self._legacy = hashlib.new(algorithm) if legacy and chunked else None
        self._closed = False

    def update(self, data: bytes | memoryview) -> None:
        if self._legacy is not None:
            self._legacy.update(data)
        if self._dechunker is None:
            self._digest.update(data)
            return
        for piece in self._dechunker.feed(data):
            self._digest.update(piece)

    def _close(self) -> None:
        if self._dechunker is not None and not self._closed:
            for piece in self._dechunker.close():
                self._digest.update(piece)
        self._closed = True

    def label(self) -> str:
        """``algorithm:BASE32`` of the payload, after the last :meth:`update`."""
        self._close()
        return f"{self.algorithm}:" + base64.b32encode(self._digest.digest()).decode("ascii")

    def match(self, declared: str) -> str | None:
        """How ``declared`` matches the payload read: ``"standard"``, ``"legacy"`` (over the
        chunk framing), or None (no match, or a label that does not parse)."""
        parsed = parse_digest(declared)
        if parsed is None or parsed[0] != self.algorithm:
            return None
        self._close()
        if parsed[1] == self._digest.digest():
            return "standard"
        if self._legacy is not None and parsed[1] == self._legacy.digest():
            return "legacy"
        return None


def is_chunked(head: StatusAndHeaders) -> bool:
    """Whether the message's last transfer coding is ``chunked`` (RFC 9112 section 6.1)."""
    codings = ",".join(value for name, value in head.headers if name.lower() == "transfer-encoding")
    names = [coding.split(";", 1)[0].strip().lower() for coding in codings.split(",") if coding.strip()]
    return bool(names) and names[-1] == "chunked"


def payload_digest(block: bytes, payload_offset: int | None = None, head: StatusAndHeaders | None = None) -> str:
    """``WARC-Payload-Digest`` of an ``application/http`` block, as WARC 1.1 section 6.3.2 defines it.

    The payload is the entity body with the transfer coding removed: a chunked body is
    digested de-chunked, so one page served with any chunk sizes, or with a
    ``Content-Length``, has one digest; a content coding (gzip, br) stays, being part of
    the entity. A body cut short is digested as far as it arrived. ``payload_offset`` and
    ``head`` (from :func:`parse_http_head`) save parsing the head again. Transfer codings
    other than chunked are left in: a server sends them only to a client that asked with
    ``TE``, which this crawler never does.
    """
    if head is None or payload_offset is None:
        head, payload_offset = parse_http_head(block)
    digester = PayloadDigester(is_chunked(head))
    digester.update(memoryview(block)[payload_offset:])
    return digester.label()


def warcinfo_record(filename: str, fields: list[tuple[str, str]], *, date: str | None = None,
                    record_id: str | None = None) -> WarcRecord:
    """The record that opens every WARC file: who wrote it and how."""
    block = "".join(f"{name}: {value}\r\n" for name, value in fields).encode("utf-8")
    headers = [
        ("WARC-Type", "warcinfo"),
        ("WARC-Record-ID", record_id or make_record_id()),
        ("WARC-Date", date or warc_date()),
        ("WARC-Filename", filename),
        ("Content-Type", "application/warc-fields"),
        ("WARC-Block-Digest", block_digest(block)),
    ]
    return WarcRecord(headers, block)


def _exchange_headers(record_type: str, target_uri: str, date: str, record_id: str | None,
                      ip_address: str | None, warcinfo_id: str | None,
                      concurrent_to: str | None = None) -> list[tuple[str, str]]:
    """The headers the records of an exchange open with (response, revisit, request and the
    interim responses' metadata), in the order all of them write them."""
    headers = [
        ("WARC-Type", record_type),
        ("WARC-Record-ID", record_id or make_record_id()),
        ("WARC-Date", date),
        ("WARC-Target-URI", target_uri),
    ]
    if ip_address:
        headers.append(("WARC-IP-Address", ip_address))
    if concurrent_to:
        headers.append(("WARC-Concurrent-To", concurrent_to))
    if warcinfo_id:
        headers.append(("WARC-Warcinfo-ID", warcinfo_id))
    return headers


def response_record(target_uri: str, http_response: bytes, *, date: str, ip_address: str | None,
                    warcinfo_id: str | None, record_id: str | None = None,
                    payload_offset: int | None = None, head: StatusAndHeaders | None = None,
                    truncated: str | None = None, digest: str | None = None) -> WarcRecord:
    """A ``response`` record holding the HTTP response exactly as received.

    ``payload_offset`` and ``head`` (from :func:`parse_http_head`) save parsing the head again,
    ``digest`` (from :func:`payload_digest`) digesting the payload again.
    ``truncated`` is why the response is incomplete (``WARC-Truncated``: ``length``,
    ``time``, ``disconnect`` or ``unspecified``); the record then holds what arrived."""
    headers = _exchange_headers("response", target_uri, date, record_id, ip_address, warcinfo_id)
    headers += [
        ("Content-Type", "application/http; msgtype=response"),
        ("WARC-Payload-Digest", digest or payload_digest(http_response, payload_offset, head)),
        ("WARC-Block-Digest", block_digest(http_response)),
    ]
    if truncated:
        headers.append(("WARC-Truncated", truncated))
    return WarcRecord(headers, http_response)


def interim_responses_record(target_uri: str, interims: list[bytes], *, date: str, concurrent_to: str,
                             warcinfo_id: str | None, record_id: str | None = None) -> WarcRecord:
    """A ``metadata`` record keeping the interim (1xx) responses that came before a final one.

    ``application/warc-fields``, which indexers (cdxj-indexer, pywb) leave out, so replay
    only ever sees the final response. Per interim response, in the order received:
    ``http-interim-response`` (its status line, to read) and ``http-interim-response-bytes``
    (the exact bytes of its head, base64)."""
    fields = []
    for interim in interims:
        status_line = interim.split(b"\n", 1)[0].rstrip(b"\r").decode("latin-1")
        fields += [("http-interim-response", status_line),
                   ("http-interim-response-bytes", base64.b64encode(interim).decode("ascii"))]
    block = "".join(f"{name}: {value}\r\n" for name, value in fields).encode("latin-1")
    headers = _exchange_headers("metadata", target_uri, date, record_id, None, warcinfo_id, concurrent_to)
    headers += [("Content-Type", "application/warc-fields"), ("WARC-Block-Digest", block_digest(block))]
    return WarcRecord(headers, block)


def request_record(target_uri: str, http_request: bytes, *, date: str, concurrent_to: str,
                   warcinfo_id: str | None, record_id: str | None = None) -> WarcRecord:
    """A ``request`` record holding the HTTP request exactly as sent."""
    headers = _exchange_headers("request", target_uri, date, record_id, None, warcinfo_id, concurrent_to)
    headers += [
        ("Content-Type", "application/http; msgtype=request"),
        ("WARC-Payload-Digest", payload_digest(http_request)),
        ("WARC-Block-Digest", block_digest(http_request)),
    ]
    return WarcRecord(headers, http_request)


@dataclass(frozen=True)
class RefersTo:
    """The earlier response record a ``revisit`` record points at (WARC 1.1 section 5.11-5.13)."""

    record_id: str  # WARC-Refers-To
    target_uri: str  # WARC-Refers-To-Target-URI
    date: str  # WARC-Refers-To-Date
    payload_digest: str  # the earlier record's WARC-Payload-Digest


def revisit_record(target_uri: str, http_response: bytes, *, profile: str, refers_to: RefersTo, date: str,
                   ip_address: str | None, warcinfo_id: str | None, record_id: str | None = None,
                   payload_offset: int | None = None) -> WarcRecord:
    """A ``revisit`` record (WARC 1.1 section 6.7): the HTTP head of a response whose payload
    an earlier record holds.

    ``profile`` is :data:`IDENTICAL_PAYLOAD_DIGEST` (a response whose payload digest is the
    earlier one's: its body is left out, as the standard recommends) or
    :data:`SERVER_NOT_MODIFIED` (a ``304``, kept whole: it has no body). The record's
    ``WARC-Payload-Digest`` is the earlier payload's, which is what replay tools (pywb)
    look the original up by, with ``WARC-Refers-To-Target-URI`` and ``WARC-Refers-To-Date``.
    ``payload_offset`` (from :func:`parse_http_head`) saves parsing the head again.
    """
    if payload_offset is None:
        payload_offset = http_payload_offset(http_response)
    block = http_response[:payload_offset] if profile == IDENTICAL_PAYLOAD_DIGEST else http_response
    headers = _exchange_headers("revisit", target_uri, date, record_id, ip_address, warcinfo_id)
    headers += [
        ("WARC-Profile", profile),
        ("WARC-Refers-To", refers_to.record_id),
        ("WARC-Refers-To-Target-URI", refers_to.target_uri),
        ("WARC-Refers-To-Date", refers_to.date),
        ("Content-Type", "application/http; msgtype=response"),
        ("WARC-Payload-Digest", refers_to.payload_digest),
        ("WARC-Block-Digest", block_digest(block)),
    ]
    return WarcRecord(headers, block)


def conversion_record(target_uri: str, text: bytes, *, date: str, refers_to: str | None,
                      content_type: str = "text/plain", language: str | None = None,
                      warcinfo_id: str | None = None, record_id: str | None = None) -> WarcRecord:
    """A ``conversion`` record: text derived from the response ``refers_to`` (as in WET)."""
    headers = [
        ("WARC-Type", "conversion"),
        ("WARC-Record-ID", record_id or make_record_id()),
        ("WARC-Date", date),
        ("WARC-Target-URI", target_uri),
    ]
    if refers_to:
        headers.append(("WARC-Refers-To", refers_to))
    if warcinfo_id:
        headers.append(("WARC-Warcinfo-ID", warcinfo_id))
    if language:
        headers.append(("WARC-Identified-Content-Language", language))
    headers += [("Content-Type", content_type), ("WARC-Block-Digest", block_digest(text))]
    return WarcRecord(headers, text)


#: ISA-L's compression levels (igzip): 0 is fastest, 3 smallest; any gzip reader reads
#: what they make. The crawl's level is ``ARCHIVE_GZIP_LEVEL`` (scraper/settings.py says why).
GZIP_LEVELS = range(isal_zlib.ISAL_BEST_SPEED, isal_zlib.ISAL_BEST_COMPRESSION + 1)


def check_gzip_level(level: int) -> int:
    """``level`` if it is one of :data:`GZIP_LEVELS`, else a ValueError that says which are."""
    if level not in GZIP_LEVELS:
        raise ValueError(f"gzip level {level} is not one of ISA-L's levels {GZIP_LEVELS.start}-{GZIP_LEVELS.stop - 1}")
    return level


def gzip_member(data: bytes, level: int) -> bytes:
    """``data`` as one complete gzip member (ISA-L's deflate; the GIL is released while it works)."""
    compressor = isal_zlib.compressobj(level, isal_zlib.DEFLATED, isal_zlib.MAX_WBITS | 16)
    return compressor.compress(data) + compressor.flush()

