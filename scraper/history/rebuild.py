"""A crawl history made again from what an archive holds: its CDXJ indexes and text rows.

For a history file that was lost or damaged: every complete crawl folder (one with a
``manifest.json``), oldest first; each index line's record is read at its offset for its
record id, date and validators (``ETag``, ``Last-Modified``); each text row gives the
article's text fingerprint and version.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from scraper.history.base import Capture, CrawlHistory, CrawlRun, text_fingerprint

__all__ = ["complete_crawls", "rebuild_history"]

logger = logging.getLogger(__name__)


def complete_crawls(archive_root: Path) -> list[tuple[Path, dict[str, Any]]]:
    """``(crawl folder, manifest)`` of every complete crawl under ``archive_root``, oldest first."""
    crawls = []
    for manifest_path in archive_root.glob("*/manifest.json"):
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            logger.warning("Skipping %s: unreadable manifest (%s)", manifest_path.parent, error)
            continue
        crawls.append((manifest_path.parent, manifest))
    return sorted(crawls, key=lambda crawl: str(crawl[1].get("start_time") or ""))


def _index_lines(crawl_dir: Path) -> Iterator[dict[str, Any]]:
    lines = []
    for path in sorted((crawl_dir / "indexes").glob("*.cdxj")):
        for line in path.read_text(encoding="utf-8").splitlines():
            _, timestamp, fields = line.split(" ", 2)
            lines.append((timestamp, json.loads(fields)))
    for _, fields in sorted(lines, key=lambda line: line[0]):
        yield fields


def _record_head(warc_path: Path, offset: int) -> tuple[dict[str, str], dict[str, str], int]:
    """WARC headers, HTTP headers (names lowercased) and payload size (bytes as sent, less
    any chunk framing) of the record at ``offset``."""
    with open(warc_path, "rb") as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream, no_record_parse=False)))
        warc_headers = dict(record.rec_headers.headers)
        http = {name.lower(): value for name, value in record.http_headers.headers} if record.http_headers else {}
        size = sum(len(chunk) for chunk in iter(lambda: record.raw_stream.read(65536), b""))
    return warc_headers, http, size


def rebuild_history(archive_root: Path, history: CrawlHistory) -> dict[str, int]:
    """Record into ``history`` what the complete crawls under ``archive_root`` captured.

    Returns counts: ``crawls``, ``captures`` (full responses), ``revisits``, ``texts``.
    """
    counts = {"crawls": 0, "captures": 0, "revisits": 0, "texts": 0}
    for crawl_dir, manifest in complete_crawls(archive_root):
        crawl_id = str(manifest.get("crawl_id") or crawl_dir.name)
        run = CrawlRun(crawl_id, str(manifest.get("start_time") or ""))
        history.crawl_started(run)
        for fields in _index_lines(crawl_dir):
            url, status = fields["url"], int(fields.get("status") or 0)
            warc_path = crawl_dir / "warc" / fields["filename"]
            warc_headers, http, payload_bytes = _record_head(warc_path, int(fields["offset"]))
            date = warc_headers.get("WARC-Date", "")
            earlier = history.lookup(url)
            validators = {"etag": http.get("etag"), "last_modified": http.get("last-modified")}
            if fields.get("mime") == "warc/revisit":
                if earlier is not None:
                    history.record(earlier.checked(date, **validators))
                counts["revisits"] += 1
                continue
            text = (earlier.text_fingerprint, earlier.text_version, earlier.text_record_id) if earlier else (None,) * 3
            history.record(Capture(
                url=url, status=status, fetched_at=date, checked_at=date, crawl_id=crawl_id,
                warc_filename=fields["filename"], warc_offset=int(fields["offset"]),
                warc_record_id=warc_headers.get("WARC-Record-ID", ""), payload_digest=fields.get("digest", ""),
                payload_bytes=payload_bytes,
                etag=validators["etag"], last_modified=validators["last_modified"],
                text_fingerprint=text[0], text_version=text[1], text_record_id=text[2],
            ))
            counts["captures"] += 1
        for path in sorted((crawl_dir / "text").glob("*.jsonl.gz")):
            with gzip.open(path, "rt", encoding="utf-8") as rows:
                for line in rows:
                    if not line.strip():
                        continue
                    row = json.loads(line)
                    capture = history.lookup(row["url"])
                    if capture is None:
                        continue
                    version = int(row.get("version") or (capture.text_version or 0) + 1)
                    history.record(capture.with_text(
                        text_fingerprint(row.get("title"), row["text"]), version, row["warc_record_id"]
                    ))
                    counts["texts"] += 1
        history.crawl_finished(replace(
            run, finished_at=str(manifest.get("end_time") or ""), finish_reason=str(manifest.get("finish_reason") or "")
        ))
        history.confirm(crawl_id, True)  # a crawl with a manifest is complete
        counts["crawls"] += 1
    return counts
