"""Payload digests as WARC 1.1 defines them: the entity body with its transfer coding removed.

One page served with a Content-Length, chunked by 1,000 bytes and chunked by 4,096 has
one payload digest (three block digests), so lookups, dedup and revisits by digest find
it. A second reader checks it independently: FastWARC reads the records and Resiliparse
de-chunks the payload. warcio's `check` still digests the chunk framing
(webrecorder/warcio#74): our verify reads such a digest, written by other tools, as
"legacy", not as damage.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scraper.archive import warc
from scraper.archive.verify import VerifyReport, check_warc, verify_crawl
from tests.support.crawl import crawl_raw_site
from tests.support.rawsite import ARTICLE_HTML

SAME = ["/same/length", "/same/chunks-1000", "/same/chunks-4096"]


def sha1_label(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def chunked(body: bytes, size: int, *, extension: bytes = b"", newline: bytes = b"\r\n",
            trailer: bytes = b"") -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    framed = b"".join(b"%x%s%s%s%s" % (len(p), extension, newline, p, newline) for p in pieces)
    return framed + b"0" + newline + trailer + newline


def response(body: bytes, *headers: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + body


def test_one_body_in_three_framings_has_one_payload_digest_and_three_block_digests() -> None:
    body = ARTICLE_HTML
    blocks = [
        response(body, b"Content-Length: %d" % len(body)),
        response(chunked(body, 1000), b"Transfer-Encoding: chunked"),
        response(chunked(body, 4096), b"Transfer-Encoding: chunked"),
    ]
    assert {warc.payload_digest(block) for block in blocks} == {sha1_label(body)}
    assert len({warc.block_digest(block) for block in blocks}) == 3


@pytest.mark.parametrize(
    "framing",
    [
        {"extension": b";name=value"},
        {"newline": b"\n"},
        {"trailer": b"X-Checksum: 1\r\n"},
        {"extension": b" ; a=b", "trailer": b"Expires: 0\r\n"},
    ],
    ids=["chunk extensions", "LF-only lines", "a trailer", "extensions and a trailer"],
)
def test_chunk_extensions_trailers_and_bare_newlines_are_framing_not_payload(framing: dict[str, bytes]) -> None:
    body = ARTICLE_HTML
    block = response(chunked(body, 333, **framing), b"Transfer-Encoding: chunked")
    assert warc.payload_digest(block) == sha1_label(body)


def test_a_content_coding_stays_in_the_payload() -> None:
    """gzip as Content-Encoding is part of the entity: only the chunking comes off."""
    gzipped = gzip.compress(ARTICLE_HTML, mtime=0)
    block = response(chunked(gzipped, 100), b"Content-Encoding: gzip", b"Transfer-Encoding: chunked")
    assert warc.payload_digest(block) == sha1_label(gzipped)


@pytest.mark.parametrize("cut", [3, 1003, 1500, 2 * 1006 + 4, -4])
def test_a_cut_chunked_body_is_digested_as_far_as_it_arrived(cut: int) -> None:
    from resiliparse.parse.http import iterate_http_chunks

    framed = chunked(ARTICLE_HTML, 1000)[:cut]
    arrived = b"".join(iterate_http_chunks(io.BytesIO(framed)))  # an independent de-chunker
    assert warc.payload_digest(response(framed, b"Transfer-Encoding: chunked")) == sha1_label(arrived)


def test_a_body_said_chunked_but_sent_plain_is_digested_as_sent() -> None:
    block = response(b"<html>no chunk sizes here</html>", b"Transfer-Encoding: chunked")
    assert warc.payload_digest(block) == sha1_label(b"<html>no chunk sizes here</html>")


def test_digests_fed_in_any_pieces_agree_with_the_whole() -> None:
    framed = chunked(ARTICLE_HTML, 777, extension=b";x=1")
    for step in (1, 2, 5, 64, len(framed)):
        digester = warc.PayloadDigester(chunked=True)
        for start in range(0, len(framed), step):
            digester.update(framed[start : start + step])
        assert digester.label() == sha1_label(ARTICLE_HTML), step


def test_digest_labels_in_base32_base16_and_base64_are_read() -> None:
    raw = hashlib.sha1(b"x").digest()
    for label in (
        "sha1:" + base64.b32encode(raw).decode(),
        "sha1:" + base64.b32encode(raw).decode().lower(),
        "sha1:" + raw.hex(),
        "SHA-1:" + base64.b64encode(raw).decode(),
    ):
        assert warc.parse_digest(label) == ("sha1", raw), label
    assert warc.parse_digest("md99:abc") is None


# -- a crawl, read back by us and by an independent reader -------------------------------


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory):
    return crawl_raw_site(tmp_path_factory.mktemp("archive"), SAME)


def test_a_crawl_gives_one_digest_to_one_page_in_its_records_index_and_text_rows(crawl) -> None:
    _, base, result = crawl
    expected = sha1_label(ARTICLE_HTML)
    digests = {}
    for path in result.warc_files():
        from warcio.archiveiterator import ArchiveIterator

        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type == "response":
                    digests[record.rec_headers.get_header("WARC-Target-URI")] = record.rec_headers.get_header(
                        "WARC-Payload-Digest")
    assert {digests[base + p] for p in SAME} == {expected}
    index = [json.loads(line.split(" ", 2)[2]) for f in result.crawl_dir.glob("indexes/*.cdxj")
             for line in f.read_text().splitlines()]
    assert {entry["digest"] for entry in index if entry["url"] in {base + p for p in SAME}} == {expected}
    rows = result.text_rows()
    assert rows and {row["payload_digest"] for row in rows} == {expected}
    assert verify_crawl(result.crawl_dir).ok


def test_an_independent_reader_computes_the_same_standard_digest(crawl) -> None:
    """FastWARC reads the records, Resiliparse de-chunks: the digest we wrote is the payload's."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType
    from resiliparse.parse.http import iterate_http_chunks

    _, _, result = crawl
    checked = 0
    for path in result.warc_files():
        with open(path, "rb") as f:
            for record in ArchiveIterator(f, record_types=WarcRecordType.response, parse_http=False):
                block = b"".join(iter(lambda: record.reader.read(65536), b""))  # noqa: B023
                assert record.headers["WARC-Block-Digest"] == sha1_label(block)
                head, body = block.split(b"\r\n\r\n", 1)
                if b"\r\ntransfer-encoding: chunked" in head.lower():
                    body = b"".join(iterate_http_chunks(io.BytesIO(body)))
                assert record.headers["WARC-Payload-Digest"] == sha1_label(body), record.headers["WARC-Target-URI"]
                checked += 1
    assert checked >= len(SAME)


