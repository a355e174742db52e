"""CONCURRENT_REQUESTS_PER_DOMAIN holds with no download delay: counted at the server.

The hostile server's ``/sleep`` answers after a second and counts the requests it is
working on; twenty start URLs on one host must never have more than four in progress.
"""

from __future__ import annotations

import pytest

from tests.support.crawl import run_crawl
from tests.support.hostile import HostileServer

PER_HOST = 4


@pytest.mark.parametrize("downloader", [
    "scraper.downloader.PoliteDownloader",
    pytest.param("scrapy.core.downloader.Downloader", marks=pytest.mark.xfail(
        strict=True, reason="Scrapy 2.19 drains a slot's queue at once without a download delay; "
                            "when this passes, scraper/downloader.py can go")),
])
def test_no_more_requests_in_progress_at_a_host_than_allowed(tmp_path, downloader) -> None:
    server = HostileServer(sleep=1.0)
    base = server.start()
    try:
        result = run_crawl(tmp_path / "archive", {"urls": ",".join(f"{base}/sleep?{i}" for i in range(20)),
                                                  "requisites": "0"},
                           {"CONCURRENT_REQUESTS_PER_DOMAIN": str(PER_HOST), "DOWNLOAD_DELAY": "0",
                            "DOWNLOADER": downloader})
    finally:
        server.stop()
    assert result.returncode == 0, result.log
    assert sum(1 for path in server.paths() if path.startswith("/sleep")) == 20
    assert server.max_in_progress == PER_HOST
