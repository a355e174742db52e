"""``scrapy reextract`` makes text and WET again from WARCs, ours and other crawlers'.

The story: crawl the raw test site and re-extract the crawl; fetch the same pages with
wget into its own WARC and re-extract that; then a WARC with every odd record a reader
meets (revisits, truncated and non-HTML records, a 404, a file cut mid-record) goes
through without stopping, each oddity counted.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scraper.archive.sources import ArchiveFile
from scraper.archive.textrows import TEXT_ROW_FIELDS
from scraper.archive.verify import verify_crawl
from scraper.extract.model import extractor_name
from scraper.tools.reextract import find_warcs, html_records, reextract
from tests.support.crawl import ROOT, CrawlResult, crawl_raw_site, reextract_project, run_scrapy
from tests.support.rawsite import ARTICLE_HTML, ARTICLE_PARAGRAPHS, GZIPPED_ARTICLE, RawSite
from tests.support.warcs import assert_rows_point_at_responses, read_text_rows, records

PAGES = ["/article?id=7&lang=en", "/gzipped", "/gzipped-chunked", "/moved", "/missing", "/doc.pdf"]
ARTICLES = {"/article?id=7&lang=en", "/gzipped", "/gzipped-chunked"}
#: What ``scrapy reextract`` passes with the project's settings.
PROJECT = reextract_project()


def scrapy_reextract(source: Path, dest: Path) -> subprocess.CompletedProcess[str]:
    return run_scrapy("reextract", str(source), str(dest), "--workers", "2")


def wet_refers_to(folder: Path) -> list[str]:
    conversions = records(sorted((folder / "wet").glob("*.warc.wet.gz")), "conversion")
    return [r.rec_headers.get_header("WARC-Refers-To") for r in conversions]


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, CrawlResult]:
    _, base, result = crawl_raw_site(tmp_path_factory.mktemp("archive"), PAGES)
    return base, result


def test_reextracting_a_crawl_gives_its_rows_again_pointing_at_the_same_records(crawl, tmp_path: Path) -> None:
    base, result = crawl
    dest = tmp_path / "again"
    done = scrapy_reextract(result.crawl_dir, dest)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Re-extracted 3 articles from 3 HTML records of 1 WARC files" in done.stderr
    rows, before = read_text_rows(dest), read_text_rows(result.crawl_dir)
    key = ("url", "warc_filename", "warc_offset", "warc_record_id", "payload_digest", "fetched_at")
    assert sorted(tuple(r[k] for k in key) for r in rows) == sorted(tuple(r[k] for k in key) for r in before)
    assert {r["url"] for r in rows} == {base + p for p in ARTICLES}
    # The README's schema, field for field and in order, from the crawl and from reextract alike.
    schema = (ROOT / "README.md").read_text().split("### Text rows", 1)[1].split("\n#", 1)[0]
    assert list(TEXT_ROW_FIELDS) == re.findall(r"^\| `(\w+)` \|", schema, re.MULTILINE)
    assert all(list(row) == list(TEXT_ROW_FIELDS) for row in rows + before)
    for row in rows:
        assert row["extractor"] == extractor_name()
        assert all(paragraph in row["text"] for paragraph in ARTICLE_PARAGRAPHS)
    assert sorted(wet_refers_to(dest)) == sorted(r["warc_record_id"] for r in rows)
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["extractor"] == extractor_name()
    assert manifest["counts"]["articles"] == 3 and manifest["counts"]["not_200"] == 2  # the 301 and the 404
    assert manifest["counts"]["not_html"] == 2  # robots.txt and the PDF
    assert {entry["path"] for entry in manifest["files"]} == {
        p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file() and p.name != "manifest.json"
    }


def test_a_reextraction_never_overwrites_an_earlier_one(crawl, tmp_path: Path) -> None:
    _, result = crawl
    reextract(result.crawl_dir, tmp_path / "once", workers=1, **PROJECT)
    before = {path: path.read_bytes() for path in (tmp_path / "once").rglob("*") if path.is_file()}
    with pytest.raises(FileExistsError):
        reextract(result.crawl_dir, tmp_path / "once", workers=1, **PROJECT)
    after = {path: path.read_bytes() for path in (tmp_path / "once").rglob("*") if path.is_file()}
    assert after == before and tmp_path / "once" / "manifest.json" in after


def test_a_wget_warc_is_reextracted(tmp_path: Path) -> None:
    wget = shutil.which("wget")
    if wget is None:
        pytest.skip("wget is not installed (apt-get install -y wget): cannot make a WARC with another crawler")
    site = RawSite()
    base = site.start()
    try:
        # wget exits 8 for the 404; what matters is the WARC it wrote
        subprocess.run([wget, "--quiet", "--tries=1", "--delete-after", "--warc-file=wget-crawl",
                        *(base + p for p in PAGES)], cwd=tmp_path, timeout=120)
    finally:
        site.stop()
    warc_path = tmp_path / "wget-crawl.warc.gz"
    assert find_warcs(tmp_path) == [ArchiveFile(warc_path)]
    result = reextract(warc_path, tmp_path / "text-of-wget", workers=2, **PROJECT)
    rows = read_text_rows(tmp_path / "text-of-wget")
    # wget follows the redirect to /gzipped and archives that response a second time
    assert sorted(r["url"] for r in rows) == sorted([base + p for p in ARTICLES] + [base + "/gzipped"])
    assert_rows_point_at_responses(rows, tmp_path)
    assert all(ARTICLE_PARAGRAPHS[0] in row["text"] for row in rows)  # chunked and gzip bodies decoded
    assert result.counts["resource_records"] == 0  # wget's log and arguments are resources: not HTML
    assert result.counts["not_html"] >= 3 and result.counts["metadata_records"] == 1
    assert (tmp_path / "text-of-wget" / "wet" / "wget-crawl.warc.wet.gz").exists()


def http_response(status: str, headers: list[tuple[str, str]], body: bytes) -> tuple[StatusAndHeaders, io.BytesIO]:
    return StatusAndHeaders(status, headers, protocol="HTTP/1.1"), io.BytesIO(body)


def chunked(body: bytes, size: int = 300) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


def write_odd_warc(path: Path) -> None:
    """A WARC as other tools write them, with every kind of record a reader must survive."""
    url = "http://news.example/story?id=1"
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)

        def write(kind: str, uri: str, body: bytes, http: StatusAndHeaders | None = None, **warc: str) -> None:
            record = writer.create_warc_record(uri, kind, payload=io.BytesIO(body), http_headers=http,
                                               warc_headers_dict=warc or None)
            writer.write_record(record)

        writer.write_record(writer.create_warcinfo_record("odd.warc.gz", {"software": "handmade"}))
        gzip_chunked = chunked(GZIPPED_ARTICLE)
        write("response", url, gzip_chunked, StatusAndHeaders("200 OK", [
            ("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"),
            ("Transfer-Encoding", "chunked")], protocol="HTTP/1.1"))
        write("request", url, b"", StatusAndHeaders("GET /story?id=1 HTTP/1.1", [("Host", "news.example")],
                                                    is_http_request=True))
        revisit = writer.create_revisit_record(url, digest="sha1:AAAA", refers_to_uri=url,
                                               refers_to_date="2020-01-01T00:00:00Z")
        writer.write_record(revisit)
        write("response", "http://news.example/cut", ARTICLE_HTML[: len(ARTICLE_HTML) * 3 // 4],
              StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"),
              **{"WARC-Truncated": "length"})
        write("response", "http://news.example/logo.png", b"\x89PNG\r\n\x1a\n",
              StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1"))
        write("response", "http://news.example/gone", b"<html>gone</html>",
              StatusAndHeaders("404 Not Found", [("Content-Type", "text/html")], protocol="HTTP/1.1"))
        write("resource", "http://news.example/saved", ARTICLE_HTML, None, **{"Content-Type": "text/html"})
        write("metadata", url, b"outlink: http://news.example/\r\n", None,
              **{"Content-Type": "application/warc-fields"})
        write("response", "http://news.example/last", ARTICLE_HTML,
              StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"))
    data = path.read_bytes()
    path.write_bytes(data[:-200])  # the file ends inside its last record


def test_odd_records_are_counted_not_fatal(tmp_path: Path) -> None:
    source = tmp_path / "warcs"
    source.mkdir()
    write_odd_warc(source / "odd.warc.gz")
    shutil.copy(source / "odd.warc.gz", source / "twin.warc.gz")
    result = reextract(source, tmp_path / "out", workers=2, **PROJECT)
    counts = result.counts
    assert counts["warc_files"] == 2
    per_file = {name: value // 2 for name, value in counts.items()}
    assert per_file["revisits"] == 1
    assert per_file["truncated_records"] == 1
    assert per_file["not_html"] == 1 and per_file["not_200"] == 1
    assert per_file["request_records"] == 1 and per_file["metadata_records"] == 1
    assert per_file["cut_records"] == 1
    rows = read_text_rows(tmp_path / "out")
    urls = sorted(r["url"] for r in rows)
    assert urls == sorted(["http://news.example/story?id=1", "http://news.example/cut",
                           "http://news.example/saved"] * 2)
    assert all(ARTICLE_PARAGRAPHS[0] in r["text"] for r in rows)
    assert {r["warc_filename"] for r in rows} == {"odd.warc.gz", "twin.warc.gz"}
    assert all(r["payload_digest"].startswith("sha1:") for r in rows)


def test_a_reextraction_of_a_crawl_verifies_its_pointers(crawl, tmp_path: Path) -> None:
    """Rows made again point at the crawl's responses exactly as the crawl's own rows do."""
    _, result = crawl
    dest = tmp_path / "again"
    reextract(result.crawl_dir, dest, workers=1, **PROJECT)
    assert_rows_point_at_responses(read_text_rows(dest), result.crawl_dir / "warc")
    assert verify_crawl(result.crawl_dir).ok


def test_a_warc_cut_anywhere_yields_only_whole_pages(crawl, tmp_path: Path) -> None:
    """Wherever a crash cut the file, reading stops cleanly and no half page is extracted."""
    _, result = crawl
    data = result.warc_files()[0].read_bytes()
    path = tmp_path / "cut.warc.gz"
    totals: Counter[str] = Counter()
    for cut in range(1, len(data), 11):
        path.write_bytes(data[:cut])
        counts: Counter[str] = Counter()
        for job in html_records(path, counts):
            assert job.html == ARTICLE_HTML, (cut, job.url)
        totals.update(counts)
    assert totals["cut_records"] and totals["files_cut"] and totals["html_records"]
