"""CDXJ indexes of WARC files, in pywb's format, as ``cdxj-indexer`` writes them.

One sorted index per WARC segment, ``indexes/<stem>.cdxj``: pywb reads that folder as a
collection's index, and the WACZ package merges them. The crawl builds each line as it
writes the record (:func:`cdxj_line`, the same bytes ``cdxj-indexer`` would write, which
the tests check), so no WARC is read back; :class:`CdxjIndexDeriver` indexes any WARC
that has no index yet with ``cdxj-indexer`` itself. Knows nothing of Scrapy.
"""

from __future__ import annotations

import heapq
import json
import logging
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import surt
from cdxj_indexer import CDXJIndexer
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import iso_date_to_timestamp

from scraper.files import atomic_file

if TYPE_CHECKING:
    from scraper.archive.manifest import CompletedFile
    from scraper.component import Crawler, Stats

__all__ = [
    "CdxjIndexDeriver",
    "cdxj_line",
    "index_name",
    "is_warc_name",
    "merged_cdxj_lines",
    "warc_stem",
    "write_cdxj",
]

logger = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc.gz", ".warc", ".arc.gz", ".arc")

#: Extra CDXJ fields, as ``wacz create`` asks for: the request's Referer. With
#: ``post_append`` a POST's body is folded into its lookup key, as pywb expects.
EXTRA_FIELDS = "referrer"


_MIME_END = re.compile(r"[;\s]")  # cdxj-indexer's RE_SPACE


def url_key(url: str) -> str:
    """SURT form of ``url``, the index's sort key (the URL itself if it has none)."""
    try:
        return str(surt.surt(url))
    except Exception:  # cdxj-indexer falls back the same way for URLs surt rejects
        return url


def cdxj_line(
    target_uri: str,
    warc_date: str,
    http_head: StatusAndHeaders,
    payload_digest: str,
    *,
    offset: int,
    length: int,
    filename: str,
    record_digest: str,
    referrer: str | None,
    revisit: bool = False,
) -> str:
    """The CDXJ line of a response or revisit record to a GET, field for field as
    ``cdxj-indexer`` writes it with ``digest_records`` and the ``referrer`` field (see
    :func:`write_cdxj`): a revisit's ``mime`` is ``warc/revisit`` and it has no referrer.
    ``record_digest`` is ``sha256:<hex>`` of the record's bytes as stored (its gzip member)."""
    index: dict[str, str] = {"url": target_uri}
    mime = http_head.get_header("content-type")
    if revisit:
        index["mime"] = "warc/revisit"
        referrer = None
    elif mime is not None:
        index["mime"] = _MIME_END.split(mime, 1)[0].strip() if mime else mime
    status = http_head.get_statuscode()
    if status is not None:
        index["status"] = status
    index["digest"] = payload_digest
    index["length"] = str(length)
    index["offset"] = str(offset)
    index["filename"] = filename
    index["recordDigest"] = record_digest
    if referrer is not None:
        index["referrer"] = referrer
    return f"{url_key(target_uri)} {iso_date_to_timestamp(warc_date)} {json.dumps(index)}\n"


def is_warc_name(name: str) -> bool:
    return name.endswith(WARC_SUFFIXES) and not name.endswith(".warc.wet.gz")


def warc_stem(name: str) -> str:
    """``<stem>.warc.gz`` -> ``<stem>`` (also ``.warc``, ``.arc.gz``, ``.arc``)."""
    for suffix in WARC_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def index_name(warc_name: str) -> str:
    return warc_stem(warc_name) + ".cdxj"


def write_cdxj(warc_path: Path, index_path: Path) -> int:
    """Index one WARC into a sorted CDXJ file; return its number of lines.

    Written under ``.open`` and renamed, so pywb never reads half an index. Each line
    has the record's offset, length, SHA-256 (``recordDigest``) and file name.
    """
    with atomic_file(index_path, text=True) as out:
        indexer = CDXJIndexer(
            out, [str(warc_path)], sort=True, post_append=True, digest_records=True, fields=EXTRA_FIELDS
        )
        indexer.process_all()
    with open(index_path, "rb") as lines:
        return sum(1 for _ in lines)


def merged_cdxj_lines(index_paths: list[Path]) -> Iterator[str]:
    """The lines of several sorted CDXJ files, merged in order (streamed, not loaded)."""
    with ExitStack() as stack:
        files = [stack.enter_context(open(path, encoding="utf-8")) for path in index_paths]
        yield from heapq.merge(*files)


class CdxjIndexDeriver:
    """Deriver: ``indexes/<stem>.cdxj`` for every completed WARC segment."""

    def __init__(self, stats: Stats | None = None):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CdxjIndexDeriver:
        return cls(crawler.stats)

    def file_completed(self, crawl_dir: Path, completed: CompletedFile) -> list[Path]:
        if not (completed.relpath.startswith("warc/") and is_warc_name(completed.path.name)):
            return []
        index_path = crawl_dir / "indexes" / index_name(completed.path.name)
        if index_path.exists():  # written with the WARC, line by line
            return []
        lines = write_cdxj(completed.path, index_path)
        if self.stats is not None:
            self.stats.inc_value("archive/indexes/lines", lines)
        logger.debug("Indexed %s: %d CDXJ lines", completed.relpath, lines)
        return [index_path]

    def crawl_completed(self, crawl_dir: Path, files: list[CompletedFile]) -> list[Path]:
        return []
