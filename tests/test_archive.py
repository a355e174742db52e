"""The WARC and segment layer, built directly with plain arguments."""

from __future__ import annotations

import gzip
import json
import random
import shutil
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from scraper.archive import warc
from scraper.archive.segments import CrawlArchive
from scraper.settings import ARCHIVE_GZIP_LEVEL, ARCHIVE_WARC_MAX_SIZE

RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\n0\r\n\r\n"
)
REQUEST = b"GET /a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n"
DATE = "2020-03-02T10:00:00.000000Z"

#: A crawl's archive as the project's settings make it.
DEFAULTS = {"max_warc_bytes": ARCHIVE_WARC_MAX_SIZE, "gzip_level": ARCHIVE_GZIP_LEVEL}


def test_response_record_bytes_are_stable() -> None:
    record = warc.response_record(
        "http://example.com/a?b=c", RESPONSE, date=DATE, ip_address="192.0.2.1",
        warcinfo_id="<urn:uuid:00000000-0000-0000-0000-000000000001>",
        record_id="<urn:uuid:00000000-0000-0000-0000-000000000002>",
    )
    expected = (
        b"WARC/1.1\r\n"
        b"WARC-Type: response\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000002>\r\n"
        b"WARC-Date: 2020-03-02T10:00:00.000000Z\r\n"
        b"WARC-Target-URI: http://example.com/a?b=c\r\n"
        b"WARC-IP-Address: 192.0.2.1\r\n"
        b"WARC-Warcinfo-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
        b"Content-Type: application/http; msgtype=response\r\n"
        b"WARC-Payload-Digest: sha1:VL2MMHO4YXUKFWV63YHTWSBM3GXKSQ2N\r\n"  # of "hello": the payload de-chunked
        b"WARC-Block-Digest: sha1:4E4ZVRYDWOJ7FRV46NVVUACXMKJXUQ4J\r\n"
        b"Content-Length: 88\r\n"
        b"\r\n" + RESPONSE + b"\r\n\r\n"
    )
    assert record.to_bytes() == expected


def test_payload_digest_covers_the_body_without_its_chunk_framing() -> None:
    # WARC 1.1 section 6.3.2: the payload is the entity body with the transfer coding removed
    assert warc.payload_digest(RESPONSE) == warc.block_digest(b"hello")


def write_exchanges(archive: CrawlArchive, count: int, size: int = 2000) -> list:
    locations = []
    for i in range(count):
        body = b"%05d" % i + random.Random(i).randbytes(size - 5)  # does not compress: sizes are predictable
        response = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        locations.append(archive.write_exchange(f"http://example.com/{i}", response, REQUEST, date=DATE))
    return locations


def test_segments_rotate_by_size_and_text_follows(tmp_path: Path) -> None:
    archive = CrawlArchive(tmp_path, "c1", warcinfo_fields=[("software", "test")], max_warc_bytes=3000, gzip_level=0)
    for i, location in enumerate(write_exchanges(archive, 5)):
        archive.write_text_row({"url": f"http://example.com/{i}", "warc_filename": location.warc_filename})
    files = archive.close()
    warcs = sorted(p for p in (tmp_path / "warc").iterdir())
    texts = sorted(p for p in (tmp_path / "text").iterdir())
    wets = sorted(p for p in (tmp_path / "wet").iterdir())
    assert len(warcs) >= 3
    assert {p.name.removesuffix(".jsonl.gz") for p in texts} <= {p.name.removesuffix(".warc.gz") for p in warcs}
    assert [p.name.removesuffix(".warc.wet.gz") for p in wets] == [p.name.removesuffix(".jsonl.gz") for p in texts]
    indexes = sorted(p for p in (tmp_path / "indexes").iterdir())
    assert {f.relpath for f in files} == (
        {f"warc/{p.name}" for p in warcs} | {f"text/{p.name}" for p in texts} | {f"indexes/{p.name}" for p in indexes}
        | {f"wet/{p.name}" for p in wets}
    )
    for text, wet in zip(texts, wets, strict=True):  # each WET segment: warcinfo, then its text segment's rows
        with open(wet, "rb") as f:
            records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
                       for r in ArchiveIterator(f)]
        assert records[0][0] == "warcinfo" and f"source: text/{text.name}".encode() in records[0][2]
        urls = [json.loads(line)["url"] for line in gzip.open(text, "rt")]
        assert [(kind, uri) for kind, uri, _ in records[1:]] == [("conversion", url) for url in urls]
    for path in warcs:
        with open(path, "rb") as f:
            records = list(ArchiveIterator(f))
        assert records[0].rec_type == "warcinfo"
        assert records[0].rec_headers.get_header("WARC-Filename") == path.name
    rows = [json.loads(line) for p in texts for line in gzip.open(p, "rt")]
    assert [r["url"] for r in rows] == [f"http://example.com/{i}" for i in range(5)]


