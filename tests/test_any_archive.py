"""``verify`` and ``reextract`` take what a researcher has, and name what is wrong with it.

The story: crawl the raw test site, then hand the tools its crawl folder, one WARC, a
folder of WARCs and ARCs, and the crawl's WACZ alone; each summary says which kind it
checked. ARC files are built by hand (ARC 1.0, records ending in one LF), as are WARCs
whose lines end in CR CR LF; files are cut at every place, at record boundaries and
inside heads and bodies, gzip and plain: verify names a fault for each cut that loses a
record, reextract counts each record it could not read whole, and warcio reads the
same whole records.
"""

from __future__ import annotations

import gzip
import io
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from scraper.archive.sources import CRAWL, FOLDER, WACZ, WARC_FILE
from scraper.archive.verify import verify_path
from scraper.extract.model import ExtractionOptions
from scraper.settings import ARCHIVE_GZIP_LEVEL, ARCHIVE_MIN_TEXT_CHARS
from scraper.tools.reextract import html_records, reextract
from tests.support.crawl import CrawlResult, crawl_raw_site
from tests.support.oddfiles import cr_in_heads, http_response, record_offsets, text_mode_copy, write_arc
from tests.support.rawsite import ARTICLE_HTML, ARTICLE_PARAGRAPHS
from tests.support.replay import ensure_pywb_venv
from tests.support.warcio_check import warcio_check_faults
from tests.support.warcs import read_text_rows

PROJECT = {"options": ExtractionOptions(min_text_chars=ARCHIVE_MIN_TEXT_CHARS), "gzip_level": ARCHIVE_GZIP_LEVEL}
PAGES = ["/article?id=7&lang=en", "/gzipped", "/gzipped-chunked", "/moved", "/missing"]
ARC_PAGES = [("http://news.example/story", http_response(ARTICLE_HTML)),
             ("http://news.example/logo.png", http_response(b"\x89PNG\r\n\x1a\n", "image/png")),
             ("http://news.example/other", http_response(ARTICLE_HTML.replace(b"harbour", b"river")))]


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    return crawl_raw_site(tmp_path_factory.mktemp("archive"), PAGES)[2]


def news_archiver(*arguments: str) -> subprocess.CompletedProcess[str]:
    """The console script, run from a folder that is not the project's."""
    script = Path(shutil.which("news-archiver") or Path(__file__).parents[1] / ".venv/bin/news-archiver")
    return subprocess.run([str(script), *arguments], cwd="/", capture_output=True, text=True, timeout=300)


def faults(path: Path) -> list[str]:
    return [fault.message for fault in verify_path(path).faults]


# -- any kind of archive ---------------------------------------------------------------------


def test_verify_takes_any_kind_of_archive_and_says_which(crawl: CrawlResult, tmp_path: Path) -> None:
    warc_path = crawl.warc_files()[0]
    folder = tmp_path / "folder"
    (folder / "older").mkdir(parents=True)
    shutil.copy(warc_path, folder)
    write_arc(folder / "older" / "from-1996.arc", ARC_PAGES)
    write_arc(folder / "older" / "from-2004.arc.gz", ARC_PAGES)
    wacz = crawl.crawl_dir / "test-crawl.wacz"
    for location, kind in ((crawl.crawl_dir, CRAWL), (warc_path, WARC_FILE), (folder, FOLDER), (wacz, WACZ)):
        report = verify_path(location)
        assert report.ok, report.summary()
        assert report.kind == kind
        assert report.summary().startswith(f"{kind[0].upper()}{kind[1:]} {location}\n")
    assert verify_path(folder).counts["warc_files"] == 3
    alone = verify_path(wacz).counts
    assert alone["warc_files"] == 1 and alone["warc_responses"] == len(PAGES) + 1  # and robots.txt
    assert alone["index_lines"] == len(PAGES) + 1 and alone["wacz_resources"] >= 4  # WARC, index, idx, pages
    done = news_archiver("verify", str(wacz))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"WACZ package {wacz}\n") and "OK: no faults" in done.stdout
    done = news_archiver("verify", str(tmp_path / "nothing-here"))
    assert done.returncode == 2 and "nothing-here" in done.stderr


def rewrite_member(wacz: Path, name: str, data: bytes) -> None:
    """The package with one entry replaced, its datapackage.json left as it was."""
    with zipfile.ZipFile(wacz) as old:
        entries = [(info, old.read(info.filename)) for info in old.infolist()]
    with zipfile.ZipFile(wacz, "w") as new:
        for info, content in entries:
            new.writestr(info, data if info.filename == name else content)


