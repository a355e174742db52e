"""The crawl history's two stores keep the same promises: the SQLite file beside the archive,
and the Redis every process of a crawl shares (``ARCHIVE_FRONTIER``).

The story of each test is one the incremental crawls rely on: a crawl sees its own records
and the confirmed crawls' records; a crawl found incomplete is forgotten; two crawls never
record into one history at once. Then what only the shared store does: the processes of
one crawl record together, and the run ends once, with the last of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from scraper.history.base import HISTORY_NAME, Capture, CrawlRun, HistoryError, HistoryLocked
from scraper.history.redis import RedisHistory, archive_namespace
from scraper.history.sqlite import SqliteHistory
from tests.support.redisserver import RedisServer

ARCHIVE = "file:///srv/archive"
DAY1, DAY2, DAY3 = "2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00"

Opener = Callable[..., Any]


def capture(url: str, crawl_id: str, date: str = "2026-01-01T00:00:00.000000Z", **fields: Any) -> Capture:
    return Capture(url=url, status=200, fetched_at=date, checked_at=date, crawl_id=crawl_id,
                   warc_filename=f"{crawl_id}-00000.warc.gz", warc_offset=1234,
                   warc_record_id="<urn:uuid:6f1c1a8e-2b7d-4c43-9d3e-0a1b2c3d4e5f>",
                   payload_digest="sha1:2FPFZ6JBHXWKKJRVFSJQOTVN7QZ3KHVR", payload_bytes=10, **fields)


def finished(run: CrawlRun, end: str) -> CrawlRun:
    return CrawlRun(run.crawl_id, run.started_at, end, "finished")


@pytest.fixture(params=["sqlite", "redis"])
def open_history(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens the history of one archive, as a crawl (``owner``) or to look (``read_only``)."""
    opened: list[Any] = []

    def sqlite(owner: str = "", read_only: bool = False) -> SqliteHistory:
        history = SqliteHistory(tmp_path / HISTORY_NAME, owner=owner, read_only=read_only)
        opened.append(history)
        return history

    def redis(owner: str = "", read_only: bool = False) -> RedisHistory:
        history = RedisHistory.from_url(server.url, ARCHIVE, owner=owner, read_only=read_only)
        opened.append(history)
        return history

    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
    yield sqlite if request.param == "sqlite" else redis
    for history in opened:
        try:
            history.close()
        except Exception:  # closed by the test already
            pass


def test_a_crawl_sees_its_own_records_before_and_after_they_are_written(open_history: Opener) -> None:
    history = open_history(owner="one")
    with pytest.raises(HistoryError, match="crawl_started"):
        history.record(capture("http://a/", "one"))
    history.crawl_started(CrawlRun("one", DAY1))
    history.record(capture("http://a/", "one", etag='"v1"', text_fingerprint="f" * 40, text_version=1,
                           text_record_id="<urn:uuid:0b9d9a3c-8a41-4b8e-bd1f-1c2d3e4f5a6b>"))
    assert history.pending == 1
    assert history.lookup("http://a/") == capture("http://a/", "one", etag='"v1"', text_fingerprint="f" * 40,
                                                  text_version=1,
                                                  text_record_id="<urn:uuid:0b9d9a3c-8a41-4b8e-bd1f-1c2d3e4f5a6b>")
    history.flush()
    assert history.pending == 0
    found = history.lookup("http://a/")
    assert found is not None and (found.etag, found.text_version) == ('"v1"', 1)
    assert found.warc_record_id == "<urn:uuid:6f1c1a8e-2b7d-4c43-9d3e-0a1b2c3d4e5f>"
    assert history.lookup("http://b/") is None


@pytest.mark.parametrize("odd", [
    {"warc_record_id": "<urn:uuid:1>", "text_record_id": "<urn:uuid:6F1C1A8E-2B7D-4C43-9D3E-0A1B2C3D4E5F>",
     "text_version": 3, "text_fingerprint": "f" * 40},
    {"warc_filename": "elsewhere.warc.gz", "warc_record_id": "<http://example.org/record/1>",
     "crawl_id": "an-earlier-crawl", "etag": 'W/"tab\there"', "last_modified": "Thu, 01 Jan 2026 09:00:00 GMT"},
    {"url": "http://a/p\u00e4th?q=\u00fc&r=1#frag", "status": 404, "payload_bytes": 0},
])
def test_a_capture_comes_back_as_it_was_recorded(open_history: Opener, odd: dict[str, Any]) -> None:
    recorded = replace(capture("http://a/", "one"), **odd)
    history = open_history(owner="one")
    history.crawl_started(CrawlRun("one", DAY1))
    history.record(recorded)
    history.flush()
    assert history.lookup(recorded.url) == recorded


