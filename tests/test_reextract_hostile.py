"""``scrapy reextract`` survives hostile pages.

The story: a WARC holds an article, the hostile server's 8 MiB page (seconds of
extraction) and another article. Over the size cap (the default) the big page is counted
and skipped, and both articles get their rows.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scraper.settings import ARCHIVE_MAX_EXTRACT_BYTES
from scraper.tools.reextract import reextract
from tests.support.crawl import reextract_project
from tests.support.hostile import HostileServer
from tests.support.rawsite import ARTICLE_HTML
from tests.support.warcs import read_text_rows

#: What ``scrapy reextract`` passes with the project's settings.
PROJECT = reextract_project()


def write_warc(path: Path, pages: dict[str, bytes]) -> dict[str, int]:
    """A WARC of HTML responses (status 200), in the order given; returns each record's offset by URL."""
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for url, body in pages.items():
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))
    with open(path, "rb") as f:
        iterator = ArchiveIterator(f)
        return {record.rec_headers.get_header("WARC-Target-URI"): iterator.get_record_offset() for record in iterator}


def article(number: int) -> bytes:
    return ARTICLE_HTML.replace(b"</h1>", b" %d</h1>" % number, 1)


@pytest.fixture(scope="module")
def huge_warc(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("hostile") / "hostile.warc.gz"
    pages = {"http://news.example/first": article(1), "http://news.example/huge": HostileServer().huge_page,
             "http://news.example/last": article(2)}
    return path, write_warc(path, pages)


def test_the_huge_page_is_over_the_size_cap_and_skipped_by_default(huge_warc, tmp_path: Path, caplog) -> None:
    source, offsets = huge_warc
    with caplog.at_level(logging.WARNING, logger="scraper.tools.reextract"):
        result = reextract(source, tmp_path / "out", workers=1, **PROJECT)
    assert [row["url"] for row in read_text_rows(tmp_path / "out")] == ["http://news.example/first",
                                                                        "http://news.example/last"]
    assert result.counts["too_large"] == 1 and result.counts["html_records"] == 2
    assert f"Not extracting http://news.example/huge (hostile.warc.gz:{offsets['http://news.example/huge']}): " \
           f"over {ARCHIVE_MAX_EXTRACT_BYTES} bytes decoded" in caplog.text
