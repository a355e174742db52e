"""A cookie bomb cannot bloat every later request, and cookies never call the network."""

from __future__ import annotations

from tests.support.crawl import run_crawl
from tests.support.hostile import HostileServer


def test_cookies_are_capped_per_domain_and_in_the_header(tmp_path) -> None:
    server = HostileServer(cookies=10_000)
    base = server.start()
    try:
        # The pages link to "/": followed once the pages are in, with their cookies.
        result = run_crawl(tmp_path / "archive", {"urls": f"{base}/h/cookie-bomb {base}/h/big-cookie",
                                                  "follow": "1", "requisites": "0"},
                           {"ARCHIVE_MAX_COOKIES_PER_DOMAIN": "50", "ARCHIVE_MAX_COOKIE_HEADER_SIZE": "4096"})
    finally:
        server.stop()
    assert result.returncode == 0, result.log
    cookie_headers = [line for head in server.request_heads for line in head.split(b"\r\n")
                      if line.lower().startswith(b"cookie:")]
    assert cookie_headers  # cookies are still sent
    assert max(len(line) for line in cookie_headers) <= len(b"Cookie: ") + 4096
    assert max(line.count(b"=") for line in cookie_headers) <= 50
    stats = result.manifest["stats"]
    assert stats["archive/cookies/dropped"] >= 10_000 - 50
    # the public-suffix check reads tldextract's bundled list: no download tried
    assert "Public Suffix List" not in result.log