def test_a_wacz_alone_is_checked_to_its_records_and_index_blocks(crawl: CrawlResult, tmp_path: Path) -> None:
    wacz = Path(shutil.copy(crawl.crawl_dir / "test-crawl.wacz", tmp_path))
    with zipfile.ZipFile(wacz) as package:
        warc_name = next(n for n in package.namelist() if n.startswith("archive/"))
        warc_data = package.read(warc_name)
        idx = package.read("indexes/index.idx").decode()
    # The WARC inside, cut inside its last record: named as a WARC fault, and its hash differs.
    rewrite_member(wacz, warc_name, warc_data[:-40])
    found = faults(wacz)
    assert any(f"{warc_name}" in f and "cut short" in f for f in [str(x) for x in verify_path(wacz).faults]), found
    assert any("hash or size differs" in f for f in found), found
    # An index whose idx points at the wrong block.
    wacz = Path(shutil.copy(crawl.crawl_dir / "test-crawl.wacz", tmp_path / "second.wacz"))
    rewrite_member(wacz, "indexes/index.idx", idx.replace('"offset": 0', '"offset": 3').encode())
    report = verify_path(wacz)
    assert report.damaged_files() == ["second.wacz", "second.wacz/indexes/index.idx"], report.summary()


def test_reextract_reads_a_wacz_as_its_crawl(crawl: CrawlResult, tmp_path: Path) -> None:
    from_wacz = reextract(crawl.crawl_dir / "test-crawl.wacz", tmp_path / "from-wacz", workers=1, **PROJECT)
    reextract(crawl.crawl_dir, tmp_path / "from-crawl", workers=1, **PROJECT)
    key = ("url", "warc_filename", "warc_offset", "warc_record_id", "payload_digest", "text")
    rows = read_text_rows(tmp_path / "from-wacz")
    assert len(rows) == 3 and from_wacz.counts["warc_files"] == 1
    assert [tuple(r[k] for k in key) for r in rows] == [tuple(r[k] for k in key)
                                                         for r in read_text_rows(tmp_path / "from-crawl")]
    assert (tmp_path / "from-wacz" / "wet" / f"{crawl.warc_files()[0].name.split('.')[0]}.warc.wet.gz").exists()


def test_the_console_scripts_reextract_takes_the_caps_as_options(crawl: CrawlResult, tmp_path: Path) -> None:
    """Outside the project there are no settings to change: the size cap and the deadline
    are options of ``news-archiver reextract``."""
    whole = news_archiver("reextract", str(crawl.crawl_dir), str(tmp_path / "whole"), "--workers", "1")
    assert whole.returncode == 0, whole.stdout + whole.stderr
    capped = news_archiver("reextract", str(crawl.crawl_dir), str(tmp_path / "capped"), "--workers", "1",
                           "--max-extract-bytes", "1000", "--extract-timeout", "30")
    assert capped.returncode == 0, capped.stdout + capped.stderr
    rows = read_text_rows(tmp_path / "whole")
    assert rows and "too_large" not in whole.stdout, whole.stdout
    assert read_text_rows(tmp_path / "capped") == []  # every article page is over 1,000 bytes
    assert f"too_large {len(rows)}" in capped.stdout, capped.stdout


# -- ARC files and odd line ends -------------------------------------------------------------


