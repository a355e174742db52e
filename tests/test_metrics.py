"""Each crawl leaves its figures for Prometheus (node_exporter's textfile collector) when asked to."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.support.crawl import run_crawl
from tests.support.rawsite import RawSite

ARTICLE = "/article?id=7&lang=en"


def read_metrics(path: Path) -> dict[str, float]:
    """Name (less ``news_archiver_``) -> value of every sample, checking each is labelled with the spider."""
    values = {}
    for family in text_string_to_metric_families(path.read_text("utf-8")):
        assert family.type == "gauge" and family.documentation
        for sample in family.samples:
            assert sample.labels == {"spider": "articles"}
            values[sample.name.removeprefix("news_archiver_")] = sample.value
    return values


def test_metrics_of_a_good_crawl_then_a_failed_one_keep_the_last_success(tmp_path: Path) -> None:
    archive, metrics = tmp_path / "archive", tmp_path / "textfile" / "news.prom"
    metrics.parent.mkdir()
    site = RawSite()
    base = site.start()
    try:
        good = run_crawl(archive, {"urls": f"{base}{ARTICLE},{base}/teapot", "requisites": "0"},
                         {"ARCHIVE_METRICS_FILE": str(metrics)}, crawl_id="good")
        assert good.returncode == 0, good.log
        first = read_metrics(metrics)
        stats = good.manifest["stats"]
        assert first["crawl_pages"] == stats["archive/warc/responses"] == 3
        assert first["crawl_articles"] == stats["archive/text/articles"] == 1
        assert first["crawl_bytes"] == stats["archive/warc/http_bytes"] > 0
        assert first["crawl_errors"] == 0
        assert 0 < first["crawl_duration_seconds"] < 120
        assert first["crawl_success"] == 1
        assert first["last_success_timestamp_seconds"] == first["crawl_end_timestamp_seconds"]

        failed = run_crawl(archive, {"urls": f"{base}{ARTICLE},{base}/teapot,{base}/gzipped", "requisites": "0"},
                           {"ARCHIVE_METRICS_FILE": str(metrics), "CLOSESPIDER_PAGECOUNT": "1",
                            "CONCURRENT_REQUESTS": "1"}, crawl_id="stopped-early")
        assert failed.returncode == 0, failed.log
    finally:
        site.stop()
    second = read_metrics(metrics)
    assert second["crawl_success"] == 0  # finish_reason closespider_pagecount
    assert second["crawl_end_timestamp_seconds"] > first["crawl_end_timestamp_seconds"]
    assert second["last_success_timestamp_seconds"] == first["last_success_timestamp_seconds"]
    assert [p.name for p in metrics.parent.iterdir()] == ["news.prom"]  # written by rename, nothing left over


def test_a_metrics_file_in_no_folder_stops_the_crawl_before_fetching(tmp_path: Path) -> None:
    site = RawSite()
    base = site.start()
    try:
        done = run_crawl(tmp_path / "archive", {"urls": f"{base}{ARTICLE}"},
                         {"ARCHIVE_METRICS_FILE": str(tmp_path / "no-such-folder" / "news.prom")})
    finally:
        site.stop()
    assert done.returncode == 1
    assert "no-such-folder" in done.log
    assert site.paths() == []


def test_uploads_left_pending_make_a_crawl_unsuccessful(tmp_path: Path) -> None:
    """A crawl that ran to its end but left files in the S3 spool did not succeed (as `scrapy crawl` exits 1)."""
    from datetime import datetime, timezone

    from scraper.tools.metrics import write_crawl_metrics

    path = tmp_path / "news.prom"
    ended = datetime(2030, 1, 1, tzinfo=timezone.utc)
    write_crawl_metrics(path, "articles", {"finish_reason": "finished"}, finished_at=ended)
    stats = {"finish_reason": "finished", "archive/upload/pending": 3, "archive/warc/responses": 40}
    write_crawl_metrics(path, "articles", stats, finished_at=datetime(2030, 1, 2, tzinfo=timezone.utc))
    values = read_metrics(path)
    assert values["crawl_success"] == 0 and values["crawl_pages"] == 40
    assert values["last_success_timestamp_seconds"] == ended.timestamp()