def test_warcio_check_digests_the_chunk_framing_so_it_flags_chunked_records(crawl) -> None:
    """Documents webrecorder/warcio#74 (README, "Which readers agree"): when warcio is fixed,
    this fails, and the README's table must say so."""
    _, _, result = crawl
    warcio = Path(sys.executable).parent / "warcio"
    done = subprocess.run([str(warcio), "check", "-v", *map(str, result.warc_files())],
                          capture_output=True, text=True, timeout=120)
    flagged = [line for line in done.stdout.splitlines() if "payload digest failed" in line]
    assert done.returncode == 1 and len(flagged) == 2, done.stdout  # the two chunked framings


def test_verify_reads_an_older_writers_framing_digest_as_legacy_not_damage(tmp_path: Path) -> None:
    """A WARC written by warcio itself, whose payload digest covers the chunk framing."""
    framed = chunked(ARTICLE_HTML, 500)
    out = tmp_path / "foreign.warc.gz"
    with open(out, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        http_headers = StatusAndHeaders("200 OK", [("Transfer-Encoding", "chunked")], protocol="HTTP/1.1")
        record = writer.create_warc_record("http://example.com/", "response", payload=io.BytesIO(framed),
                                           http_headers=http_headers)
        writer.write_record(record)
    assert record.rec_headers.get_header("WARC-Payload-Digest") == sha1_label(framed)  # warcio's reading
    report = VerifyReport(tmp_path)
    check_warc(out, out.name, report, {})
    assert report.ok, report.faults
    assert report.counts["legacy_payload_digest"] == 1


def test_verify_still_finds_a_payload_that_matches_neither_reading(tmp_path: Path) -> None:
    block = response(chunked(ARTICLE_HTML, 500), b"Transfer-Encoding: chunked")
    record = warc.response_record("http://example.com/", block, date=warc.warc_date(), ip_address=None,
                                  warcinfo_id=None)
    damaged = record.to_bytes().replace(b"Harbour", b"Harbout", 1)  # one byte changed, same length
    out = tmp_path / "damaged.warc"
    out.write_bytes(damaged)
    report = VerifyReport(tmp_path)
    check_warc(out, out.name, report, {})
    assert any("payload digest failed" in fault.message for fault in report.faults), report.faults
