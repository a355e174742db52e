"""A hostile web, small: every response whose head arrived reaches the WARC, as it came.

One crawl of the hostile server (:mod:`tests.support.hostile`), one start URL per kind of odd
or malformed response; the records are read back with warcio and FastWARC.
"""

from __future__ import annotations

import base64
import json
from collections import Counter

import pytest
from fastwarc.warc import ArchiveIterator as FastArchiveIterator
from warcio.archiveiterator import ArchiveIterator

from scraper.archive.verify import verify_crawl
from tests.support.crawl import CrawlResult, run_crawl
from tests.support.hostile import KINDS, HostileServer

#: Complete responses that no HTTP/1.1 parser should accept as they are.
ODD_HEADS = [
    "status-letters", "status-empty", "http2-version", "icy-version", "long-status", "long-header",
    "length-negative", "length-letters", "length-conflict", "space-before-colon", "nul-in-name",
]
#: Kinds served in the small crawl: the odd heads, and some of each other family.
SMALL = [*ODD_HEADS, "ok", "chunked", "gzip", "bare-lf", "folded-header", "status-999", "no-colon-line",
         "cut-body", "reset-body", "chunk-size-letters", "cut-head", "reset-at-once", "garbage",
         "continue", "early-hints", "two-interims"]


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[HostileServer, str, CrawlResult]:
    server = HostileServer(stall=2)
    base = server.start()
    urls_file = tmp_path_factory.mktemp("urls") / "urls.txt"
    urls_file.write_text("".join(f"{base}/h/{kind}\n" for kind in SMALL))
    try:
        result = run_crawl(tmp_path_factory.mktemp("archive"), {"urls_file": str(urls_file), "requisites": "0"},
                           {"DOWNLOAD_TIMEOUT": "3", "RETRY_TIMES": "0"})
    finally:
        server.stop()
    assert result.returncode == 0, result.log
    return server, base, result


def response_records(result: CrawlResult) -> dict[str, tuple[bytes, str | None]]:
    """WARC-Target-URI -> (the response record's block, its WARC-Truncated)."""
    records = {}
    for path in result.warc_files():
        with open(path, "rb") as f:
            for record in ArchiveIterator(f, no_record_parse=True):
                if record.rec_type == "response":
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    records[uri] = (record.raw_stream.read(), record.rec_headers.get_header("WARC-Truncated"))
    return records


def test_every_response_whose_head_arrived_is_archived(hostile_crawl) -> None:
    server, base, result = hostile_crawl
    records = response_records(result)
    sent_with_head = {sent.path for sent in server.log if sent.head and sent.path.startswith("/h/")}
    assert sent_with_head == {f"/h/{kind}" for kind in SMALL if KINDS[kind].head}
    missing = sorted(path for path in sent_with_head if base + path not in records)
    assert not missing
    # nothing is made up for the exchanges whose head never came
    assert {base + "/h/cut-head", base + "/h/reset-at-once", base + "/h/garbage"}.isdisjoint(records)


def test_complete_responses_with_an_odd_head_are_kept_byte_for_byte(hostile_crawl) -> None:
    server, base, result = hostile_crawl
    records = response_records(result)
    for kind in ODD_HEADS:
        block, truncated = records[f"{base}/h/{kind}"]
        assert block == KINDS[kind].make(server), kind
        assert truncated is None, kind
    # cut short: what came, marked
    block, truncated = records[f"{base}/h/cut-body"]
    assert block == KINDS["cut-body"].make(server) and truncated == "disconnect"


def test_odd_heads_are_counted_and_logged_on_one_line_each(hostile_crawl) -> None:
    _, _, result = hostile_crawl
    stats = result.manifest["stats"]
    assert stats["archive/warc/malformed"] == len(ODD_HEADS) + 1  # and the chunk size in letters
    lines = [line for line in result.log.splitlines() if "no HTTP parser accepts it" in line]
    assert Counter(line.split(" as received")[0].rsplit("/h/", 1)[1] for line in lines) == Counter(
        [*ODD_HEADS, "chunk-size-letters"])
    assert "Traceback" not in result.log
    assert "] ERROR:" not in result.log.replace("[scrapy.downloadermiddlewares.retry] ERROR: Gave up", "")


def test_the_archive_reads_back_with_two_readers(hostile_crawl) -> None:
    _, _, result = hostile_crawl
    report = verify_crawl(result.crawl_dir)
    assert report.ok, report.faults
    for path in result.warc_files():
        with open(path, "rb") as f:
            digests_match = [record.verify_block_digest() for record in FastArchiveIterator(f, parse_http=False)]
        assert digests_match and all(digests_match)


@pytest.mark.parametrize("kind", ["continue", "early-hints", "two-interims"])
def test_interim_responses_are_kept_beside_the_final_response(hostile_crawl, kind) -> None:
    server, base, result = hostile_crawl
    uri = f"{base}/h/{kind}"
    sent = KINDS[kind].make(server)
    final = sent[sent.index(b"HTTP/1.1 200 OK"):]
    responses, interims = {}, {}
    for path in result.warc_files():
        with open(path, "rb") as f:
            for record in ArchiveIterator(f, no_record_parse=True):
                headers = record.rec_headers
                if headers.get_header("WARC-Target-URI") != uri:
                    continue
                if record.rec_type == "response":
                    responses[headers.get_header("WARC-Record-ID")] = record.raw_stream.read()
                elif record.rec_type == "metadata":
                    interims[headers.get_header("WARC-Concurrent-To")] = record.raw_stream.read()
    [(record_id, block)] = responses.items()
    assert block == final  # the response record is the final response, as sent
    fields = [line.split(": ", 1) for line in interims[record_id].decode().splitlines()]
    kept = b"".join(base64.b64decode(value) for name, value in fields if name == "http-interim-response-bytes")
    assert kept + block == sent  # nothing lost, nothing added
    assert [value for name, value in fields if name == "http-interim-response"] == [
        line.decode() for line in sent.split(b"\r\n") if line.startswith(b"HTTP/1.1 1")]
    [line] = [line for path in (result.crawl_dir / "indexes").glob("*.cdxj")
              for line in path.read_text().splitlines() if f"/h/{kind}" in line]
    assert json.loads(line.split(" ", 2)[2])["status"] == "200"
