"""A crawl whose disk fills up stops cleanly, keeps what it wrote whole, and resumes once there is room.

The story of issue 16: forty responses of 1 MB into a 20 MB file system (a real tmpfs,
mounted by the test, which needs root). The crawl stops with one ERROR line and exit 1,
writes no manifest, leaves its WARC under ``.open`` ending at its last complete record;
once the file system is given room, the same command resumes it to a complete,
verified crawl with every response archived once.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from scraper.archive.verify import verify_crawl
from tests.support.crawl import run_crawl

RESPONSES = 40
BODY_BYTES = 1_000_000


class _Megabytes(BaseHTTPRequestHandler):
    """Every path answers 1 MB of bytes gzip cannot shrink, so the WARC grows by as much."""

    def do_GET(self) -> None:
        body = os.urandom(BODY_BYTES)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def megabyte_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Megabytes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 20 MB tmpfs; grow it with :func:`grow`."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs (needs root): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def grow(disk: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(disk)], check=True)


def read_to_the_end(path: Path) -> Counter[str]:
    """Every record of ``path`` read with warcio (an error on a torn record); response URLs counted."""
    responses: Counter[str] = Counter()
    with open(path, "rb") as f:
        for record in ArchiveIterator(f):
            record.content_stream().read()
            if record.rec_type == "response":
                responses[record.rec_headers.get_header("WARC-Target-URI")] += 1
    return responses


def test_a_full_disk_stops_the_crawl_whole_and_it_resumes_with_room(
    megabyte_site: str, small_disk: Path
) -> None:
    urls = [f"{megabyte_site}/file/{n}" for n in range(RESPONSES)]
    arguments = {"urls": ",".join(urls), "requisites": "0"}
    settings = {"CONCURRENT_REQUESTS_PER_DOMAIN": "4"}

    full = run_crawl(small_disk, arguments, settings)
    assert full.returncode == 1, full.log
    # One line says what happened; the command's own last line says why it exits 1.
    errors = [line for line in full.log.splitlines() if " ERROR: " in line and "exiting with status 1" not in line]
    assert len(errors) == 1 and "Could not write the archive of crawl test-crawl" in errors[0], errors
    assert "No space left on device" in errors[0]
    assert "Traceback" not in full.log
    assert "archive_write_error" in full.log
    assert not (full.crawl_dir / "manifest.json").exists()
    assert not list(full.crawl_dir.glob("warc/*.warc.gz")), "a WARC cut by the full disk was called complete"
    (open_warc,) = full.crawl_dir.glob("warc/*.warc.gz.open")
    kept = read_to_the_end(open_warc)  # ends at its last complete record
    assert 5 < sum(kept.values()) < RESPONSES

    grow(small_disk, "200m")
    resumed = run_crawl(small_disk, arguments, settings)
    assert resumed.returncode == 0, resumed.log
    assert "Resuming crawl test-crawl" in resumed.log
    assert "(1 sealed, 0 bytes of torn records cut off)" in resumed.log  # the failed write was undone
    responses: Counter[str] = Counter()
    for path in resumed.warc_files():
        responses += read_to_the_end(path)
    files = {url: n for url, n in responses.items() if "/file/" in url}  # robots.txt: once a run
    assert set(files) == set(urls) and max(files.values()) == 1
    report = verify_crawl(resumed.crawl_dir)
    assert report.ok, report.summary()
    assert resumed.manifest["failed"] == []


def test_a_package_the_disk_has_no_room_for_is_reported_and_the_manifest_lists_the_rest(
    megabyte_site: str, small_disk: Path
) -> None:
    """Twelve 1 MB responses fit the 20 MB disk; the WACZ, which copies them, does not."""
    urls = [f"{megabyte_site}/file/{n}" for n in range(12)]
    result = run_crawl(small_disk, {"urls": ",".join(urls), "requisites": "0"})
    assert result.returncode == 1, result.log
    assert "WaczDeriver failed at the end of the crawl: [Errno 28] No space left on device" in result.log
    assert "Traceback" not in result.log
    manifest = result.manifest
    assert manifest["failed"] == ["WaczDeriver at the end of the crawl"]
    listed = {entry["path"] for entry in manifest["files"]}
    assert not any(path.endswith(".wacz") for path in listed)
    present = {p.relative_to(result.crawl_dir).as_posix() for p in result.crawl_dir.rglob("*") if p.is_file()}
    assert listed == present - {"manifest.json"}, "the manifest lists what is there, whole"
    assert verify_crawl(result.crawl_dir).ok
