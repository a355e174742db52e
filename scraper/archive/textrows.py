"""The text-row schema of ``text/*.jsonl.gz``: its fields, how a row is built, written and read.

One JSON object a line, each line its own gzip member (a cut file keeps its whole rows).
The crawl's pipeline and ``scrapy reextract`` build rows here; the README's "Text rows"
section documents the fields. Knows nothing of how the article was extracted.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from scraper.archive import warc

__all__ = ["ARTICLE_FIELDS", "HTML_TYPES", "TEXT_ROW_FIELDS", "ResponsePlace", "read_text_rows", "text_row",
           "text_row_bytes"]

#: The content types of the pages that get a text row (and a page in a WACZ's pages list):
#: the crawl's spider, ``scrapy reextract`` and the WACZ builder all ask this.
HTML_TYPES = ("text/html", "application/xhtml+xml")

#: What the extractor gives, in row order.
ARTICLE_FIELDS = ("title", "text", "authors", "published", "language", "site_name", "description",
                  "canonical_url", "access", "rights")
#: Every field of a row, in order.
TEXT_ROW_FIELDS = ("url", *ARTICLE_FIELDS, "fetched_at", "warc_filename", "warc_record_id", "warc_offset",
                   "payload_digest", "extractor", "version", "previous_warc_record_id")


class ResponsePlace(Protocol):
    """Where the response record a row was extracted from lives (as
    :class:`scraper.archive.segments.ResponseLocation`)."""

    @property
    def warc_filename(self) -> str: ...
    @property
    def warc_offset(self) -> int: ...
    @property
    def warc_record_id(self) -> str: ...
    @property
    def warc_date(self) -> str: ...
    @property
    def payload_digest(self) -> str: ...


def text_row(url: str, article: Mapping[str, Any], response: ResponsePlace, extractor: str, *,
             version: int | None = None, previous_warc_record_id: str | None = None) -> dict[str, Any]:
    """One row: ``article`` (the :data:`ARTICLE_FIELDS`; other keys are ignored) extracted
    from the response record at ``response`` for ``url``, by ``extractor``. ``version`` and
    ``previous_warc_record_id`` come from the crawl history (None without one)."""
    row: dict[str, Any] = {"url": url}
    for name in ARTICLE_FIELDS:
        row[name] = article[name]
    row["fetched_at"] = response.warc_date
    row["warc_filename"] = response.warc_filename
    row["warc_record_id"] = response.warc_record_id
    row["warc_offset"] = response.warc_offset
    row["payload_digest"] = response.payload_digest
    row["extractor"] = extractor
    row["version"] = version
    row["previous_warc_record_id"] = previous_warc_record_id
    return row


def text_row_bytes(row: Mapping[str, Any], gzip_level: int) -> bytes:
    """One JSONL row as its own gzip member (a cut file keeps its whole rows)."""
    line = json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"
    return warc.gzip_member(line.encode("utf-8"), gzip_level)


def read_text_rows(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of a ``.jsonl.gz`` text file (one gzip member a row, or one member)."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)
