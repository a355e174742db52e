"""A finished crawl's figures for Prometheus, in node_exporter's textfile format.

:func:`write_crawl_metrics` turns a crawl's stats into gauges and writes them with
``prometheus_client.write_to_textfile`` (a temporary file renamed over the old one, so
the collector never reads half a file). The time of the last successful crawl is kept
across crawls: a failed crawl reads it back from the file it replaces. Knows nothing of
Scrapy; the ``ArchiveMetrics`` extension calls it when the crawl has ended.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from scraper.tools.crawls import crawl_problems

__all__ = ["LAST_SUCCESS", "METRIC_PREFIX", "crawl_registry", "previous_last_success", "write_crawl_metrics"]

logger = logging.getLogger(__name__)

METRIC_PREFIX = "news_archiver_"
LAST_SUCCESS = METRIC_PREFIX + "last_success_timestamp_seconds"

#: Gauge name (after the prefix) -> (help text, the stat it is read from).
STAT_GAUGES = {
    "crawl_pages": ("Responses archived in WARC by the last crawl", "archive/warc/responses"),
    "crawl_articles": ("Article text rows written by the last crawl", "archive/text/articles"),
    "crawl_bytes": ("HTTP bytes (as received) archived in WARC by the last crawl", "archive/warc/http_bytes"),
    "crawl_errors": ("ERROR log lines of the last crawl (failed fetches, uploads, bugs)", "log_count/ERROR"),
    "crawl_duration_seconds": ("Seconds the last crawl ran, spider open to close", "elapsed_time_seconds"),
}


def previous_last_success(path: Path, spider: str) -> float | None:
    """The last-success time an earlier crawl of ``spider`` wrote to ``path``; None if there is none."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return None
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == LAST_SUCCESS and sample.labels.get("spider") == spider:
                    return float(sample.value)
    except ValueError as error:  # not ours, or damaged: say so, and start afresh
        logger.warning("%s does not parse as Prometheus text (%s): last success time starts afresh", path, error)
    return None


def crawl_registry(
    spider: str, stats: Mapping[str, Any], *, finished_at: datetime, last_success: float | None
) -> Any:
    """A ``CollectorRegistry`` with the gauges of one finished crawl, labelled ``spider``.

    ``success`` (1 or 0) is :func:`scraper.tools.crawls.crawl_problems`' verdict, as
    ``scrapy crawls`` gives it; the last-success time is ``finished_at`` after a success,
    else ``last_success`` (left out when there is none).
    """
    from prometheus_client import CollectorRegistry, Gauge

    registry = CollectorRegistry()

    def gauge(name: str, documentation: str, value: float) -> None:
        Gauge(METRIC_PREFIX + name, documentation, ["spider"], registry=registry).labels(spider=spider).set(value)

    for name, (documentation, stat) in STAT_GAUGES.items():
        value = stats.get(stat, 0)
        gauge(name, documentation, float(value) if isinstance(value, (int, float)) else 0.0)
    succeeded = not crawl_problems(stats.get("finish_reason"), stats)
    gauge("crawl_success", "1 if the last crawl ran to its end and its archive is complete, else 0", succeeded)
    gauge("crawl_end_timestamp_seconds", "When the last crawl ended (Unix time)", finished_at.timestamp())
    if succeeded:
        last_success = finished_at.timestamp()
    if last_success is not None:
        gauge(LAST_SUCCESS[len(METRIC_PREFIX) :], "When a crawl last succeeded (Unix time)", last_success)
    return registry


def write_crawl_metrics(path: Path, spider: str, stats: Mapping[str, Any], *, finished_at: datetime) -> None:
    """Replace ``path`` with the finished crawl's gauges (blocking: call it from a thread).

    Raises ``OSError`` if the file cannot be written.
    """
    from prometheus_client import write_to_textfile

    registry = crawl_registry(
        spider, stats, finished_at=finished_at, last_success=previous_last_success(path, spider)
    )
    write_to_textfile(str(path), registry)
