"""pywb replays what the crawl archived, byte for byte.

The story: crawl the raw test site, start ``scripts/replay.py`` (pywb from its own venv,
``.pywb-venv``) on the archive, and ask for pages in identity mode (``id_``), which
gives back the original status, headers and payload: a page with a query string sent
chunked, a redirect, and gzip-encoded responses whose bytes must be the ones the site
sent. Then the crawl's WACZ package is loaded into a pywb collection and replayed too,
and opened in ReplayWeb.page (headless Chromium) where Chromium and npm are there.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.crawl import ROOT, CrawlResult, crawl_raw_site
from tests.support.rawsite import ARTICLE_HTML, ARTICLE_PARAGRAPHS, GZIPPED_ARTICLE
from tests.support.replay import Server, ensure_pywb_venv, free_port, start_server

PAGES = ["/article?id=7&lang=en", "/gzipped", "/gzipped-chunked", "/moved", "/missing"]


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
    server = start_server(command, port, ROOT)
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
    server = start_server([str(venv / "bin" / "wayback"), "--bind", "127.0.0.1", "--port", str(port)], port, tmp_path)
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
