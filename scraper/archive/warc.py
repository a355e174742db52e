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
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO
from uuid import uuid4

from isal import isal_zlib
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser

__all__ = [
    "DEFAULT_GZIP_LEVEL",
    "GZIP_LEVELS",
    "WarcRecord",
    "block_digest",
    "check_gzip_level",
    "conversion_record",
    "gzip_member",
    "http_payload_offset",
    "make_record_id",
    "parse_http_head",
    "request_record",
    "response_record",
    "warc_date",
    "warcinfo_record",
]

WARC_VERSION = "WARC/1.1"


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


def _sha1_label(data: bytes) -> str:
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


def payload_digest(block: bytes, payload_offset: int | None = None) -> str:
    """Digest of the HTTP payload; ``payload_offset`` saves parsing the head again."""
    start = http_payload_offset(block) if payload_offset is None else payload_offset
    return _sha1_label(block[start:])


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


def response_record(target_uri: str, http_response: bytes, *, date: str, ip_address: str | None,
                    warcinfo_id: str | None, record_id: str | None = None,
                    payload_offset: int | None = None, truncated: str | None = None) -> WarcRecord:
    """A ``response`` record holding the HTTP response exactly as received.

    ``payload_offset`` (from :func:`parse_http_head`) saves parsing the head again.
    ``truncated`` is why the response is incomplete (``WARC-Truncated``: ``length``,
    ``time``, ``disconnect`` or ``unspecified``); the record then holds what arrived."""
    headers = [
        ("WARC-Type", "response"),
        ("WARC-Record-ID", record_id or make_record_id()),
        ("WARC-Date", date),
        ("WARC-Target-URI", target_uri),
    ]
    if ip_address:
        headers.append(("WARC-IP-Address", ip_address))
    if warcinfo_id:
        headers.append(("WARC-Warcinfo-ID", warcinfo_id))
    headers += [
        ("Content-Type", "application/http; msgtype=response"),
        ("WARC-Payload-Digest", payload_digest(http_response, payload_offset)),
        ("WARC-Block-Digest", block_digest(http_response)),
    ]
    if truncated:
        headers.append(("WARC-Truncated", truncated))
    return WarcRecord(headers, http_response)


def request_record(target_uri: str, http_request: bytes, *, date: str, concurrent_to: str,
                   warcinfo_id: str | None, record_id: str | None = None) -> WarcRecord:
    """A ``request`` record holding the HTTP request exactly as sent."""
    headers = [
        ("WARC-Type", "request"),
        ("WARC-Record-ID", record_id or make_record_id()),
        ("WARC-Date", date),
        ("WARC-Target-URI", target_uri),
        ("WARC-Concurrent-To", concurrent_to),
    ]
    if warcinfo_id:
        headers.append(("WARC-Warcinfo-ID", warcinfo_id))
    headers += [
        ("Content-Type", "application/http; msgtype=request"),
        ("WARC-Payload-Digest", payload_digest(http_request)),
        ("WARC-Block-Digest", block_digest(http_request)),
    ]
    return WarcRecord(headers, http_request)


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


#: ISA-L's compression levels (igzip): 0 is fastest, 3 smallest. Level 2 makes members
#: about as small as zlib's level 3 for far less CPU; any gzip reader reads them.
GZIP_LEVELS = range(isal_zlib.ISAL_BEST_SPEED, isal_zlib.ISAL_BEST_COMPRESSION + 1)
DEFAULT_GZIP_LEVEL = 2


def check_gzip_level(level: int) -> int:
    """``level`` if it is one of :data:`GZIP_LEVELS`, else a ValueError that says which are."""
    if level not in GZIP_LEVELS:
        raise ValueError(f"gzip level {level} is not one of ISA-L's levels {GZIP_LEVELS.start}-{GZIP_LEVELS.stop - 1}")
    return level


def gzip_member(data: bytes, level: int = DEFAULT_GZIP_LEVEL) -> bytes:
    """``data`` as one complete gzip member (ISA-L's deflate; the GIL is released while it works)."""
    compressor = isal_zlib.compressobj(level, isal_zlib.DEFLATED, isal_zlib.MAX_WBITS | 16)
    return compressor.compress(data) + compressor.flush()