def test_a_capture_checked_again_keeps_where_its_payload_is(open_history: Opener) -> None:
    history = open_history(owner="one")
    history.crawl_started(CrawlRun("one", DAY1))
    history.record(capture("http://a/", "one"))
    history.crawl_finished(finished(CrawlRun("one", DAY1), DAY1))
    history.close()
    history = open_history(owner="two")
    history.confirm("one", True)
    history.crawl_started(CrawlRun("two", DAY2))
    earlier = history.lookup("http://a/")
    history.record(earlier.checked("2026-01-02T00:00:00.000000Z", etag='"v2"'))
    history.flush()
    found = history.lookup("http://a/")
    assert (found.crawl_id, found.fetched_at, found.checked_at, found.etag) == (
        "one", "2026-01-01T00:00:00.000000Z", "2026-01-02T00:00:00.000000Z", '"v2"')
    assert [seen_by for seen_by, _ in history.captures("http://a/")] == ["one", "two"]


def test_a_crawl_not_confirmed_complete_is_forgotten(open_history: Opener) -> None:
    history = open_history(owner="one")
    history.crawl_started(CrawlRun("one", DAY1))
    history.record(capture("http://a/", "one"))
    history.crawl_finished(finished(CrawlRun("one", DAY1), "2026-01-01T01:00:00+00:00"))
    history.close()
    history = open_history(owner="two")
    history.crawl_started(CrawlRun("two", DAY2))  # a crawl that ran without confirming "one"
    history.record(capture("http://a/", "two", "2026-01-02T00:00:00.000000Z"))
    history.record(capture("http://b/", "two", "2026-01-02T00:00:00.000000Z"))
    history.crawl_finished(finished(CrawlRun("two", DAY2), "2026-01-02T01:00:00+00:00"))
    history.close()
    history = open_history(owner="three")
    assert history.unconfirmed() == ["one", "two"]
    assert history.lookup("http://a/") is None  # nothing counts before it is confirmed
    history.confirm("one", True)
    history.confirm("two", False)  # its manifest never appeared: what it fetched is lost
    found = history.lookup("http://a/")
    assert found is not None and found.crawl_id == "one"
    assert history.lookup("http://b/") is None and history.captures("http://b/") == []
    last = history.last_crawl()
    assert last == CrawlRun("one", DAY1, "2026-01-01T01:00:00+00:00", "finished")
    assert [(run.crawl_id, done) for run, done in history.crawls()] == [("one", True)]
    assert history.unconfirmed() == []


def test_a_resumed_crawl_keeps_its_start(open_history: Opener) -> None:
    history = open_history(owner="one")
    history.crawl_started(CrawlRun("one", DAY1))
    history.crawl_started(CrawlRun("one", DAY2))  # the same crawl, resumed (or joined)
    history.crawl_finished(finished(CrawlRun("one", DAY2), DAY3))
    history.close()
    history = open_history(owner="two")
    history.confirm("one", True)
    assert history.last_crawl() == CrawlRun("one", DAY1, DAY3, "finished")


def test_a_second_crawl_is_refused_while_one_records(open_history: Opener) -> None:
    history = open_history(owner="crawl-a")
    history.crawl_started(CrawlRun("crawl-a", DAY1))
    with pytest.raises(HistoryLocked, match="crawl-a"):
        open_history(owner="crawl-b")
    looking = open_history(read_only=True)  # `scrapy history` meanwhile: no lock
    assert looking.lookup("http://a/") is None
    history.crawl_finished(finished(CrawlRun("crawl-a", DAY1), DAY2))
    history.close()
    open_history(owner="crawl-b")  # the first has ended


# -- what only the shared store does -------------------------------------------------------


