"""Incremental crawls with the history and the site template on the shared Redis (``ARCHIVE_FRONTIER``).

The story of tests/test_incremental.py, the crawls' processes now sharing a Redis: crawl
the changing news site, change it, crawl again. The second crawl asks conditionally, gets
the same 304s and writes the same revisit records and text rows as with the SQLite file,
with no history file beside the archive; what the first crawl learned of the site's
template comes back from Redis; ``scrapy history`` reads the captures there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks.newssite import NewsSite, NewsSiteServer
from scraper.archive import warc
from scraper.archive.verify import verify_crawl
from scraper.history.base import HISTORY_NAME
from scraper.history.redis import RedisHistory
from scraper.incremental import archive_name
from tests.support.crawl import CrawlResult, run_crawl, run_scrapy
from tests.support.redisserver import RedisServer, find_redis_server
from tests.support.warcs import records

NEW, EDITED, MARKUP = [13, 14], [3, 4], [5, 6]


def arguments(base: str) -> dict[str, str]:
    return {"urls": base + "/", "follow": "2", "sitemaps": "robots", "feeds": base + "/feed.xml"}


@dataclass
class Crawls:
    redis: RedisServer
    base: str
    archive: Path
    first: CrawlResult
    second: CrawlResult
    second_requests: dict[str, int]
    second_statuses: dict[int, int]


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawls]:
    if find_redis_server() is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    site = NewsSite.with_articles(12)
    server = NewsSiteServer(site)
    base = server.start()
    archive = tmp_path_factory.mktemp("archive")
    try:
        with RedisServer(tmp_path_factory.mktemp("redis")) as redis:
            settings = {"ARCHIVE_FRONTIER": redis.url}
            first = run_crawl(archive, arguments(base), settings, crawl_id="crawl-1")
            assert first.returncode == 0, first.log
            site.add_articles(len(NEW))
            site.edit_text(EDITED)
            site.edit_markup(MARKUP)
            server.reset_counts()
            second = run_crawl(archive, arguments(base), settings, crawl_id="crawl-2")
            assert second.returncode == 0, second.log
            yield Crawls(redis, base, archive, first, second, dict(server.requests), dict(server.statuses))
    finally:
        server.stop()


def test_the_history_is_on_redis_not_beside_the_archive(crawls: Crawls) -> None:
    assert not (crawls.archive / HISTORY_NAME).exists()
    history = RedisHistory.from_url(crawls.redis.url, archive_name(str(crawls.archive)), read_only=True)
    try:
        runs = history.crawls()
        assert [(run.crawl_id, done) for run, done in runs] == [("crawl-1", True), ("crawl-2", False)]
        # crawl-1's last worker out (its only one) ended its run: crawl-2 had no lock to take over.
        assert runs[0][0].finish_reason == "finished" and runs[0][0].finished_at is not None
        assert "which holds the crawl history, is complete in the archive" not in crawls.second.log
        url = f"{crawls.base}/news/{EDITED[0]}.html"
        found = history.lookup(url)  # crawl-2 counts once the next crawl finds it complete
        assert found is not None and (found.crawl_id, found.text_version) == ("crawl-1", 1)
        assert [(seen_by, c.text_version) for seen_by, c in history.captures(url)] == [("crawl-1", 1), ("crawl-2", 2)]
    finally:
        history.close()


def test_second_crawl_asks_conditionally_and_gets_what_sqlite_gets(crawls: Crawls) -> None:
    fetched = crawls.second_requests
    for n in range(1, 13):
        assert (f"/news/{n}.html" in fetched) == (n in EDITED + MARKUP), n
        assert f"/img/{n}.jpg" not in fetched
    for n in NEW:
        assert fetched[f"/news/{n}.html"] == 1
    assert crawls.second_statuses[304] == 3  # the three sections without a new article
    revisits = [record.rec_headers for record in records(crawls.second.warc_files(), "revisit")]
    assert sorted(h.get_header("WARC-Profile") for h in revisits) == [warc.IDENTICAL_PAYLOAD_DIGEST] + [
        warc.SERVER_NOT_MODIFIED] * 3
    stats = crawls.second.manifest["stats"]
    assert stats["archive/history/not_modified"] == 3 and stats["archive/history/revisits"] == 1
    assert stats["archive/history/not_fetched/page"] == 12 - len(EDITED + MARKUP)
    report = verify_crawl(crawls.second.crawl_dir)
    assert report.ok, report.summary()


def test_new_text_rows_only_for_new_and_edited_articles(crawls: Crawls) -> None:
    first = {row["url"]: row for row in crawls.first.text_rows()}
    rows = {row["url"]: row for row in crawls.second.text_rows()}
    assert sorted(rows) == sorted(f"{crawls.base}/news/{n}.html" for n in NEW + EDITED)
    for n in EDITED:
        url = f"{crawls.base}/news/{n}.html"
        assert (rows[url]["version"], rows[url]["previous_warc_record_id"]) == (2, first[url]["warc_record_id"])
    assert crawls.second.manifest["stats"]["archive/text/unchanged"] == len(MARKUP)


def test_the_site_template_is_kept_on_redis_for_the_next_crawl(crawls: Crawls) -> None:
    assert not (crawls.archive / "site-boilerplate.json").exists()
    client = crawls.redis.client()
    try:
        hosts = {host.decode() for key in client.scan_iter(match="archive:*:template:hosts")
                 for host in client.smembers(key)}
    finally:
        client.close()
    assert hosts == {"127.0.0.1"}
    assert "Site boilerplate learned earlier: 1 hosts (Redis" in crawls.second.log


def test_history_command_reads_redis(crawls: Crawls) -> None:
    url = f"{crawls.base}/news/{EDITED[0]}.html"
    done = run_scrapy("history", "--archive", str(crawls.archive), "-s", f"ARCHIVE_FRONTIER={crawls.redis.url}", url)
    assert done.returncode == 0, done.stderr
    assert "crawl crawl-1: status 200" in done.stdout and "crawl crawl-2 (crawl not confirmed complete)" in done.stdout
    assert "article text version 2" in done.stdout