@pytest.mark.parametrize("name", ["old.arc", "old.arc.gz"])
def test_an_arc_whose_records_end_in_one_lf_is_valid(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    offsets = write_arc(path, ARC_PAGES)
    report = verify_path(path)
    assert report.ok, report.summary()
    assert report.counts["warc_records"] == len(ARC_PAGES) + 1  # and the version block
    with open(path, "rb") as f:  # warcio agrees on where each record starts
        assert [record_offset for record_offset in _offsets(f)] == offsets
    result = reextract(path, tmp_path / "text", workers=1, **PROJECT)
    assert result.counts["articles"] == 2 and result.counts["not_html"] == 1 and not result.counts["cut_records"]
    rows = read_text_rows(tmp_path / "text")
    assert [r["url"] for r in rows] == ["http://news.example/story", "http://news.example/other"]
    assert [r["warc_offset"] for r in rows] == [offsets[1], offsets[3]]
    assert all(ARTICLE_PARAGRAPHS[0].split()[0] in r["text"] for r in rows)


def _offsets(f: io.BufferedReader) -> list[int]:
    iterator = ArchiveIterator(f)
    return [iterator.get_record_offset() for _ in iterator]


def test_an_arc_without_its_last_lf_or_cut_is_named(tmp_path: Path) -> None:
    path = tmp_path / "old.arc"
    write_arc(path, ARC_PAGES)
    data = path.read_bytes()
    path.write_bytes(data[:-1])  # some writers leave the last LF out: nothing is lost
    assert verify_path(path).ok
    path.write_bytes(data[:-30])
    assert any("cut short" in f for f in faults(path))


def plain_warc(crawl: CrawlResult) -> bytes:
    return gzip.decompress(crawl.warc_files()[0].read_bytes())


def test_a_text_mode_copy_is_named_not_called_cut(crawl: CrawlResult, tmp_path: Path) -> None:
    path = tmp_path / "copied.warc"
    path.write_bytes(text_mode_copy(plain_warc(crawl)))
    found = faults(path)
    assert found and not any("cut" in f.replace("not cut", "") for f in found), found
    assert "CR CR LF" in found[0] and "text-mode copy" in found[0]
    counts: Counter[str] = Counter()
    list(html_records(path, counts))
    assert counts["odd_line_files"] == 1 and not counts["cut_records"] and not counts["files_cut"]


def test_a_writer_that_ends_lines_in_cr_cr_lf_is_named(crawl: CrawlResult, tmp_path: Path) -> None:
    path = tmp_path / "odd-writer.warc"
    path.write_bytes(cr_in_heads(plain_warc(crawl)))
    found = faults(path)
    records = record_offsets(path)[:-1]
    assert len(found) == len(records) and all("CR CR LF" in f and "writer adds a CR" in f for f in found), found
    assert not warcio_check_faults([path])  # warcio strips the CR and says nothing
    result = reextract(path, tmp_path / "text", workers=1, **PROJECT)
    assert result.counts["articles"] == 3  # the records are whole: their pages are read


# -- cut files ---------------------------------------------------------------------------------


def cut_cases(data: bytes, offsets: list[int], compressed: bool, step: int) -> list[tuple[int, int, bool]]:
    """(cut, records lost, damaged) for cuts every ``step`` bytes and at, just after and just
    before every boundary. A cut loses the record it falls in, unless it falls in the closing
    blank lines of a plain file: the record is whole, and the file is damaged (a WARC lacks
    its CRLF CRLF) or not (an ARC record without its LF is whole, as some writers end files)."""
    cuts = set(range(1, len(data), step)) | {o + d for o in offsets for d in (-1, 0, 1) if 0 < o + d < len(data)}
    cases = []
    for cut in sorted(cuts):
        start = max(o for o in offsets if o <= cut)
        warc = data[start:start + 4] == b"WARC"
        closing = b"\r\n\r\n" if warc else b"\n"
        end = next(o for o in offsets if o > start) if start != offsets[-1] else len(data)
        in_closing = not compressed and end - len(closing) <= cut and closing.endswith(data[cut:end])
        lost = 0 if cut == start or in_closing else 1
        cases.append((cut, lost, bool(lost) or (in_closing and warc)))
    return cases


@pytest.mark.parametrize("kind", ["warc.gz", "warc", "arc.gz", "arc"])
def test_a_file_cut_anywhere_is_named_by_verify_and_counted_by_reextract(
        crawl: CrawlResult, tmp_path: Path, kind: str) -> None:
    source = tmp_path / f"whole.{kind}"
    if kind.startswith("warc"):
        source.write_bytes(crawl.warc_files()[0].read_bytes() if kind == "warc.gz" else plain_warc(crawl))
    else:
        write_arc(source, ARC_PAGES)
    data = source.read_bytes()
    offsets = record_offsets(source)[:-1]
    pages = {ARTICLE_HTML, ARTICLE_HTML.replace(b"harbour", b"river")}
    path = tmp_path / f"cut.{kind}"
    missed, miscounted = [], []
    cases = cut_cases(data, offsets, kind.endswith(".gz"), step=13 if kind.startswith("warc") else 3)
    assert {lost for _, lost, _ in cases} == {0, 1}
    for cut, lost, damaged in cases:
        path.write_bytes(data[:cut])
        if verify_path(path).ok == damaged:
            missed.append(cut)
        counts: Counter[str] = Counter()
        assert all(page.html in pages for page in html_records(path, counts)), cut  # never half a page
        if counts["cut_records"] != lost or bool(counts["files_cut"]) != damaged:
            miscounted.append((cut, lost, dict(counts)))
        whole = sum(1 for o in offsets if o < cut) - lost  # warcio reads the same whole records
        with open(path, "rb") as f:
            records = iter(ArchiveIterator(f))
            assert all(next(records, None) is not None for _ in range(whole)), cut
    assert not missed, missed
    assert not miscounted, miscounted[:5]


# -- other crawlers' files ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "fault"), [
    ("example.arc", None), ("example.arc.gz", None),  # Internet Archive ARC, records ending in one LF
    ("example-wget-1-14.warc.gz", None), ("example-wpull.warc.gz", None),
    ("iana.warc.gz", None), ("dupes.warc.gz", None),  # revisits carry their original's payload digest
    ("missing-status-text.warc", "CR CR LF"),  # a writer that ends every line in CR CR LF
])
def test_other_crawlers_files_from_pywbs_samples(name: str, fault: str | None) -> None:
    path = ensure_pywb_venv() / "sample_archive" / "warcs" / name
    report = verify_path(path)
    assert report.counts["warc_records"] > 0
    if fault is None:
        assert report.ok, report.summary()
    else:
        assert report.faults and all(fault in f.message for f in report.faults), report.summary()