def test_the_processes_of_one_crawl_record_at_once(redis_server: RedisServer) -> None:
    """Two processes of one crawl, each with its own connection, recording at the same time,
    half of their URLs the same: nothing is lost, each URL keeps one capture of the crawl."""
    workers = [RedisHistory.from_url(redis_server.url, ARCHIVE, owner="crawl-1") for _ in range(2)]
    run = CrawlRun("crawl-1", DAY1)
    for worker in workers:
        worker.crawl_started(run)
    assert workers[1].unconfirmed() == []  # the running crawl is not an earlier one to confirm

    def record(index: int) -> None:
        history = workers[index]
        for n in range(index * 1000, index * 1000 + 2000):
            history.record(capture(f"http://site/{n}", "crawl-1", f"2026-01-01T00:00:{index:02d}.000000Z"))
            if n % 250 == 0:
                history.flush()
        history.flush()

    threads = [threading.Thread(target=record, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    workers[0].worker_finished()
    with pytest.raises(HistoryLocked, match="crawl-1"):  # the crawl still runs in the other process
        RedisHistory.from_url(redis_server.url, ARCHIVE, owner="crawl-2")
    workers[1].crawl_finished(finished(run, DAY2))
    for worker in workers:
        worker.close()
    history = RedisHistory.from_url(redis_server.url, ARCHIVE, owner="crawl-2")
    assert history.unconfirmed() == ["crawl-1"]
    history.confirm("crawl-1", True)
    assert history.last_crawl() == CrawlRun("crawl-1", DAY1, DAY2, "finished")
    for n in range(3000):
        captures = history.captures(f"http://site/{n}")
        assert [seen_by for seen_by, _ in captures] == ["crawl-1"], n
    history.close()


def test_a_crawl_whose_processes_died_keeps_the_lock_until_it_is_run_again(redis_server: RedisServer) -> None:
    worker = RedisHistory.from_url(redis_server.url, ARCHIVE, owner="crawl-1")
    worker.crawl_started(CrawlRun("crawl-1", DAY1))
    worker.record(capture("http://a/", "crawl-1"))
    worker.flush()
    worker.client.close()  # killed: nothing more said
    with pytest.raises(HistoryLocked, match="run it again with its ARCHIVE_CRAWL_ID"):
        RedisHistory.from_url(redis_server.url, ARCHIVE, owner="crawl-2")
    again = RedisHistory.from_url(redis_server.url, ARCHIVE, owner="crawl-1")
    again.crawl_started(CrawlRun("crawl-1", DAY2))
    assert again.lookup("http://a/") is not None  # what the dead run recorded counts
    again.crawl_finished(finished(CrawlRun("crawl-1", DAY2), DAY3))
    again.close()
    RedisHistory.from_url(redis_server.url, ARCHIVE, owner="crawl-2").close()


def test_a_crawl_complete_in_the_archive_no_longer_holds_the_lock(redis_server: RedisServer) -> None:
    """Every process of crawl-1 stopped recording without ending the run (none knew it was
    the last one out); its manifest is published: the next crawl ends its run and goes on."""
    archive: set[str] = set()
    worker = RedisHistory.from_url(redis_server.url, ARCHIVE, owner="crawl-1", complete=archive.__contains__)
    worker.crawl_started(CrawlRun("crawl-1", DAY1))
    worker.record(capture("http://a/", "crawl-1"))
    worker.worker_finished()
    worker.close()
    with pytest.raises(HistoryLocked, match="crawl-1"):  # no manifest yet: it may still run
        RedisHistory.from_url(redis_server.url, ARCHIVE, owner="crawl-2", complete=archive.__contains__)
    archive.add("crawl-1")
    history = RedisHistory.from_url(redis_server.url, ARCHIVE, owner="crawl-2", complete=archive.__contains__)
    assert history.unconfirmed() == ["crawl-1"]
    history.confirm("crawl-1", True)
    assert history.last_crawl() == CrawlRun("crawl-1", DAY1, None, "finished")
    assert history.lookup("http://a/") is not None
    history.close()


def test_a_crawl_that_never_started_lets_the_lock_go(redis_server: RedisServer) -> None:
    RedisHistory.from_url(redis_server.url, ARCHIVE, owner="crawl-1").close()
    RedisHistory.from_url(redis_server.url, ARCHIVE, owner="crawl-2").close()


def test_a_url_keeps_the_captures_a_crawl_can_still_need(redis_server: RedisServer) -> None:
    """Memory costs more than disk: of the confirmed crawls only the newest capture stays
    (what the next crawl falls back to should the running one be forgotten)."""
    for day, crawl_id in enumerate(["c1", "c2", "c3"], start=1):
        history = RedisHistory.from_url(redis_server.url, ARCHIVE, owner=crawl_id)
        for earlier in history.unconfirmed():
            history.confirm(earlier, True)
        history.crawl_started(CrawlRun(crawl_id, f"2026-01-0{day}T00:00:00+00:00"))
        history.record(capture("http://a/", crawl_id, f"2026-01-0{day}T00:00:00.000000Z"))
        history.flush()
        if crawl_id != "c3":
            history.crawl_finished(finished(CrawlRun(crawl_id, f"2026-01-0{day}T00:00:00+00:00"), DAY3))
            history.close()
    assert [seen_by for seen_by, _ in history.captures("http://a/")] == ["c2", "c3"]
    history.close()


def test_each_archive_has_its_own_history_on_one_redis(redis_server: RedisServer) -> None:
    one = RedisHistory.from_url(redis_server.url, "file:///srv/one", owner="crawl-1")
    two = RedisHistory.from_url(redis_server.url, "s3://bucket/two", owner="crawl-2")  # not locked out
    one.crawl_started(CrawlRun("crawl-1", DAY1))
    one.record(capture("http://a/", "crawl-1"))
    one.flush()
    two.crawl_started(CrawlRun("crawl-2", DAY1))
    assert two.lookup("http://a/") is None
    client = redis_server.client()
    assert client.get(archive_namespace("s3://bucket/two") + "uri") == b"s3://bucket/two"
    assert client.exists(one.url_key("http://a/")) and not client.exists(two.url_key("http://a/"))
    for history in (one, two):
        history.close()


def test_an_unreachable_redis_is_a_clear_error(redis_server: RedisServer) -> None:
    url = redis_server.url
    redis_server.stop()
    with pytest.raises(HistoryError, match="does not answer"):
        RedisHistory.from_url(url, ARCHIVE, owner="crawl-1")
