"""Files made from the finished ones: a CDXJ index per WARC, WET per text segment, a WACZ.

The story: crawl the raw test site with the default derivers, then read each derived
file as its users would: the index with pywb's CDXJ fields pointing at records, the
WET with warcio, the WACZ with ``wacz validate`` and as a zip.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import struct
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from scraper.archive import warc
from scraper.archive.cdxj import write_cdxj
from scraper.archive.wet import WetWriter, iso639_3, wet_fields, wet_text
from tests.support.crawl import CrawlResult, crawl_raw_site
from tests.support.replay import ensure_pywb_venv
from tests.support.warcs import record_at

PAGES = ["/article?id=7&lang=en", "/gzipped", "/gzipped-chunked", "/moved", "/missing", "/doc.pdf"]


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, CrawlResult]:
    _, base, result = crawl_raw_site(tmp_path_factory.mktemp("archive"), PAGES)
    return base, result


def cdxj_lines(path: Path) -> list[tuple[str, str, dict]]:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        urlkey, timestamp, fields = line.split(" ", 2)
        lines.append((urlkey, timestamp, json.loads(fields)))
    return lines


# -- CDXJ ------------------------------------------------------------------------------


def test_each_warc_has_a_sorted_cdxj_index_pointing_at_its_records(crawl) -> None:
    base, result = crawl
    for warc_path in result.warc_files():
        index = result.crawl_dir / "indexes" / warc_path.name.replace(".warc.gz", ".cdxj")
        lines = cdxj_lines(index)
        assert [line[:2] for line in lines] == sorted(line[:2] for line in lines)
        by_url = {fields["url"]: fields for _, _, fields in lines}
        assert by_url[base + "/moved"]["status"] == "301"
        assert by_url[base + "/article?id=7&lang=en"]["mime"] == "text/html"
        assert by_url[base + "/doc.pdf"]["mime"] == "application/pdf"
        for _, timestamp, fields in lines:
            assert fields["filename"] == warc_path.name
            _, headers = record_at(warc_path, int(fields["offset"]))
            assert headers["WARC-Target-URI"] == fields["url"]
            assert headers["WARC-Payload-Digest"] == fields["digest"]
            assert re.sub(r"\D", "", headers["WARC-Date"]).startswith(timestamp)


def test_derived_files_are_in_the_manifest(crawl) -> None:
    _, result = crawl
    listed = {entry["path"]: entry for entry in result.manifest["files"]}
    derived = [p for p in result.crawl_dir.rglob("*") if p.is_file() and p.parts[-2] in ("indexes", "wet")]
    derived.append(result.crawl_dir / "test-crawl.wacz")
    assert len(derived) == 3
    for path in derived:
        entry = listed[path.relative_to(result.crawl_dir).as_posix()]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.manifest["stats"]["archive/wet/records"] == len(result.text_rows())


# -- WET -------------------------------------------------------------------------------


def test_wet_has_a_conversion_record_per_text_row(crawl) -> None:
    _, result = crawl
    rows = {row["warc_record_id"]: row for row in result.text_rows()}
    wet_files = sorted((result.crawl_dir / "wet").glob("*.warc.wet.gz"))
    assert [p.name.replace(".warc.wet.gz", "") for p in wet_files] == [
        p.name.replace(".jsonl.gz", "") for p in sorted((result.crawl_dir / "text").glob("*.jsonl.gz"))
    ]
    conversions = []
    for path in wet_files:
        with open(path, "rb") as f:
            records = list(_read_all(f))
        assert records[0][0].get_header("WARC-Type") == "warcinfo"
        assert b"isPartOf: test-crawl" in records[0][1]
        conversions += records[1:]
    assert len(conversions) == len(rows) == 3
    for headers, block in conversions:
        row = rows[headers.get_header("WARC-Refers-To")]
        assert headers.get_header("WARC-Type") == "conversion"
        assert headers.get_header("WARC-Target-URI") == row["url"]
        assert headers.get_header("WARC-Date") == row["fetched_at"]
        assert headers.get_header("Content-Type") == "text/plain"
        assert headers.get_header("WARC-Identified-Content-Language") == iso639_3(row["language"])
        assert block.decode("utf-8") == wet_text(row)


def _read_all(f: BinaryIO) -> Iterator[tuple[StatusAndHeaders, bytes]]:
    for record in ArchiveIterator(f, check_digests=True):
        block = record.raw_stream.read()
        assert record.digest_checker.passed is not False, record.digest_checker.problems
        yield record.rec_headers, block


def test_wet_records_read_back_with_warcio_each_its_own_gzip_member() -> None:
    out = io.BytesIO()
    writer = WetWriter(out, "x.warc.wet.gz", wet_fields("crawl-1", "x.warc.gz", "test-extractor/1"), gzip_level=2)
    row = {"url": "http://example.com/a?b=c", "title": "Title", "text": "First.\n\nSecond.", "language": "de",
           "fetched_at": "2020-03-02T10:00:00.000000Z", "warc_record_id": "<urn:uuid:1>"}
    record = writer.write_row(row)
    out.seek(0)
    read = list(_read_all(out))
    assert read[1][1] == b"Title\n\nFirst.\n\nSecond."
    assert read[1][0].get_header("WARC-Identified-Content-Language") == "deu"
    assert read[1][0].get_header("WARC-Record-ID") == record.record_id
    assert read[1][0].get_header("WARC-Warcinfo-ID") == writer.warcinfo_id
    # each record is its own gzip member
    assert out.getvalue().count(b"\x1f\x8b\x08") >= 2


def test_conversion_record_bytes_are_stable() -> None:
    record = warc.conversion_record(
        "http://example.com/", b"text", date="2020-03-02T10:00:00.000000Z", refers_to="<urn:uuid:2>",
        language="eng", record_id="<urn:uuid:3>",
    )
    assert record.to_bytes() == (
        b"WARC/1.1\r\nWARC-Type: conversion\r\nWARC-Record-ID: <urn:uuid:3>\r\n"
        b"WARC-Date: 2020-03-02T10:00:00.000000Z\r\nWARC-Target-URI: http://example.com/\r\n"
        b"WARC-Refers-To: <urn:uuid:2>\r\nWARC-Identified-Content-Language: eng\r\n"
        b"Content-Type: text/plain\r\nWARC-Block-Digest: sha1:G4XKBDFLGPTRYAWGKHN4QOSHJUZMM5XK\r\n"
        b"Content-Length: 4\r\n\r\ntext\r\n\r\n"
    )


@pytest.mark.parametrize(("given", "expected"), [
    ("en", "eng"), ("en-GB", "eng"), ("pt_BR", "por"), ("zh", "zho"), ("fra", "fra"), (None, None), ("xx", "xx"),
])
def test_languages_are_named_as_in_common_crawl(given, expected) -> None:
    assert iso639_3(given) == expected


# -- WACZ ------------------------------------------------------------------------------


def test_wacz_passes_wacz_validate(crawl) -> None:
    _, result = crawl
    venv = ensure_pywb_venv()
    wacz = result.crawl_dir / "test-crawl.wacz"
    done = subprocess.run([str(venv / "bin" / "wacz"), "validate", "-f", str(wacz)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the passed WACZ is valid" in done.stdout


def test_wacz_holds_warcs_index_and_pages_with_text(crawl) -> None:
    _, result = crawl
    with zipfile.ZipFile(result.crawl_dir / "test-crawl.wacz") as zf:
        names = zf.namelist()
        for warc_path in result.warc_files():
            info = zf.getinfo(f"archive/{warc_path.name}")
            assert info.compress_type == zipfile.ZIP_STORED  # readable at any offset
            assert zf.read(info) == warc_path.read_bytes()
        assert zf.getinfo("indexes/index.cdx.gz").compress_type == zipfile.ZIP_STORED
        assert zf.read("indexes/index.idx").startswith(b'!meta 0 {"format": "cdxj-gzip-1.0"')
        index = gzip.decompress(zf.read("indexes/index.cdx.gz")).decode().splitlines()
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").decode().splitlines()]
        package = json.loads(zf.read("datapackage.json"))
        digest = json.loads(zf.read("datapackage-digest.json"))
        resources = {r["path"]: r for r in package["resources"]}
        for name in names:
            if not name.startswith("datapackage"):
                assert resources[name]["hash"] == "sha256:" + hashlib.sha256(zf.read(name)).hexdigest()
    assert len(index) == sum(len(cdxj_lines(p)) for p in (result.crawl_dir / "indexes").glob("*.cdxj"))
    assert package["wacz_version"] == "1.1.1"
    assert digest["hash"] == "sha256:" + hashlib.sha256(
        zipfile.ZipFile(result.crawl_dir / "test-crawl.wacz").read("datapackage.json")).hexdigest()
    assert pages[0] == {"format": "json-pages-1.0", "id": "pages", "title": "Articles", "hasText": True}
    rows = {row["url"]: row for row in result.text_rows()}
    assert {page["url"] for page in pages[1:]} == set(rows)
    for page in pages[1:]:
        row = rows[page["url"]]
        assert page["title"] == row["title"] and page["text"] == row["text"]
        assert page["ts"][:19] == row["fetched_at"][:19] and page["ts"].endswith("Z")


def test_wacz_local_headers_are_plain_zip_for_small_entries(crawl) -> None:
    """ReplayWeb.page cannot load a package whose local headers claim ZIP64 needlessly."""
    _, result = crawl
    path = result.crawl_dir / "test-crawl.wacz"
    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            sizes = struct.unpack("<II", data[info.header_offset + 18 : info.header_offset + 26])
            assert sizes == (info.compress_size, info.file_size), info.filename


def test_a_warc_indexed_on_its_own_gives_the_index_the_crawl_wrote(crawl, tmp_path: Path) -> None:
    """The crawl indexes records as it writes them; cdxj-indexer reading a WARC back agrees, line for line."""
    _, result = crawl
    assert "archive/indexes/lines" not in result.manifest["stats"]  # no WARC was read back to index it
    for warc_path in result.warc_files():
        ours = result.crawl_dir / "indexes" / warc_path.name.replace(".warc.gz", ".cdxj")
        lines = write_cdxj(warc_path, tmp_path / "theirs.cdxj")
        assert ours.read_bytes() == (tmp_path / "theirs.cdxj").read_bytes()
        assert lines == len(ours.read_text().splitlines()) == len(PAGES) + 1  # and robots.txt
    assert [p.name for p in tmp_path.iterdir()] == ["theirs.cdxj"]  # written whole: no .open left
