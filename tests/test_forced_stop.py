"""A second Ctrl-C ends a crawl at once, its files readable, and the same command resumes it.

Issue 16: the second SIGINT logged "forcing unclean shutdown" and the process never
exited. Here the site answers its first pages at once and trickles the rest, so the
crawl is mid-download (and extracting the first pages) when the signals come.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from sample_site.command import crawl_command
from scraper.archive.verify import verify_crawl
from tests.support.crawl import ROOT, crawl_settings, project_env, run_crawl

PAGES = 12
FAST_PAGES = 3
ARTICLE = (
    "<html><head><title>Article {n}</title></head><body><article><h1>Article {n}</h1>"
    + "<p>A paragraph of the article, long enough to be kept as its text by the extractor.</p>" * 200
    + "</article></body></html>"
)


class _SlowSite(BaseHTTPRequestHandler):
    """Pages ``/a/0`` to ``/a/2`` at once; the others a kilobyte every half second while
    ``server.slow`` is set."""

    server: _SlowServer

    def do_GET(self) -> None:
        if not self.path.startswith("/a/"):
            self.send_error(404)
            return
        n = int(self.path.rsplit("/", 1)[-1])
        body = ARTICLE.format(n=n).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        step = 1000 if n >= FAST_PAGES and self.server.slow.is_set() else len(body)
        try:
            for start in range(0, len(body), step):
                self.wfile.write(body[start:start + step])
                self.wfile.flush()
                if step < len(body):
                    time.sleep(0.5)
        except OSError:
            pass  # the crawl is gone

    def log_message(self, format: str, *args: object) -> None:
        pass


class _SlowServer(ThreadingHTTPServer):
    daemon_threads = True
    slow = threading.Event()


@pytest.fixture
def slow_site() -> Iterator[_SlowServer]:
    server = _SlowServer(("127.0.0.1", 0), _SlowSite)
    server.slow = threading.Event()
    server.slow.set()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def responses_in(path: Path) -> Counter[str]:
    """Response URLs of ``path``, every record read through (warcio raises on a torn one)."""
    responses: Counter[str] = Counter()
    with open(path, "rb") as f:
        for record in ArchiveIterator(f):
            record.content_stream().read()
            if record.rec_type == "response":
                responses[record.rec_headers.get_header("WARC-Target-URI")] += 1
    return responses


def test_a_second_ctrl_c_ends_the_crawl_at_once_and_it_resumes(slow_site: _SlowServer, tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{slow_site.server_address[1]}"
    urls = [f"{base}/a/{n}" for n in range(PAGES)]
    arguments = {"urls": ",".join(urls), "requisites": "0"}
    archive = tmp_path / "archive"
    crawl_dir = archive / "test-crawl"
    command = crawl_command(arguments, crawl_settings(archive, "test-crawl", {"ROBOTSTXT_OBEY": "0"}))
    with open(tmp_path / "stopped.log", "w") as log:
        crawl = subprocess.Popen(command, cwd=ROOT, env=project_env(), stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            # The first pages' text rows are being written: fetching and extracting are under way.
            while not list(crawl_dir.glob("text/*.open")) and time.monotonic() < deadline:
                assert crawl.poll() is None, (tmp_path / "stopped.log").read_text()
                time.sleep(0.1)
            os.killpg(crawl.pid, signal.SIGINT)  # Ctrl-C reaches the whole group
            time.sleep(0.5)
            os.killpg(crawl.pid, signal.SIGINT)
            code = crawl.wait(timeout=15)  # it hung forever before
        finally:
            if crawl.poll() is None:
                os.killpg(crawl.pid, signal.SIGKILL)
                crawl.wait()
    stopped = (tmp_path / "stopped.log").read_text()
    assert code == 1, stopped
    assert "forcing unclean shutdown" in stopped
    assert "was forced to stop before its files were closed" in stopped
    assert not (crawl_dir / "manifest.json").exists()
    (open_warc,) = crawl_dir.glob("warc/*.warc.gz.open")
    assert sum(responses_in(open_warc).values()) >= FAST_PAGES

    slow_site.slow.clear()
    resumed = run_crawl(archive, arguments, {"ROBOTSTXT_OBEY": "0"})
    assert resumed.returncode == 0, resumed.log
    assert "Resuming crawl test-crawl" in resumed.log
    responses: Counter[str] = Counter()
    for path in resumed.warc_files():
        responses += responses_in(path)
    assert set(responses) == set(urls) and max(responses.values()) == 1, responses
    assert {row["url"] for row in resumed.text_rows()} == set(urls)
    report = verify_crawl(resumed.crawl_dir)
    assert report.ok, report.summary()
