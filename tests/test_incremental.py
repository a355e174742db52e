"""Incremental crawls: a news site crawled, changed, crawled again on the same archive.

The story: crawl the changing news site (benchmarks/newssite.py, whose server honours
ETag and If-Modified-Since), then add two articles, edit the text of two, change only
the markup of two more, and crawl again. The second crawl asks for pages conditionally,
archives 304s and identical payloads as revisit records that name the first crawl's
records, writes new text rows only for new and edited articles (with their version), and
passes ``scrapy verify``; pywb replays a revisit with the first crawl's WARC beside it.
A third crawl of the unchanged site writes no text row at all.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.timeutils import iso_date_to_timestamp

from benchmarks.newssite import SECTIONS, NewsSite, NewsSiteServer
from scraper.archive import warc
from scraper.archive.verify import verify_crawl
from scraper.history.base import HISTORY_NAME, Capture, CrawlRun, HistoryCorrupt, HistoryLocked
from scraper.history.sqlite import SqliteHistory
from tests.support.crawl import ROOT, CrawlResult, run_crawl, run_scrapy
from tests.support.warcio_check import warcio_check_faults

NEW, EDITED, MARKUP = [13, 14], [3, 4], [5, 6]


def arguments(base: str) -> dict[str, str]:
    return {"urls": base + "/", "follow": "2", "sitemaps": "robots", "feeds": base + "/feed.xml"}


def records(result: CrawlResult) -> list[Any]:
    """``(WARC headers, HTTP head, block length)`` of every record of the crawl."""
    found = []
    for path in result.warc_files():
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                block = record.content_stream().read() if record.rec_type != "warcinfo" else b""
                found.append((record.rec_headers, record.http_headers, block))
    return found


def responses_by_url(result: CrawlResult) -> dict[str, Any]:
    return {h.get_header("WARC-Target-URI"): h for h, _, _ in records(result)
            if h.get_header("WARC-Type") == "response"}


@dataclass
class Crawls:
    site: NewsSite
    server: NewsSiteServer
    base: str
    archive: Path
    first: CrawlResult
    second: CrawlResult
    third: CrawlResult
    second_requests: dict[str, int]
    second_statuses: dict[int, int]
    third_requests: dict[str, int]


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawls]:
    site = NewsSite.with_articles(12)
    server = NewsSiteServer(site)
    base = server.start()
    archive = tmp_path_factory.mktemp("archive")
    try:
        first = run_crawl(archive, arguments(base), crawl_id="crawl-1")
        assert first.returncode == 0, first.log
        site.add_articles(len(NEW))
        site.edit_text(EDITED)
        site.edit_markup(MARKUP)
        server.reset_counts()
        second = run_crawl(archive, arguments(base), crawl_id="crawl-2")
        assert second.returncode == 0, second.log
        second_requests, second_statuses = dict(server.requests), dict(server.statuses)
        server.reset_counts()
        third = run_crawl(archive, arguments(base), crawl_id="crawl-3")
        assert third.returncode == 0, third.log
        yield Crawls(site, server, base, archive, first, second, third, second_requests, second_statuses,
                     dict(server.requests))
    finally:
        server.stop()


def test_first_crawl_rows_are_version_one(crawls: Crawls) -> None:
    rows = crawls.first.text_rows()
    assert sorted(row["url"] for row in rows) == sorted(f"{crawls.base}/news/{n}.html" for n in range(1, 13))
    assert {(row["version"], row["previous_warc_record_id"]) for row in rows} == {(1, None)}


def test_second_crawl_fetches_only_what_changed_or_is_a_listing(crawls: Crawls) -> None:
    fetched = crawls.second_requests
    for n in range(1, 13):
        changed = n in EDITED + MARKUP  # their sitemap lastmod moved
        assert (f"/news/{n}.html" in fetched) == changed, n
        assert fetched.get(f"/news/{n}.html", 0) <= 1, n  # never twice, whichever way it was found first
        assert f"/img/{n}.jpg" not in fetched  # requisites once
    for n in NEW:
        assert fetched[f"/news/{n}.html"] == 1 and fetched[f"/img/{n}.jpg"] == 1
    assert "/static/site.css" not in fetched
    for listing in ("/", "/feed.xml", "/sitemap-news.xml", "/section/world/", "/about.html"):
        assert listing in fetched, listing
    assert crawls.second_statuses[304] == 3  # the three sections without a new article


def test_not_modified_is_a_revisit_naming_the_first_capture(crawls: Crawls) -> None:
    first = responses_by_url(crawls.first)
    revisits = [(h, http, block) for h, http, block in records(crawls.second)
                if h.get_header("WARC-Profile") == warc.SERVER_NOT_MODIFIED]
    assert len(revisits) == 3
    for headers, http, _ in revisits:
        url = headers.get_header("WARC-Target-URI")
        assert "/section/" in url and http.get_statuscode() == "304"
        original = first[url]
        assert headers.get_header("WARC-Type") == "revisit"
        assert headers.get_header("WARC-Refers-To") == original.get_header("WARC-Record-ID")
        assert headers.get_header("WARC-Refers-To-Target-URI") == url
        assert headers.get_header("WARC-Refers-To-Date") == original.get_header("WARC-Date")
        assert headers.get_header("WARC-Payload-Digest") == original.get_header("WARC-Payload-Digest")
    (request,) = [http for h, http, _ in records(crawls.second)
                  if h.get_header("WARC-Type") == "request" and h.get_header("WARC-Target-URI").endswith("/world/")]
    assert request.get_header("If-None-Match") and request.get_header("If-Modified-Since")  # archived as sent


def test_identical_payload_is_a_revisit_without_the_body(crawls: Crawls) -> None:
    url = f"{crawls.base}/about.html"  # served without validators: fetched whole, found identical
    original = responses_by_url(crawls.first)[url]
    (headers, http, block), = [r for r in records(crawls.second) if r[0].get_header("WARC-Target-URI") == url
                               and r[0].get_header("WARC-Type") == "revisit"]
    assert headers.get_header("WARC-Profile") == warc.IDENTICAL_PAYLOAD_DIGEST
    assert http.get_statuscode() == "200" and block == b""  # the head only
    assert headers.get_header("WARC-Payload-Digest") == original.get_header("WARC-Payload-Digest")
    assert headers.get_header("WARC-Refers-To") == original.get_header("WARC-Record-ID")
    assert headers.get_header("WARC-Refers-To-Date") == original.get_header("WARC-Date")


def test_new_text_rows_only_for_new_and_edited_articles(crawls: Crawls) -> None:
    first = {row["url"]: row for row in crawls.first.text_rows()}
    rows = {row["url"]: row for row in crawls.second.text_rows()}
    assert sorted(rows) == sorted(f"{crawls.base}/news/{n}.html" for n in NEW + EDITED)
    for n in NEW:
        row = rows[f"{crawls.base}/news/{n}.html"]
        assert (row["version"], row["previous_warc_record_id"]) == (1, None)
    for n in EDITED:
        url = f"{crawls.base}/news/{n}.html"
        assert rows[url]["version"] == 2
        assert rows[url]["previous_warc_record_id"] == first[url]["warc_record_id"]
        assert "Correction 1" in rows[url]["text"]
    stats = crawls.second.manifest["stats"]
    assert stats["archive/history/not_fetched/page"] == 12 - len(EDITED + MARKUP)  # each counted once
    assert stats["archive/text/unchanged"] == len(MARKUP)  # fetched whole, new markup, same text
    assert stats["archive/text/versions"] == len(EDITED)
    markup_urls = {f"{crawls.base}/news/{n}.html" for n in MARKUP}
    assert markup_urls <= set(responses_by_url(crawls.second))  # their new payload is archived in full


def test_unchanged_site_third_crawl_writes_no_row(crawls: Crawls) -> None:
    assert crawls.third.text_rows() == []
    assert not any(path.startswith("/news/") or path.startswith("/img/") for path in crawls.third_requests)
    stats = crawls.third.manifest["stats"]
    assert stats["archive/history/not_modified"] == 7  # five sections, the feed, the sitemap
    assert stats["archive/history/revisits"] == 2  # the front page (fetched whole, read for links), about
    assert "archive/text/articles" not in stats
    assert "saved:" in crawls.third.log and "not modified (304)" in crawls.third.log


def test_verify_finds_each_revisits_original_in_the_archive(crawls: Crawls, tmp_path: Path) -> None:
    report = verify_crawl(crawls.second.crawl_dir)
    assert report.ok, report.summary()
    assert report.counts["revisits"] == 4 and report.counts["revisit_originals_elsewhere"] == 4
    # The same crawl without the first one beside it: each revisit's original is missing.
    alone = tmp_path / "crawl-2"
    shutil.copytree(crawls.second.crawl_dir, alone)
    report = verify_crawl(alone)
    assert not report.ok
    assert sum("is in no crawl of the archive" in fault.message for fault in report.faults) == 4


def test_warcio_checks_the_crawl_with_its_revisits(crawls: Crawls) -> None:
    assert warcio_check_faults(crawls.second.warc_files()) == []


def test_cdxj_and_wacz_carry_the_revisits(crawls: Crawls) -> None:
    import zipfile

    index = "".join(p.read_text() for p in (crawls.second.crawl_dir / "indexes").glob("*.cdxj"))
    assert index.count('"mime": "warc/revisit"') == 4
    with zipfile.ZipFile(crawls.second.crawl_dir / "crawl-2.wacz") as package:
        import gzip

        packed = gzip.decompress(package.read("indexes/index.cdx.gz")).decode()
    assert packed.count('"mime": "warc/revisit"') == 4


def test_history_command_shows_every_capture(crawls: Crawls) -> None:
    url = f"{crawls.base}/news/{EDITED[0]}.html"
    done = run_scrapy("history", "--archive", str(crawls.archive), url)
    assert done.returncode == 0, done.stderr
    assert "crawl crawl-1: status 200" in done.stdout and "crawl crawl-2: status 200" in done.stdout
    assert "article text version 2" in done.stdout


# -- the history file -------------------------------------------------------------------


def capture(url: str, crawl_id: str, date: str = "2026-01-01T00:00:00.000000Z") -> Capture:
    return Capture(url=url, status=200, fetched_at=date, checked_at=date, crawl_id=crawl_id,
                   warc_filename=f"{crawl_id}.warc.gz", warc_offset=0, warc_record_id="<urn:uuid:1>",
                   payload_digest="sha1:X", payload_bytes=10)


def test_a_crawl_not_confirmed_complete_is_forgotten(tmp_path: Path) -> None:
    history = SqliteHistory(tmp_path / HISTORY_NAME)
    history.crawl_started(CrawlRun("one", "2026-01-01T00:00:00+00:00"))
    history.record(capture("http://a/", "one"))
    assert history.lookup("http://a/") is not None  # its own records, before any flush
    history.crawl_finished(CrawlRun("one", "2026-01-01T00:00:00+00:00", "2026-01-01T01:00:00+00:00", "finished"))
    history.crawl_started(CrawlRun("two", "2026-01-02T00:00:00+00:00"))
    history.record(capture("http://a/", "two", "2026-01-02T00:00:00.000000Z"))
    history.crawl_finished(CrawlRun("two", "2026-01-02T00:00:00+00:00", "2026-01-02T01:00:00+00:00", "finished"))
    history.close()
    history = SqliteHistory(tmp_path / HISTORY_NAME)
    assert history.unconfirmed() == ["one", "two"]
    assert history.lookup("http://a/") is None  # nothing counts before it is confirmed
    history.confirm("one", True)
    history.confirm("two", False)  # its manifest never appeared: what it fetched is lost
    found = history.lookup("http://a/")
    assert found is not None and found.crawl_id == "one"
    last = history.last_crawl()
    assert last is not None and last.crawl_id == "one"
    history.close()


def test_two_crawls_on_one_history_the_second_is_refused(crawls: Crawls, tmp_path: Path) -> None:
    held = SqliteHistory(crawls.archive / HISTORY_NAME, owner="crawl-running")  # a crawl in progress
    try:
        result = run_crawl(crawls.archive, arguments(crawls.base), crawl_id="crawl-meanwhile")
    finally:
        held.close()
    assert result.returncode == 1
    assert "is in use by another crawl" in result.log and "crawl-running" in result.log
    assert not (crawls.archive / "crawl-meanwhile" / "warc").exists()  # nothing fetched
    first = SqliteHistory(tmp_path / HISTORY_NAME, owner="crawl-a")
    try:
        with pytest.raises(HistoryLocked, match="crawl-a"):
            SqliteHistory(tmp_path / HISTORY_NAME, owner="crawl-b")
    finally:
        first.close()


def test_corrupt_history_stops_the_crawl_and_is_rebuilt_from_the_archive(crawls: Crawls, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    for crawl in (crawls.first, crawls.second):
        shutil.copytree(crawl.crawl_dir, archive / crawl.crawl_dir.name)
    (archive / HISTORY_NAME).write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)  # damaged
    with pytest.raises(HistoryCorrupt, match="scrapy history --rebuild"):
        SqliteHistory(archive / HISTORY_NAME)
    result = run_crawl(archive, arguments(crawls.base), crawl_id="crawl-after-damage")
    assert result.returncode == 1 and "cannot be read" in result.log and "--rebuild" in result.log
    done = run_scrapy("history", "--archive", str(archive), "--rebuild")
    assert done.returncode == 0, done.stderr
    assert "2 crawls" in done.stdout
    assert list(archive.glob(HISTORY_NAME + ".damaged-*"))  # the damaged file is kept
    with sqlite3.connect(archive / HISTORY_NAME) as db:
        versions = dict(db.execute("SELECT url, max(text_version) FROM captures GROUP BY url").fetchall())
    assert versions[f"{crawls.base}/news/{EDITED[0]}.html"] == 2
    result = run_crawl(archive, arguments(crawls.base), crawl_id="crawl-rebuilt")
    assert result.returncode == 0, result.log
    assert result.text_rows() == []  # the rebuilt history knows every article's text
    assert result.manifest["stats"]["archive/history/not_modified"] >= 1  # its validators came back too


def test_pywb_replays_a_revisit_with_the_earlier_crawls_warc_beside_it(crawls: Crawls, tmp_path: Path) -> None:
    """``make replay``'s ``all`` collection: the second crawl's revisit of the about page
    replays with the first crawl's payload, headers from the revisit."""
    from tests.support.replay import ensure_pywb_venv, free_port, start_server

    ensure_pywb_venv()
    url = f"{crawls.base}/about.html"
    (headers, _, _), = [r for r in records(crawls.second) if r[0].get_header("WARC-Target-URI") == url
                        and r[0].get_header("WARC-Type") == "revisit"]
    timestamp = iso_date_to_timestamp(headers.get_header("WARC-Date"))
    archive = tmp_path / "archive"
    for crawl in (crawls.first, crawls.second):
        shutil.copytree(crawl.crawl_dir, archive / crawl.crawl_dir.name)
    port = free_port()
    server = start_server([sys.executable, str(ROOT / "scripts" / "replay.py"), str(archive), "--port", str(port),
                    "--run-dir", str(tmp_path / "run")], port, ROOT)
    try:
        status, replayed, body = server.get(f"/all/{timestamp}id_/{url}")
        assert status == 200
        assert body == crawls.site.resource("/about.html", crawls.base)[0]  # type: ignore[index]
        assert replayed.get("memento-datetime")  # replayed as the later capture
        # A server-not-modified revisit replays as the 304 the server sent: pywb 2.10 loads no
        # payload for a 3xx revisit (as for Heritrix's, ukwa/ukwa-pywb#40); the page replays
        # from the first crawl's moment.
        status, _, body = server.get(f"/all/{timestamp}id_/{crawls.base}/section/world/")
        assert (status, body) == (304, b"")
    finally:
        server.stop()


