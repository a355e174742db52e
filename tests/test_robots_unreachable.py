"""robots.txt that cannot be fetched disallows its host, as RFC 9309 section 2.3.1.4 says.

Checked against what the hostile server saw: which paths were asked for, and when.
"""

from __future__ import annotations

import pytest

from tests.support.crawl import run_crawl
from tests.support.hostile import HostileServer

PAGES = ["/h/ok?1", "/h/ok?2", "/h/ok?3"]
#: Fast on loopback: no retries of robots.txt itself, a short timeout.
SETTINGS = {"RETRY_TIMES": "0", "DOWNLOAD_TIMEOUT": "2", "ARCHIVE_ROBOTSTXT_RETRY_INTERVAL": "1"}


@pytest.mark.parametrize("robots", ["503", "500", "reset", "timeout"])
def test_an_unreachable_robots_txt_disallows_the_whole_host(tmp_path, robots) -> None:
    server = HostileServer(robots=robots, stall=3)
    base = server.start()
    try:
        result = run_crawl(tmp_path / "archive", {"urls": ",".join(base + page for page in PAGES), "requisites": "0"},
                           SETTINGS)
    finally:
        server.stop()
    assert result.returncode == 0, result.log
    assert server.paths() == ["/robots.txt"]  # and nothing else of the host
    stats = result.manifest["stats"]
    assert stats["archive/robotstxt/unreachable"] == 1
    assert stats["archive/robotstxt/unreachable_forbidden"] == len(PAGES)
    assert "Traceback" not in result.log


def test_a_missing_robots_txt_allows_everything(tmp_path) -> None:
    server = HostileServer(robots="missing")
    base = server.start()
    try:
        result = run_crawl(tmp_path / "archive", {"urls": ",".join(base + page for page in PAGES), "requisites": "0"},
                           SETTINGS)
    finally:
        server.stop()
    assert result.returncode == 0, result.log
    assert sorted(server.paths()) == sorted(["/robots.txt", *PAGES])  # RFC 9309 2.3.1.3: unavailable, not unreachable


def test_robots_txt_is_asked_again_later_and_then_obeyed(tmp_path) -> None:
    """The host's robots.txt answers 503 once, then a normal file: a page asked for after
    the retry interval is fetched, the one asked for during the outage is not."""
    down = HostileServer(robots="503", robots_heal=1)
    down_base = down.start()
    linker = HostileServer(sleep=1.5, elsewhere=down_base)  # a page, 1.5 s on, with an image on `down`
    linker_base = linker.start()
    try:
        result = run_crawl(tmp_path / "archive",
                           {"urls": f"{down_base}/h/ok?early,{linker_base}/sleep/requisites-elsewhere"}, SETTINGS)
    finally:
        down.stop()
        linker.stop()
    assert result.returncode == 0, result.log
    assert down.paths() == ["/robots.txt", "/robots.txt", "/h/ok?img"]
    [first, second] = [sent.at for sent in down.log if sent.path == "/robots.txt"]
    assert second - first >= 1  # ARCHIVE_ROBOTSTXT_RETRY_INTERVAL
    assert result.manifest["stats"]["archive/robotstxt/unreachable_forbidden"] == 1
