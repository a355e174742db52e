"""What the crawl history and the site template cost a shared Redis (``ARCHIVE_FRONTIER``), per URL.

Starts a redis-server of its own (the Debian package's) and records URLs as a news crawl
does: every URL a full capture (status, validators, payload digest, WARC place), articles
with their text fingerprint and version. It prints Redis's ``used_memory`` growth per URL
after one crawl, after a second crawl that fetched every URL again (two captures a URL
until the second is confirmed), and ``MEMORY USAGE`` of one URL's key; then the site
template's growth per page. Prints figures, asserts nothing.

    python -m benchmarks.redis_history [--urls 10000] [--paragraphs 20]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import tempfile
import uuid
from pathlib import Path

from scraper.extract.boilerplate import SiteBoilerplate
from scraper.history.base import Capture, CrawlRun
from scraper.history.redis import RedisHistory, archive_namespace, connect
from scraper.history.sitetemplate import RedisSiteTemplate
from tests.support.redisserver import RedisServer

ARCHIVE = "file:///srv/archive"


def used_memory(server: RedisServer) -> int:
    client = server.client()
    try:
        return int(client.info("memory")["used_memory"])
    finally:
        client.close()


def url_of(n: int) -> str:
    """A news URL of typical length (about 80 characters)."""
    return f"https://www.example-news.com/2026/01/{n % 28 + 1:02d}/politics/story-headline-words-{n}.html"


def capture_of(n: int, crawl_id: str, day: int) -> Capture:
    digest = base64.b32encode(hashlib.sha1(f"{n}-{day}".encode()).digest()).decode()
    date = f"2026-01-{day:02d}T10:{n // 60 % 60:02d}:{n % 60:02d}.123456Z"
    article = n % 4 != 0  # a quarter are sections, images, feeds
    return Capture(
        url=url_of(n), status=200, fetched_at=date, checked_at=date, crawl_id=crawl_id,
        warc_filename=f"{crawl_id}-20260101100000-00001-worker-1.warc.gz", warc_offset=n * 48_217,
        warc_record_id=f"<urn:uuid:{uuid.uuid4()}>", payload_digest=f"sha1:{digest}", payload_bytes=48_000 + n,
        etag=f'"{hashlib.md5(str(n).encode()).hexdigest()}"',
        last_modified="Thu, 01 Jan 2026 09:00:00 GMT",
        text_fingerprint=hashlib.sha1(str(n).encode()).hexdigest() if article else None,
        text_version=1 if article else None,
        text_record_id=f"<urn:uuid:{uuid.uuid4()}>" if article else None,
    )


def crawl(server: RedisServer, crawl_id: str, day: int, urls: int, *, finish: bool) -> RedisHistory:
    history = RedisHistory.from_url(server.url, ARCHIVE, owner=crawl_id)
    for earlier in history.unconfirmed():
        history.confirm(earlier, True)
    run = CrawlRun(crawl_id, f"2026-01-{day:02d}T10:00:00+00:00")
    history.crawl_started(run)
    for n in range(urls):
        history.record(capture_of(n, crawl_id, day))
        if history.pending >= 1000:
            history.flush()
    if finish:
        history.crawl_finished(CrawlRun(run.crawl_id, run.started_at, f"2026-01-{day:02d}T11:00:00+00:00", "finished"))
    else:
        history.flush()
    return history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--urls", type=int, default=10_000)
    parser.add_argument("--paragraphs", type=int, default=20, help="paragraphs a page (template)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as scratch, RedisServer(Path(scratch)) as server:
        empty = used_memory(server)
        crawl(server, "news-20260101T100000Z", 1, options.urls, finish=True).close()
        one = used_memory(server)
        second = crawl(server, "news-20260102T100000Z", 2, options.urls, finish=False)
        two = used_memory(server)
        client = server.client()
        key = second.url_key(url_of(1))
        key_bytes = client.memory_usage(key, samples=0)
        value = client.get(key)
        second.close()
        print(f"crawl history, {options.urls} URLs ({len(url_of(1))}-character URLs, 3 in 4 articles):")
        print(f"  one crawl:             {(one - empty) / options.urls:7.0f} bytes a URL (used_memory)")
        print(f"  a second crawl running: {(two - empty) / options.urls:7.0f} bytes a URL (two captures each)")
        print(f"  MEMORY USAGE of one article's key with two captures: {key_bytes} bytes "
              f"(value {len(value)} bytes, key {len(key)})")

        before = used_memory(server)
        store = RedisSiteTemplate(connect(server.url), archive_namespace(ARCHIVE), exchange_every=10**9)
        learned = store.load(SiteBoilerplate(min_pages=3))
        for n in range(options.urls):
            # Half of a page's paragraphs are the site's furniture, the rest its own text.
            fingerprints = [f"S{p:038d}" for p in range(options.paragraphs // 2)] + [
                "S" + hashlib.sha1(f"{n}-{p}".encode()).hexdigest()[:38] for p in range(options.paragraphs // 2)]
            learned.observe(url_of(n), fingerprints)
            store.observed(url_of(n), fingerprints)
        store.save(learned)
        store.close()
        after = used_memory(server)
        print(f"site template, {options.urls} pages of one host, {options.paragraphs} paragraphs each "
              f"(half of them the site's own on every page):")
        print(f"  {(after - before) / options.urls:7.0f} bytes a page (used_memory)")
        client.close()


if __name__ == "__main__":
    main()
