"""``scrapy verify`` passes a good crawl and names every damaged file of a bad one.

The story: crawl the raw test site, verify the crawl (exit 0), then damage copies of
it the ways storage and crashes do (a flipped byte inside a record, a cut WARC, a text
row pointing at the wrong record, a leftover file, a lost manifest) and check that
each damaged file is named. A crawl in S3 is verified through a real S3 server.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from scraper.archive import warc
from scraper.archive.verify import Fault, VerifyReport, check_warc, verify_crawl
from tests.support.crawl import CrawlResult, crawl_raw_site, run_scrapy
from tests.support.s3server import WeedServer
from tests.support.warcs import read_jsonl_gz

PAGES = ["/article?id=7&lang=en", "/gzipped", "/gzipped-chunked", "/moved", "/missing"]


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    return crawl_raw_site(tmp_path_factory.mktemp("archive"), PAGES)[2]


@pytest.fixture
def copy(crawl: CrawlResult, tmp_path: Path) -> Path:
    """A copy of the crawl folder to damage."""
    return Path(shutil.copytree(crawl.crawl_dir, tmp_path / "test-crawl"))


def scrapy_verify(location: str, *settings: str, env: dict[str, str] | None = None,
                  ) -> subprocess.CompletedProcess[str]:
    return run_scrapy("verify", location, *(part for setting in settings for part in ("-s", setting)), env=env)


def rewrite_record(warc_path: Path, offset: int, old: bytes, new: bytes) -> None:
    """Replace bytes inside the record at ``offset`` (its own gzip member), keeping headers."""
    data = warc_path.read_bytes()
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    record = decompressor.decompress(data[offset:])
    end = len(data) - len(decompressor.unused_data)
    assert old in record
    warc_path.write_bytes(data[:offset] + warc.gzip_member(record.replace(old, new, 1), 2) + data[end:])


def test_a_good_crawl_passes(crawl: CrawlResult) -> None:
    done = scrapy_verify(str(crawl.crawl_dir))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: no faults" in done.stdout
    report = verify_crawl(crawl.crawl_dir)
    assert report.ok, report.summary()
    counts = report.counts
    assert counts["warc_files"] == 1 and counts["warc_responses"] == len(PAGES) + 1  # and robots.txt
    assert counts["text_rows"] == 3 and counts["wet_records"] == 3 and counts["wacz_files"] == 1
    assert counts["manifest_checked"] == counts["manifest_files"] == 5  # WARC, text, CDXJ, WET, WACZ
    assert counts["index_lines"] == 2 * (len(PAGES) + 1)  # the crawl's CDXJ and the WACZ's ZipNum index
    assert counts["index_files"] == 2


def test_a_changed_byte_inside_a_record_is_found(copy: Path) -> None:
    warc_path = next((copy / "warc").glob("*.warc.gz"))
    row = next(r for r in read_jsonl_gz(next((copy / "text").glob("*.jsonl.gz"))) if "lang=en" in r["url"])
    rewrite_record(warc_path, row["warc_offset"], b"harbour authority", b"harbour AUTHORITY")
    done = scrapy_verify(str(copy))
    assert done.returncode == 1
    relpath = f"warc/{warc_path.name}"
    assert f"DAMAGED {relpath}" in done.stderr
    report = verify_crawl(copy)
    problems = [f.message for f in report.faults if f.path == relpath]
    assert any("payload digest failed" in p for p in problems), problems
    assert any("block digest failed" in p for p in problems), problems
    assert any("manifest" in p for p in problems), problems  # its size or SHA-256 differ


def test_a_cut_warc_is_named(copy: Path) -> None:
    warc_path = next((copy / "warc").glob("*.warc.gz"))
    row = next(r for r in read_jsonl_gz(next((copy / "text").glob("*.jsonl.gz"))) if "lang=en" in r["url"])
    data = warc_path.read_bytes()
    warc_path.write_bytes(data[: member_end(data, row["warc_offset"]) - 30])  # inside the article's record
    report = verify_crawl(copy)
    relpath = f"warc/{warc_path.name}"
    problems = [f.message for f in report.faults if f.path == relpath]
    assert any("cut short" in p for p in problems), problems
    assert any("manifest says" in p for p in problems), problems
    assert report.damaged_files()[0] == relpath


def member_end(data: bytes, offset: int) -> int:
    """Where the gzip member starting at ``offset`` ends."""
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    decompressor.decompress(data[offset:])
    return len(data) - len(decompressor.unused_data)


@pytest.mark.parametrize("compressed", [True, False])
def test_every_cut_but_between_records_is_a_fault(crawl: CrawlResult, tmp_path: Path, compressed: bool) -> None:
    """A file cut anywhere inside a record is damaged; cut between records, it reads whole."""
    source = crawl.warc_files()[0].read_bytes()
    data = source if compressed else gzip.decompress(source)
    path = tmp_path / ("cut.warc.gz" if compressed else "cut.warc")
    path.write_bytes(data)
    with open(path, "rb") as f:
        iterator = ArchiveIterator(f)
        boundaries = {iterator.get_record_offset() for _ in iterator} | {len(data)}
    assert not verify_warc_faults(path)
    missed = []
    for cut in range(1, len(data), 9):
        path.write_bytes(data[:cut])
        if not verify_warc_faults(path):
            missed.append(cut)
    assert set(missed) <= boundaries


def verify_warc_faults(path: Path) -> list[Fault]:
    report = VerifyReport(path.parent)
    check_warc(path, path.name, report, {})
    return report.faults


def test_a_text_row_pointing_at_the_wrong_record_is_named(copy: Path) -> None:
    text_path = next((copy / "text").glob("*.jsonl.gz"))
    rows = read_jsonl_gz(text_path)
    rows[1]["warc_record_id"] = rows[0]["warc_record_id"]
    rows[2]["warc_offset"] += 1
    text_path.write_bytes(b"".join(gzip.compress(json.dumps(r).encode() + b"\n") for r in rows))
    report = verify_crawl(copy)
    relpath = f"text/{text_path.name}"
    problems = [f.message for f in report.faults if f.path == relpath]
    assert any("row 2" in p and "record id" in p for p in problems), problems
    assert any("row 3" in p and "no record at" in p for p in problems), problems
    assert any("manifest" in p for p in problems), problems
    assert report.damaged_files() == [relpath]


def test_leftovers_and_a_missing_manifest_are_faults(copy: Path) -> None:
    (copy / "warc" / "leftover.warc.gz.open").write_bytes(b"half a record")
    report = verify_crawl(copy)
    assert [str(f) for f in report.faults] == [
        "warc/leftover.warc.gz.open: not listed in the manifest (left over from an unfinished write?)"
    ]
    (copy / "manifest.json").unlink()
    assert verify_crawl(copy).incomplete  # open files and no manifest: a stop or kill, not yet resumed
    (copy / "warc" / "leftover.warc.gz.open").unlink()
    report = verify_crawl(copy)
    assert not report.incomplete and "manifest.json" in report.damaged_files()


def test_a_crawl_in_s3_is_verified(crawl: CrawlResult, weed: WeedServer) -> None:
    client = weed.client()
    for path in sorted(p for p in crawl.crawl_dir.rglob("*") if p.is_file()):
        key = f"crawls/test-crawl/{path.relative_to(crawl.crawl_dir).as_posix()}"
        client.upload_file(str(path), weed.bucket, key)
    settings = [f"AWS_ENDPOINT_URL={weed.endpoint_url}", "AWS_REGION_NAME=us-east-1"]
    uri = f"s3://{weed.bucket}/crawls/test-crawl"
    done = scrapy_verify(uri, *settings, env=weed.environment())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: no faults" in done.stdout
    warc_key = next(k["Key"] for k in client.list_objects_v2(Bucket=weed.bucket)["Contents"]
                    if k["Key"].endswith(".warc.gz"))
    client.put_object(Bucket=weed.bucket, Key=warc_key, Body=b"not a warc")
    done = scrapy_verify(uri, *settings, env=weed.environment())
    assert done.returncode == 1
    assert f"DAMAGED warc/{warc_key.rsplit('/', 1)[1]}" in done.stderr


def test_a_damaged_wacz_package_is_named(copy: Path) -> None:
    wacz = copy / "test-crawl.wacz"
    data = bytearray(wacz.read_bytes())
    data[len(data) // 3] ^= 0xFF  # inside the stored WARC copy
    wacz.write_bytes(bytes(data))
    report = verify_crawl(copy)
    assert report.damaged_files() == ["test-crawl.wacz"]
    assert any("not a readable WACZ package" in f.message or "differs" in f.message for f in report.faults)


def kill_leftovers(copy: Path) -> tuple[Path, Path]:
    """Make ``copy`` what a kill mid-crawl leaves: its WARC and text segments still ``.open``,
    each ending in half a record, no index, WACZ or manifest yet. Returns the open WARC and text."""
    warc_path = next((copy / "warc").glob("*.warc.gz"))
    text_path = next((copy / "text").glob("*.jsonl.gz"))
    data = warc_path.read_bytes()
    torn_record = data[: member_end(data, 0) // 2]
    open_warc = warc_path.with_name(warc_path.name + ".open")
    open_warc.write_bytes(data + torn_record)
    warc_path.unlink()
    rows = text_path.read_bytes()
    open_text = text_path.with_name(text_path.name + ".open")
    open_text.write_bytes(rows + rows[: member_end(rows, 0) // 2])
    text_path.unlink()
    for leftover in [copy / "manifest.json", *copy.glob("*.wacz"), *copy.glob("indexes/*"), *copy.glob("wet/*")]:
        leftover.unlink()
    return open_warc, open_text


def test_an_incomplete_crawl_is_checked_up_to_its_torn_records(copy: Path) -> None:
    open_warc, open_text = kill_leftovers(copy)
    done = scrapy_verify(str(copy))
    assert done.returncode == 0, done.stdout + done.stderr  # what is whole is sound
    first, *rest = done.stdout.splitlines()
    assert first.startswith("INCOMPLETE crawl") and "2 files still open" in first, done.stdout
    resumes = "cut by a stop or kill: `scrapy crawl` with the same crawl id resumes it"
    assert sum(resumes in line for line in rest) == 2, done.stdout
    report = verify_crawl(copy)
    assert report.ok and report.incomplete, report.summary()
    assert [note.path for note in report.notes] == [f"warc/{open_warc.name}", f"text/{open_text.name}"]
    assert report.counts["warc_responses"] == len(PAGES) + 1  # the whole ones, each read
    assert report.counts["text_rows"] == 3  # every row points at its response in the open WARC


def test_damage_to_a_whole_record_of_an_open_file_is_a_fault(copy: Path) -> None:
    row = next(r for r in read_jsonl_gz(next((copy / "text").glob("*.jsonl.gz"))) if "lang=en" in r["url"])
    open_warc, _ = kill_leftovers(copy)
    rewrite_record(open_warc, row["warc_offset"], b"harbour authority", b"harbour AUTHORITY")
    done = scrapy_verify(str(copy))
    assert done.returncode == 1
    assert done.stdout.startswith("INCOMPLETE crawl")
    assert f"DAMAGED warc/{open_warc.name}" in done.stderr
