"""Pages sent br and zstd are archived as they came, and our readers decode them.

warcio 1.8 cannot decode Brotli (with brotli 1.2) and knows no zstd: the crawler asks only
for ``ARCHIVE_ACCEPT_ENCODING`` (gzip, deflate by default), and reextract decodes all four.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import zlib
from pathlib import Path

import brotli
import pytest
import zstandard
from warcio.archiveiterator import ArchiveIterator

from scraper.archive.codings import DecodeError, TooLarge, decode_body
from scraper.archive.verify import verify_crawl
from scraper.extract.model import ExtractionOptions
from scraper.settings import ARCHIVE_GZIP_LEVEL, ARCHIVE_MIN_TEXT_CHARS
from scraper.tools.reextract import reextract
from tests.support.crawl import crawl_raw_site
from tests.support.rawsite import ARTICLE_HTML, ARTICLE_PARAGRAPHS

PAGES = ["/brotli", "/zstd", "/not-brotli", "/gzipped"]


@pytest.mark.parametrize("coding, body", [
    ("gzip", gzip.compress(ARTICLE_HTML)),
    ("deflate", zlib.compress(ARTICLE_HTML)),
    ("deflate", zlib.compress(ARTICLE_HTML)[2:-4]),  # raw deflate, as some servers send it
    ("br", brotli.compress(ARTICLE_HTML)),
    ("zstd", zstandard.ZstdCompressor().compress(ARTICLE_HTML)),
    ("gzip, br", brotli.compress(gzip.compress(ARTICLE_HTML))),
])
def test_every_coding_decodes(coding: str, body: bytes) -> None:
    assert decode_body(body, coding, 1 << 20) == ARTICLE_HTML


@pytest.mark.parametrize("coding, compress", [
    ("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress),
    ("zstd", zstandard.ZstdCompressor().compress),
])
def test_a_decompression_bomb_stops_at_the_cap(coding: str, compress) -> None:
    with pytest.raises(TooLarge):
        decode_body(compress(b"\0" * (64 << 20)), coding, 1 << 20)
    with pytest.raises(DecodeError):
        decode_body(b"not compressed at all", coding, 1 << 20)


def test_only_gzip_and_deflate_are_asked_for_by_default(tmp_path: Path) -> None:
    site, _, _ = crawl_raw_site(tmp_path, ["/gzipped"])
    heads = [head.lower() for head in site.received]
    assert heads and all(b"\r\naccept-encoding: gzip, deflate\r\n" in head for head in heads), heads


def test_br_and_zstd_pages_are_crawled_then_reextracted_and_verified(tmp_path: Path) -> None:
    site, base, result = crawl_raw_site(tmp_path / "archive", PAGES,
                                        settings={"ARCHIVE_ACCEPT_ENCODING": "gzip, deflate, br, zstd"})
    assert all(b"accept-encoding: gzip, deflate, br, zstd\r\n" in head.lower() for head in site.received)
    # The crawl's own text: Scrapy decodes both codings for the extractor.
    assert {row["url"] for row in result.text_rows()} >= {base + "/brotli", base + "/zstd"}

    report = verify_crawl(result.crawl_dir)
    assert report.ok, report.summary()
    # The console script, from a folder outside the project.
    script = Path(sys.executable).parent / "news-archiver"
    done = subprocess.run([str(script), "verify", str(result.crawl_dir)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and "OK: no faults" in done.stdout, done.stdout + done.stderr

    again = reextract(
        result.crawl_dir, tmp_path / "again", workers=1,
        options=ExtractionOptions(min_text_chars=ARCHIVE_MIN_TEXT_CHARS), gzip_level=ARCHIVE_GZIP_LEVEL,
    )
    counts = again.counts
    assert counts["articles"] == 3 and counts["decode_errors"] == 1, counts  # /not-brotli is not br
    assert not counts["files_cut"] and not counts["cut_records"]

    # warcio reads every record of the file, and decodes what it can (the gzip page).
    with open(result.warc_files()[0], "rb") as f:
        responses = {r.rec_headers.get_header("WARC-Target-URI"): r.content_stream().read()
                     for r in ArchiveIterator(f) if r.rec_type == "response"
                     and not r.rec_headers.get_header("WARC-Target-URI").endswith(("brotli", "/robots.txt"))}
    assert ARTICLE_PARAGRAPHS[0].encode() in responses[base + "/gzipped"]
    assert responses[base + "/zstd"] != ARTICLE_HTML  # warcio 1.8 knows no zstd: the bytes stay coded