def test_open_file_is_readable_up_to_last_complete_record(tmp_path: Path) -> None:
    archive = CrawlArchive(tmp_path / "crawl", "c1", warcinfo_fields=[("software", "test")], **DEFAULTS)
    locations = write_exchanges(archive, 4)
    # The process is "killed" here: nothing closed, the file still has its .open name.
    [open_file] = (tmp_path / "crawl" / "warc").glob("*.warc.gz.open")
    last = locations[-1]
    cut = tmp_path / "cut.warc.gz"
    shutil.copyfile(open_file, cut)
    with open(cut, "r+b") as f:
        f.truncate(last.warc_offset + last.warc_length // 2)  # half of the last response
    complete = []
    with open(cut, "rb") as f:
        for record in ArchiveIterator(f, check_digests=True):
            body = record.content_stream().read()
            if record.rec_type == "response" and len(body) == 2000:
                complete.append((record.rec_headers.get_header("WARC-Target-URI"), body[:5]))
    assert complete == [(f"http://example.com/{i}", b"%05d" % i) for i in range(3)]
    archive.close()


def test_a_written_exchange_says_where_its_response_record_is(tmp_path: Path) -> None:
    archive = CrawlArchive(tmp_path, "c1", warcinfo_fields=[], **DEFAULTS)
    locations = write_exchanges(archive, 3)
    archive.close()
    path = tmp_path / "warc" / locations[1].warc_filename
    with open(path, "rb") as f:
        f.seek(locations[1].warc_offset)
        record = next(iter(ArchiveIterator(f)))
    assert record.rec_headers.get_header("WARC-Record-ID") == locations[1].warc_record_id
    assert record.rec_headers.get_header("WARC-Target-URI") == "http://example.com/1"


def test_response_without_request_record_is_located(tmp_path: Path) -> None:
    # A response rebuilt from Scrapy's view may come without a request record.
    archive = CrawlArchive(tmp_path, "c1", warcinfo_fields=[], **DEFAULTS)
    response = b"HTTP/1.1 204 No Content\r\n\r\n"
    location = archive.write_exchange("http://example.com/x", response, None, date=DATE)
    archive.close()
    with open(tmp_path / "warc" / location.warc_filename, "rb") as f:
        f.seek(location.warc_offset)
        records = list(ArchiveIterator(f))
    assert [r.rec_type for r in records] == ["response"]
    assert records[0].rec_headers.get_header("WARC-Record-ID") == location.warc_record_id


def test_segment_with_a_post_is_left_for_cdxj_indexer(tmp_path: Path) -> None:
    # cdxj-indexer folds a POST body into the lookup key; that segment is indexed by it.
    archive = CrawlArchive(tmp_path, "c1", warcinfo_fields=[], **DEFAULTS)
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    archive.write_exchange("http://example.com/a", response, REQUEST, date=DATE)
    post = b"POST /form HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n\r\na=1"
    archive.write_exchange("http://example.com/form", response, post, date=DATE)
    files = archive.close()
    assert [f.relpath.split("/")[0] for f in files] == ["warc"]
    assert not (tmp_path / "indexes").exists()


def test_index_is_written_with_each_segment(tmp_path: Path) -> None:
    archive = CrawlArchive(tmp_path, "c1", warcinfo_fields=[], max_warc_bytes=3000, gzip_level=0)
    write_exchanges(archive, 4)
    files = archive.close()
    warcs = [f for f in files if f.relpath.startswith("warc/")]
    indexes = [f for f in files if f.relpath.startswith("indexes/")]
    assert [f.relpath.removeprefix("indexes/").removesuffix(".cdxj") for f in indexes] == [
        f.relpath.removeprefix("warc/").removesuffix(".warc.gz") for f in warcs
    ]
    lines = [line for f in indexes for line in f.path.read_text().splitlines()]
    assert len(lines) == 4 and all(line.startswith("com,example)/") for line in lines)


def test_a_gzip_level_outside_isa_ls_is_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ISA-L's levels 0-3"):
        CrawlArchive(tmp_path, "c1", warcinfo_fields=[], max_warc_bytes=ARCHIVE_WARC_MAX_SIZE, gzip_level=6)
    assert not any(tmp_path.iterdir())


def test_every_level_writes_members_any_gzip_reader_reads(tmp_path: Path) -> None:
    for level in warc.GZIP_LEVELS:
        archive = CrawlArchive(
            tmp_path / str(level), "c1", warcinfo_fields=[], max_warc_bytes=ARCHIVE_WARC_MAX_SIZE, gzip_level=level
        )
        write_exchanges(archive, 2)
        archive.write_text_row({"url": "http://example.com/0", "text": "Zürich " * 50})
        files = archive.close()
        for f in files:
            if f.relpath.endswith(".gz"):
                assert len(gzip.decompress(f.path.read_bytes())) > 0  # stdlib gzip: every member, CRCs checked
        [row] = [json.loads(line) for f in files if f.relpath.startswith("text/") for line in gzip.open(f.path, "rt")]
        assert row["text"].startswith("Zürich")
