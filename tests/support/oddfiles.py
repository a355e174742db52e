"""Small archives as other tools write them, built byte by byte: ARC 1.0 files, WARCs whose
lines end in CR CR LF, and where a file can be cut.

warcio reads ARC but cannot write it, so ARC files are made here from the ARC 1.0
format (Internet Archive, "ARC File Format", 1996): a version block, then records of
one header line (URL, IP address, 14-digit date, content type, length), ``length``
bytes of content and one LF.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

ARC_DATE = b"20240105120000"


def arc_record(url: bytes, content: bytes, *, content_type: bytes = b"text/html", ip: bytes = b"192.0.2.7",
               date: bytes = ARC_DATE) -> bytes:
    """One ARC 1.0 record: its header line, ``content`` (the HTTP response as sent), one LF."""
    return b"%s %s %s %s %d\n" % (url, ip, date, content_type, len(content)) + content + b"\n"


def arc_version_block(name: str) -> bytes:
    """The first record of an ARC 1.0 file: ``filedesc://`` and the field names of version 1."""
    fields = b"1 0 news-archiver tests\nURL IP-address Archive-date Content-type Archive-length\n"
    return arc_record(b"filedesc://" + name.encode(), fields, content_type=b"text/plain", ip=b"0.0.0.0")


def http_response(body: bytes, content_type: str = "text/html; charset=utf-8", status: str = "200 OK",
                  line_end: bytes = b"\r\n") -> bytes:
    """An HTTP/1.0 response as a server sends it, with a Content-Length."""
    head = [f"HTTP/1.0 {status}", f"Content-Type: {content_type}", f"Content-Length: {len(body)}", ""]
    return line_end.join(line.encode() for line in head) + line_end + body


def write_arc(path: Path, pages: list[tuple[str, bytes]], *, gzipped: bool | None = None) -> list[int]:
    """An ARC file of ``pages`` (URL, HTTP response), each record its own gzip member if
    ``gzipped`` (default: if the name ends ``.gz``); returns where each record starts."""
    gzipped = path.name.endswith(".gz") if gzipped is None else gzipped
    records = [arc_version_block(path.name.removesuffix(".gz"))]
    records += [arc_record(url.encode(), response) for url, response in pages]
    members = [gzip.compress(record) if gzipped else record for record in records]
    offsets = [sum(len(m) for m in members[:i]) for i in range(len(members))]
    path.write_bytes(b"".join(members))
    return offsets


def record_offsets(path: Path) -> list[int]:
    """Where warcio finds each record of a whole file, and the file's end."""
    with open(path, "rb") as f:
        iterator = ArchiveIterator(f)
        offsets = [iterator.get_record_offset() for _ in iterator]
    return [*offsets, path.stat().st_size]


def text_mode_copy(data: bytes) -> bytes:
    """What an FTP ASCII transfer or ``unix2dos`` makes of a file: every LF becomes CRLF."""
    return data.replace(b"\n", b"\r\n")


def cr_in_heads(data: bytes) -> bytes:
    """A plain WARC as a writer that adds a CR to each header line makes it: the WARC header
    lines end in CR CR LF; blocks, their lengths and digests are as they were."""
    out = []
    rest = data
    while rest:
        head, _, rest = rest.partition(b"\r\n\r\n")
        length = int(next(line for line in head.split(b"\r\n") if line.startswith(b"Content-Length:")).split()[1])
        out.append(head.replace(b"\r\n", b"\r\r\n") + b"\r\r\n\r\r\n" + rest[:length] + rest[length:length + 4])
        rest = rest[length + 4:]
    return b"".join(out)
