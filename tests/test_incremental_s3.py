"""Incremental crawls into ``s3://`` from a runner with an empty disk.

The story: crawl the changing news site into a bucket (real SeaweedFS, ``weed mini``),
throw the spool away, change the site, crawl again with a new, empty spool: the crawl
history comes from the bucket, the second crawl archives revisits of the first crawl's
records and new text versions, the history goes back to the bucket, and ``scrapy verify``
of the second crawl finds every revisit's original in the first.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

from benchmarks.newssite import NewsSite, NewsSiteServer
from scraper.history.base import HISTORY_NAME
from tests.support.crawl import run_crawl, run_scrapy
from tests.support.s3server import WeedServer

PREFIX = "incremental"


def settings(weed: WeedServer, spool: Path, prefix: str = PREFIX) -> dict[str, str]:
    return {
        "ARCHIVE_URI": f"s3://{weed.bucket}/{prefix}",
        "ARCHIVE_SPOOL_DIR": str(spool),
        "AWS_ENDPOINT_URL": weed.endpoint_url,
        "AWS_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": weed.access_key,
        "AWS_SECRET_ACCESS_KEY": weed.secret_key,
    }


def text_rows(weed: WeedServer, crawl_id: str) -> list[dict[str, object]]:
    client = weed.client()
    listing = client.list_objects_v2(Bucket=weed.bucket, Prefix=f"{PREFIX}/{crawl_id}/text/").get("Contents", [])
    rows = []
    for item in listing:
        body = client.get_object(Bucket=weed.bucket, Key=item["Key"])["Body"].read()
        rows += [json.loads(line) for line in gzip.decompress(body).splitlines() if line.strip()]
    return rows


def test_second_crawl_from_an_empty_spool_revisits_the_first(weed: WeedServer, tmp_path: Path) -> None:
    site = NewsSite.with_articles(8)
    server = NewsSiteServer(site)
    base = server.start()
    arguments = {"urls": base + "/", "follow": "2", "sitemaps": "robots", "feeds": base + "/feed.xml"}
    try:
        first = run_crawl(tmp_path / "unused", arguments, settings(weed, tmp_path / "spool-1"), crawl_id="s3-1")
        assert first.returncode == 0, first.log
        shutil.rmtree(tmp_path / "spool-1")  # the next runner starts with an empty disk
        site.add_articles(1)
        site.edit_text([2])
        server.reset_counts()
        second = run_crawl(tmp_path / "unused", arguments, settings(weed, tmp_path / "spool-2"), crawl_id="s3-2")
        assert second.returncode == 0, second.log
    finally:
        server.stop()
    assert f"Crawl history from s3://{weed.bucket}/{PREFIX}/{HISTORY_NAME}" in second.log
    assert "/news/1.html" not in server.requests and server.statuses[304] >= 3  # it knew the first crawl
    # The 304 sections' links were read from the first crawl's WARC in the bucket (a ranged GET).
    assert "'archive/history/earlier_listings_read': 4" in second.log  # the sections without the new article
    assert "earlier_unreadable" not in second.log
    rows = {row["url"]: row for row in text_rows(weed, "s3-2")}
    first_rows = {row["url"]: row for row in text_rows(weed, "s3-1")}
    assert sorted(rows) == [f"{base}/news/2.html", f"{base}/news/9.html"]
    assert rows[f"{base}/news/2.html"]["version"] == 2
    assert rows[f"{base}/news/2.html"]["previous_warc_record_id"] == first_rows[f"{base}/news/2.html"]["warc_record_id"]
    client = weed.client()
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=weed.bucket, Prefix=PREFIX).get("Contents", [])]
    assert f"{PREFIX}/{HISTORY_NAME}" in keys
    assert f"{PREFIX}/{HISTORY_NAME}.lock" not in keys  # released at the end

    verify = run_scrapy("verify", f"s3://{weed.bucket}/{PREFIX}/s3-2", "-s", f"AWS_ENDPOINT_URL={weed.endpoint_url}",
                        "-s", "AWS_REGION_NAME=us-east-1", env=weed.environment())
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "in earlier crawls of the archive" in verify.stdout
    revisits = int(verify.stdout.split("revisits: ")[1].split(" ")[0])
    assert revisits >= 3 and f"{revisits} originals found ({revisits} in earlier" in verify.stdout


def test_a_second_crawl_on_another_machine_is_refused_while_the_first_holds_the_bucket_history(
    weed: WeedServer, tmp_path: Path
) -> None:
    client = weed.client()
    lock_key = f"{PREFIX}-locked/{HISTORY_NAME}.lock"
    client.put_object(Bucket=weed.bucket, Key=lock_key, Body=b'{"crawl_id": "running-elsewhere"}')
    site = NewsSite.with_articles(2)
    server = NewsSiteServer(site)
    base = server.start()
    try:
        bucket_settings = {**settings(weed, tmp_path / "spool"), "ARCHIVE_URI": f"s3://{weed.bucket}/{PREFIX}-locked"}
        result = run_crawl(tmp_path / "unused", {"urls": base + "/"}, bucket_settings, crawl_id="refused")
    finally:
        server.stop()
    assert result.returncode == 1
    assert "in use by another crawl" in result.log and "running-elsewhere" in result.log
    assert not server.requests  # nothing fetched
    assert client.get_object(Bucket=weed.bucket, Key=lock_key)["Body"].read()  # the holder's lock stays


def test_a_damaged_history_in_the_bucket_is_rebuilt_from_the_bucket(weed: WeedServer, tmp_path: Path) -> None:
    prefix = "incremental-damaged"
    site = NewsSite.with_articles(4)
    server = NewsSiteServer(site)
    base = server.start()
    arguments = {"urls": base + "/", "follow": "2", "sitemaps": "robots"}
    client = weed.client()
    key = f"{prefix}/{HISTORY_NAME}"
    try:
        first = run_crawl(tmp_path / "unused", arguments, settings(weed, tmp_path / "spool-1", prefix), crawl_id="d-1")
        assert first.returncode == 0, first.log
        client.put_object(Bucket=weed.bucket, Key=key, Body=b"SQLite format 3\x00" + b"\xee" * 4096)
        refused = run_crawl(tmp_path / "unused", arguments, settings(weed, tmp_path / "spool-2", prefix),
                            crawl_id="d-2")
        assert refused.returncode == 1 and "cannot be read" in refused.log and "--rebuild" in refused.log
        rebuilt = run_scrapy("history", "--rebuild", "--archive", f"s3://{weed.bucket}/{prefix}", "-s",
                             f"AWS_ENDPOINT_URL={weed.endpoint_url}", "-s", "AWS_REGION_NAME=us-east-1",
                             env=weed.environment())
        assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
        assert "1 crawls" in rebuilt.stdout
        server.reset_counts()
        again = run_crawl(tmp_path / "unused", arguments, settings(weed, tmp_path / "spool-3", prefix), crawl_id="d-3")
        assert again.returncode == 0, again.log
    finally:
        server.stop()
    assert text_rows(weed, "d-3") == []  # the rebuilt history knows every article's text
    assert server.statuses[304] >= 1 and not any(path.startswith("/news/") for path in server.requests)
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=weed.bucket, Prefix=prefix).get("Contents", [])]
    assert any(k.startswith(f"{key}.damaged-") for k in keys) and f"{key}.lock" not in keys


def test_a_resumed_crawl_takes_over_the_lock_its_killed_run_left(weed: WeedServer, tmp_path: Path) -> None:
    client = weed.client()
    prefix = "incremental-resumed"
    client.put_object(Bucket=weed.bucket, Key=f"{prefix}/{HISTORY_NAME}.lock", Body=b'{"crawl_id": "same-crawl"}')
    site = NewsSite.with_articles(2)
    server = NewsSiteServer(site)
    base = server.start()
    try:
        result = run_crawl(tmp_path / "unused", {"urls": base + "/"}, settings(weed, tmp_path / "spool", prefix),
                           crawl_id="same-crawl")
    finally:
        server.stop()
    assert result.returncode == 0, result.log
    assert "Taking over the crawl history lock" in result.log
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=weed.bucket, Prefix=prefix).get("Contents", [])]
    assert f"{prefix}/{HISTORY_NAME}" in keys and f"{prefix}/{HISTORY_NAME}.lock" not in keys