def test_since_skips_older_feed_and_sitemap_entries_on_a_first_run(crawls: Crawls, tmp_path: Path) -> None:
    """``since=`` (no history at all here): only entries dated after it are fetched."""
    newest = max(article.published for article in crawls.site.articles)
    since = (newest - (newest - min(a.published for a in crawls.site.articles)) / 2).isoformat()
    # An entry's date is its newest: an edited article's lastmod brings it back.
    expected = {a.path for a in crawls.site.articles if a.modified >= datetime.fromisoformat(since)}
    arguments = {"sitemaps": crawls.base + "/sitemap-news.xml", "feeds": crawls.base + "/feed.xml", "since": since}
    result = run_crawl(tmp_path, arguments, {"ARCHIVE_HISTORY": "False"}, crawl_id="since")
    assert result.returncode == 0, result.log
    rows = result.text_rows()
    assert {row["url"].removeprefix(crawls.base) for row in rows} == expected
    assert 0 < len(expected) < len(crawls.site.articles)
    assert {row["version"] for row in rows} == {None}  # no history: no versions
    assert result.manifest["stats"]["archive/history/old_entries"] > 0
    assert not (tmp_path / HISTORY_NAME).exists()


def test_articles_behind_a_not_modified_section_are_rechecked(tmp_path: Path) -> None:
    """A section answered 304 gives no body: its links come from its earlier capture, so an
    article linked only from there is still rechecked when due (issue 14)."""
    site = NewsSite.with_articles(34)  # the front page lists the 30 newest: 1-4 only in their sections
    server = NewsSiteServer(site)
    base = server.start()
    edited, behind_sections_only = 2, [1, 2, 3, 4]
    try:
        first = run_crawl(tmp_path, {"urls": base + "/", "follow": "2"}, crawl_id="crawl-1")
        assert first.returncode == 0, first.log
        site.edit_text([edited])  # its section's page does not change
        server.reset_counts()
        second = run_crawl(tmp_path, {"urls": base + "/", "follow": "2"}, {"ARCHIVE_RECHECK_AFTER": "0"},
                           crawl_id="crawl-2")
        assert second.returncode == 0, second.log
        fetched = dict(server.requests)
    finally:
        server.stop()
    url = f"{base}/news/{edited}.html"
    (row,) = second.text_rows()  # no row for the sections, nor for the unchanged articles
    assert (row["url"], row["version"]) == (url, 2)
    assert row["previous_warc_record_id"] == {r["url"]: r for r in first.text_rows()}[url]["warc_record_id"]
    for n in behind_sections_only:
        assert fetched[f"/news/{n}.html"] == 1, n
    by_url: dict[str, list[str]] = {}
    for headers, _, _ in records(second):
        if headers.get_header("WARC-Type") in ("response", "revisit"):
            by_url.setdefault(headers.get_header("WARC-Target-URI"), []).append(
                headers.get_header("WARC-Profile") or headers.get_header("WARC-Type"))
    for section in SECTIONS:  # archived once each, as the revisit it is
        assert by_url[f"{base}/section/{section}/"] == [warc.SERVER_NOT_MODIFIED], section
    for n in behind_sections_only:
        expected = "response" if n == edited else warc.SERVER_NOT_MODIFIED
        assert by_url[f"{base}/news/{n}.html"] == [expected], n
    assert second.manifest["stats"]["archive/history/earlier_listings_read"] == len(SECTIONS)
    report = verify_crawl(second.crawl_dir)
    assert report.ok, report.summary()
