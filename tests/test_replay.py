"""pywb replays what the crawl archived, byte for byte.

The story: crawl the raw test site, start ``scripts/replay.py`` (pywb from its own venv,
``.pywb-venv``) on the archive, and ask for pages in identity mode (``id_``), which
gives back the original status, headers and payload: a page with a query string sent
chunked, a redirect, and gzip-encoded responses whose bytes must be the ones the site
sent. Then the crawl's WACZ package is loaded into a pywb collection and replayed too,
and opened in ReplayWeb.page (headless Chromium) where Chromium and npm are there.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, CrawlResult, crawl_raw_site
from tests.rawsite import ARTICLE_HTML, ARTICLE_PARAGRAPHS, GZIPPED_ARTICLE

PAGES = ["/article?id=7&lang=en", "/gzipped", "/gzipped-chunked", "/moved", "/missing"]
PYWB_VENV = ROOT / os.environ.get("PYWB_VENV", ".pywb-venv")


@functools.cache
def ensure_pywb_venv() -> Path:
    """``.pywb-venv`` made by ``scripts/pywb-venv.sh`` (a no-op once it is there)."""
    done = subprocess.run(["bash", str(ROOT / "scripts" / "pywb-venv.sh")], capture_output=True, text=True,
                          timeout=900)
    if done.returncode != 0:
        pytest.fail(f"scripts/pywb-venv.sh could not install pywb:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return PYWB_VENV


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A process listening on 127.0.0.1:port, stopped by its process group id."""

    process: subprocess.Popen[str]
    port: int

    def wait_ready(self, attempts: int = 600) -> None:
        for _ in range(attempts):
            if self.process.poll() is not None:
                output = self.process.stdout.read() if self.process.stdout else ""
                pytest.fail(f"server exited with {self.process.returncode}:\n{output}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"nothing listens on port {self.port}")

    def stop(self) -> str:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            output, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            output, _ = self.process.communicate()
        return output or ""

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """GET without following redirects or decoding the body (chunking is undone)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()


def start(command: list[str], port: int, cwd: Path) -> Server:
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    server = Server(process, port)
    server.wait_ready()
    return server


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, CrawlResult]]:
    ensure_pywb_venv()
    _, base, result = crawl_raw_site(tmp_path_factory.mktemp("archive"), PAGES)
    yield base, result


@pytest.fixture(scope="module")
def replay(crawl: tuple[str, CrawlResult], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``scripts/replay.py ARCHIVE --port P``: what ``make replay`` runs."""
    _, result = crawl
    port = free_port()
    run_dir = tmp_path_factory.mktemp("replay-run")
    command = [sys.executable, str(ROOT / "scripts" / "replay.py"), str(result.crawl_dir.parent),
               "--port", str(port), "--run-dir", str(run_dir)]
    server = start(command, port, ROOT)
    yield server
    server.stop()


def identity(base: str, path: str) -> str:
    return f"/test-crawl/id_/{base}{path}"


def test_page_with_query_string_replays_byte_for_byte(crawl, replay: Server) -> None:
    base, _ = crawl
    status, headers, body = replay.get(identity(base, "/article?id=7&lang=en"))
    assert status == 200
    assert body == ARTICLE_HTML  # sent chunked: the payload, de-chunked, is the page
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["set-cookie"]  # the site's own headers come back


def test_redirect_replays_as_a_redirect(crawl, replay: Server) -> None:
    base, _ = crawl
    status, headers, body = replay.get(identity(base, "/moved"))
    assert status == 301
    assert headers["location"] == "/gzipped"
    assert body == b""


@pytest.mark.parametrize("path", ["/gzipped", "/gzipped-chunked"])
def test_gzip_encoded_response_keeps_the_bytes_the_site_sent(crawl, replay: Server, path: str) -> None:
    base, _ = crawl
    status, headers, body = replay.get(identity(base, path), {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert body == GZIPPED_ARTICLE


def test_error_page_replays_with_its_status(crawl, replay: Server) -> None:
    base, _ = crawl
    status, _, body = replay.get(identity(base, "/missing"))
    assert status == 404
    assert body == b"<html>no such page</html>"


def test_rewritten_replay_serves_the_page_for_a_browser(crawl, replay: Server) -> None:
    base, _ = crawl
    status, _, frame = replay.get(f"/test-crawl/{base}/article?id=7&lang=en")
    assert status == 200 and b"wb_frame.js" in frame  # pywb's framed viewer
    status, _, page = replay.get(f"/test-crawl/mp_/{base}/article?id=7&lang=en")
    assert status == 200
    assert b"Harbour terminal to open next spring" in page
    assert b"wombat" in page  # links rewritten to stay in the archive


def test_wacz_package_replays_in_pywb(crawl, tmp_path: Path) -> None:
    """The WACZ alone is enough: ``wb-manager add --unpack-wacz`` and replay."""
    base, result = crawl
    venv = ensure_pywb_venv()
    wacz = result.crawl_dir / "test-crawl.wacz"
    manager = str(venv / "bin" / "wb-manager")
    for command in ([manager, "init", "fromwacz"], [manager, "add", "--unpack-wacz", "fromwacz", str(wacz)]):
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    port = free_port()
    server = start([str(venv / "bin" / "wayback"), "--bind", "127.0.0.1", "--port", str(port)], port, tmp_path)
    try:
        status, _, body = server.get(f"/fromwacz/id_/{base}/article?id=7&lang=en")
        assert status == 200 and body == ARTICLE_HTML
        status, _, body = server.get(f"/fromwacz/id_/{base}/gzipped", {"Accept-Encoding": "gzip"})
        assert status == 200 and body == GZIPPED_ARTICLE
    finally:
        server.stop()


def test_replaywebpage_lists_and_replays_the_wacz(crawl) -> None:
    """ReplayWeb.page (its npm package, in headless Chromium) loads the crawl's WACZ."""
    missing = [tool for tool in ("chromium", "node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"no {', '.join(missing)}: apt-get install -y chromium nodejs npm to load the WACZ in "
                    "ReplayWeb.page")
    setup = subprocess.run(["bash", str(ROOT / "scripts" / "rwp-setup.sh")], capture_output=True, text=True,
                           timeout=600)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    base, result = crawl
    pages = [f"{base}/article?id=7&lang=en", f"{base}/gzipped-chunked"]
    done = subprocess.run(["node", str(ROOT / "scripts" / "rwp-check.js"), str(result.crawl_dir / "test-crawl.wacz"),
                           *pages], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert "3 pages" in report["listing"] and "Harbour terminal to open next spring" in report["listing"]
    for url in pages:
        assert ARTICLE_PARAGRAPHS[0] in report["replayed"][url], url
