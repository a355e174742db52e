"""A crawl writes every HTTP exchange to WARC exactly as it crossed the wire.

The raw test site answers with hand-written bytes (chunked, gzip, repeated headers,
odd reason phrases); the records must hold those bytes, read back with warcio.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from scraper.archive.verify import verify_crawl
from tests.support.crawl import crawl_raw_site
from tests.support.rawsite import (
    ARTICLE_HTML,
    ARTICLE_PARAGRAPHS,
    CUT_ARTICLE,
    RESPONSES,
    RawSite,
    entity_body_of,
    self_signed_context,
)
from tests.support.warcio_check import warcio_check_faults
from tests.support.warcs import assert_rows_point_at_responses, records

FETCHED = ["/article?id=7&lang=en", "/gzipped", "/gzipped-chunked", "/moved", "/missing", "/doc.pdf", "/teapot"]


def sha1_label(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory):
    return crawl_raw_site(tmp_path_factory.mktemp("archive"), [*FETCHED, "/private/secret"])


def raw_blocks(result, warc_type: str) -> dict[str, bytes]:
    """WARC-Target-URI -> exact block bytes (decompress each record, split off WARC headers)."""
    blocks: dict[str, bytes] = {}
    for path in result.warc_files():
        data = gzip.decompress(path.read_bytes())
        for chunk in data.split(b"WARC/1.1\r\n")[1:]:
            head, rest = chunk.split(b"\r\n\r\n", 1)
            fields = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
            if fields["WARC-Type"] != warc_type:
                continue
            length = int(fields["Content-Length"])
            blocks[fields["WARC-Target-URI"]] = rest[:length]
    return blocks


def test_response_records_hold_the_bytes_sent(crawl) -> None:
    _, base, result = crawl
    blocks = raw_blocks(result, "response")
    for path in FETCHED:
        assert blocks[base + path] == RESPONSES[path], path


def test_request_records_hold_the_bytes_received_by_the_server(crawl) -> None:
    site, base, result = crawl
    blocks = raw_blocks(result, "request")
    received = {head.split(b" ", 2)[1].decode(): head for head in site.received}
    for path in FETCHED:
        assert blocks[base + path] == received[path], path
    # what a replay or a reader learns from the request record
    assert b"User-Agent: news-archiver/" in blocks[base + "/gzipped"]
    assert b"Accept-Encoding: " in blocks[base + "/gzipped"]


def test_records_carry_digests_ip_and_links(crawl) -> None:
    _, base, result = crawl
    responses, requests = {}, {}
    for record in records(result.warc_files()):
        h = record.rec_headers
        if record.rec_type == "response":
            responses[h.get_header("WARC-Target-URI")] = h
        elif record.rec_type == "request":
            requests[h.get_header("WARC-Target-URI")] = h
    for path in FETCHED:
        response, request = responses[base + path], requests[base + path]
        assert request.get_header("WARC-Concurrent-To") == response.get_header("WARC-Record-ID")
        assert response.get_header("WARC-IP-Address") == "127.0.0.1"
        # WARC 1.1 section 6.3.2: the payload is the body with its transfer coding removed
        assert response.get_header("WARC-Payload-Digest") == sha1_label(entity_body_of(path))
        assert response.get_header("WARC-Block-Digest") == sha1_label(RESPONSES[path])


def test_readers_decode_chunked_and_gzip_bodies(crawl) -> None:
    _, base, result = crawl
    seen = {
        record.rec_headers.get_header("WARC-Target-URI"): record.content_stream().read()
        for record in records(result.warc_files(), "response")
    }
    for path in ("/article?id=7&lang=en", "/gzipped", "/gzipped-chunked"):
        assert seen[base + path] == ARTICLE_HTML, path


def test_status_lines_and_repeated_headers_kept(crawl) -> None:
    _, base, result = crawl
    statuses, cookies = {}, {}
    for record in records(result.warc_files(), "response"):
        uri = record.rec_headers.get_header("WARC-Target-URI")
        statuses[uri] = record.http_headers.protocol + " " + record.http_headers.statusline
        cookies[uri] = [v for k, v in record.http_headers.headers if k.lower() == "set-cookie"]
    assert statuses[base + "/moved"] == "HTTP/1.1 301 Moved Permanently"
    assert statuses[base + "/missing"] == "HTTP/1.1 404 Page Went Missing"
    assert statuses[base + "/teapot"] == "HTTP/1.1 418 I'm a teapot"
    assert cookies[base + "/article?id=7&lang=en"] == ["a=1; Path=/", "b=2; Path=/"]


def test_warcio_check_passes_but_for_its_reading_of_chunked_payload_digests(crawl) -> None:
    """warcio digests the chunk framing (webrecorder/warcio#74); every other check passes."""
    _, _, result = crawl
    assert result.warc_files()
    assert warcio_check_faults(result.warc_files()) == []


def test_robots_disallowed_path_is_never_fetched(crawl) -> None:
    site, base, result = crawl
    assert "/private/secret" not in site.paths()
    assert base + "/robots.txt" in raw_blocks(result, "response")  # robots.txt is archived too


def test_article_row_points_at_its_response_record(crawl) -> None:
    _, base, result = crawl
    rows = {row["url"]: row for row in result.text_rows()}
    # the article is reached three ways; a 301 and error pages get no row
    assert set(rows) == {base + "/article?id=7&lang=en", base + "/gzipped", base + "/gzipped-chunked"}
    assert_rows_point_at_responses(list(rows.values()), result.crawl_dir / "warc")
    for row in rows.values():
        for paragraph in ARTICLE_PARAGRAPHS:
            assert paragraph in row["text"]
        assert row["title"] == "Harbour terminal to open next spring"
        assert row["published"].startswith("2020-03-02")


def test_manifest_lists_every_file_with_size_and_sha256(crawl) -> None:
    _, _, result = crawl
    manifest = result.manifest
    listed = {entry["path"]: entry for entry in manifest["files"]}
    on_disk = {
        p.relative_to(result.crawl_dir).as_posix()
        for p in result.crawl_dir.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert set(listed) == on_disk
    for relpath, entry in listed.items():
        data = (result.crawl_dir / relpath).read_bytes()
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["crawl_id"] == "test-crawl"
    assert manifest["stats"]["archive/warc/responses"] >= len(FETCHED)
    assert not list(result.crawl_dir.rglob("*.open"))


def test_https_exchanges_are_recorded_as_plain_http(tmp_path) -> None:
    """Over TLS the records hold the HTTP bytes inside the encryption, as Heritrix does."""
    site = RawSite(tls=self_signed_context(tmp_path))
    _, base, result = crawl_raw_site(
        tmp_path / "archive", ["/article?id=7&lang=en", "/gzipped-chunked", "/moved"], {"requisites": "0"}, site=site
    )
    assert base.startswith("https://")
    blocks = raw_blocks(result, "response")
    for path in ("/article?id=7&lang=en", "/gzipped-chunked", "/moved", "/gzipped"):
        assert blocks[base + path] == RESPONSES[path], path
    assert {row["url"] for row in result.text_rows()} == {
        base + "/article?id=7&lang=en",
        base + "/gzipped-chunked",
        base + "/gzipped",
    }


def _response_records(result) -> list[tuple[dict[str, str], bytes]]:
    """(WARC headers, block) of every response record, in file order, read with warcio."""
    return [
        (dict(record.rec_headers.headers), record.content_stream().read())
        for record in records(result.warc_files(), "response", arc2warc=False, no_record_parse=True)
    ]


def test_a_response_cut_off_mid_body_is_archived_as_received_marked_truncated(tmp_path) -> None:
    """The connection drops halfway through the body: what arrived is kept, marked
    ``WARC-Truncated: disconnect``; the retry's whole response is archived after it and
    is the one the text row points at."""
    _, base, result = crawl_raw_site(tmp_path / "archive", ["/cut-once"], {"requisites": "0"})
    url = base + "/cut-once"
    exchanges = [(headers, block) for headers, block in _response_records(result) if headers["WARC-Target-URI"] == url]
    assert [headers.get("WARC-Truncated") for headers, _ in exchanges] == ["disconnect", None]
    (cut_headers, cut_block), (whole_headers, whole_block) = exchanges
    assert cut_block == CUT_ARTICLE
    assert whole_block == RESPONSES["/cut-once"]
    assert cut_headers["WARC-Block-Digest"] == sha1_label(CUT_ARTICLE)
    assert cut_headers["WARC-Payload-Digest"] == sha1_label(CUT_ARTICLE.split(b"\r\n\r\n", 1)[1])
    assert result.manifest["stats"]["archive/warc/truncated/disconnect"] == 1
    assert [row["warc_record_id"] for row in result.text_rows()] == [whole_headers["WARC-Record-ID"]]
    warcio = str(Path(sys.executable).with_name("warcio"))
    done = subprocess.run([warcio, "check", *map(str, result.warc_files())], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    report = verify_crawl(result.crawl_dir)  # indexes, WET, WACZ and manifest agree with it
    assert report.ok, report


def test_a_response_over_the_size_limit_is_archived_up_to_where_it_stopped(tmp_path) -> None:
    """Scrapy cancels a download past DOWNLOAD_MAXSIZE; the bytes that came are kept,
    marked ``WARC-Truncated: length``, and nothing is extracted from them."""
    path = "/long"  # chunked, about 150 kB: no Content-Length, so it stops mid-stream
    _, base, result = crawl_raw_site(tmp_path / "archive", [path], {"requisites": "0"},
                                     {"DOWNLOAD_MAXSIZE": "1000"})
    exchanges = [(headers, block) for headers, block in _response_records(result)
               if headers["WARC-Target-URI"] == base + path]
    assert len(exchanges) == 1
    headers, block = exchanges[0]
    assert headers["WARC-Truncated"] == "length"
    assert RESPONSES[path].startswith(block) and 1000 < len(block) < len(RESPONSES[path])
    assert result.manifest["stats"]["archive/warc/truncated/length"] == 1
    assert result.text_rows() == []
