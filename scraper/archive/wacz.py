"""A WACZ 1.1.1 package of a crawl: its WARCs, a ZipNum CDXJ index and its pages.

Written at crawl end as ``<crawl_id>.wacz``, for ReplayWeb.page and ``wb-manager add
--unpack-wacz``: WARCs stored uncompressed in ``archive/`` (readable at any offset),
``indexes/index.cdx.gz`` + ``index.idx`` as ``wacz create`` writes them, articles with
their text in ``pages/pages.jsonl``, other HTML pages in ``pages/extraPages.jsonl``,
and ``datapackage.json`` with the SHA-256 of every entry. It streams: nothing is loaded
whole. It is written here, not by py-wacz, which would pull its own dependency tree
into the crawler and index and hash every WARC again.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cdxj_indexer.main import CompressedWriter

from scraper.archive.cdxj import index_name, is_warc_name, merged_cdxj_lines, write_cdxj
from scraper.archive.manifest import CompletedFile
from scraper.archive.textrows import HTML_TYPES, read_text_rows
from scraper.archive.warc import check_gzip_level
from scraper.files import atomic_file, file_sha256

if TYPE_CHECKING:
    from scraper.component import Crawler, Stats

__all__ = ["WACZ_VERSION", "Page", "WaczDeriver", "article_pages", "html_pages", "write_wacz"]

logger = logging.getLogger(__name__)

WACZ_VERSION = "1.1.1"
#: CDXJ lines per gzip block of the ZipNum index, as ``wacz create`` and ArchiveWeb.page.
INDEX_BLOCK_LINES = 1024
COPY_BLOCK = 1 << 20


@dataclass(frozen=True)
class Page:
    """One line of a WACZ pages file (``json-pages-1.0``)."""

    id: str
    url: str
    ts: str  # ISO 8601, milliseconds, UTC
    title: str | None = None
    text: str | None = None

    def to_json(self) -> str:
        entry: dict[str, Any] = {"id": self.id, "url": self.url, "ts": self.ts}
        if self.title:
            entry["title"] = self.title
        if self.text:
            entry["text"] = self.text
        return json.dumps(entry, ensure_ascii=False)


def iso_ms(warc_date: str) -> str:
    """A WARC-Date (any precision) as ISO 8601 with milliseconds, as Browsertrix writes it."""
    moment = datetime.fromisoformat(warc_date.replace("Z", "+00:00")).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def cdxj_ts_iso(timestamp: str) -> str:
    """A 14-digit CDXJ timestamp as ISO 8601 with milliseconds."""
    moment = datetime.strptime(timestamp[:14].ljust(14, "0"), "%Y%m%d%H%M%S")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def page_id(warc_filename: str, offset: int | str) -> str:
    """A stable page id: the record's place in the archive."""
    return hashlib.sha1(f"{warc_filename}:{offset}".encode()).hexdigest()[:24]


def article_pages(text_paths: Iterable[Path], seen: set[tuple[str, int]]) -> Iterator[Page]:
    """Pages with text, from the crawl's text rows; adds each record's place to ``seen``."""
    for path in text_paths:
        for row in read_text_rows(path):
            place = (str(row["warc_filename"]), int(row["warc_offset"]))
            seen.add(place)
            yield Page(page_id(*place), row["url"], iso_ms(row["fetched_at"]), row.get("title"), row.get("text"))


def html_pages(cdxj_lines: Iterable[str], seen: set[tuple[str, int]]) -> Iterator[Page]:
    """HTML pages (status 200) of the index that are not in ``seen``: no text, no title."""
    for line in cdxj_lines:
        _urlkey, timestamp, fields_json = line.split(" ", 2)
        fields = json.loads(fields_json)
        if fields.get("mime") not in HTML_TYPES or str(fields.get("status")) != "200":
            continue
        place = (str(fields["filename"]), int(fields["offset"]))
        if place in seen:
            continue
        seen.add(place)
        yield Page(page_id(*place), fields["url"], cdxj_ts_iso(timestamp))


class _HashingWriter(io.RawIOBase):
    """Counts and hashes what passes on to a zip entry."""

    def __init__(self, out: IO[bytes]):
        self.out = out
        self.sha256 = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.sha256.update(view)
        self.size += len(view)
        self.out.write(view)
        return len(view)


class _Package:
    """The zip being written and the datapackage resources of what went in.

    Every entry is added from a file of known size, so zipfile writes ZIP64 headers
    only for entries that need them: ReplayWeb.page fails to load a package whose
    local headers say ZIP64 for entries that fit in 32 bits (found by loading one in
    it). Generated entries (index, pages) are written to ``scratch`` first, then copied.
    """

    def __init__(self, zf: zipfile.ZipFile, scratch: Path, compress_level: int = 6):
        self.zf = zf
        self.scratch = scratch
        self.compress_level = compress_level
        self.resources: list[dict[str, Any]] = []

    def _info(self, name: str, size: int, compress: bool = False) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, datetime.now(timezone.utc).timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.file_size = size  # zipfile chooses ZIP64 from this, up front
        return info

    def _add_resource(self, name: str, sha256: str, size: int) -> None:
        self.resources.append(
            {"name": os.path.basename(name).lower(), "path": name, "hash": f"sha256:{sha256}", "bytes": size}
        )

    def copy_file(self, name: str, path: Path, compress: bool = False, sha256: str | None = None) -> None:
        """Add a file; WARCs and the gzip index are stored as they are (read at offsets).

        ``sha256`` is the file's digest when known already (a WARC hashed as it was written).
        """
        size = path.stat().st_size
        if compress:
            self.zf.write(path, name, zipfile.ZIP_DEFLATED, self.compress_level)
            sha256 = sha256 or file_sha256(path)
        else:
            with open(path, "rb") as src, self.zf.open(self._info(name, size), "w") as dst:
                if sha256:
                    shutil.copyfileobj(src, dst, COPY_BLOCK)
                else:
                    writer = _HashingWriter(dst)
                    shutil.copyfileobj(src, writer, COPY_BLOCK)
                    sha256 = writer.sha256.hexdigest()
        self._add_resource(name, sha256, size)

    def _scratch_file(self, name: str) -> Path:
        return self.scratch / name.replace("/", "_")

    def write_lines(self, name: str, lines: Iterable[str]) -> int:
        """Add a deflated text entry, one line per item; return the number of lines."""
        path = self._scratch_file(name)
        count = 0
        with open(path, "w", encoding="utf-8") as out:
            for line in lines:
                out.write(line if line.endswith("\n") else line + "\n")
                count += 1
        self.copy_file(name, path, compress=True)
        path.unlink()
        return count

    def write_zipnum_index(self, cdxj_lines: Iterable[str]) -> None:
        """``indexes/index.cdx.gz`` (gzip blocks of CDXJ lines) and ``indexes/index.idx``."""
        idx = io.StringIO()
        data_path = self._scratch_file("indexes/index.cdx.gz")
        with open(data_path, "wb") as data:
            blocks = CompressedWriter(idx, data, num_lines=INDEX_BLOCK_LINES, data_out_name="index.cdx.gz",
                                      digest_records=True)
            for line in cdxj_lines:
                blocks.write(line)  # the first line also writes the "!meta" header
            if blocks.block:
                blocks.flush()
            if not idx.tell():
                blocks.write_header()
        self.copy_file("indexes/index.cdx.gz", data_path)
        data_path.unlink()
        self.write_lines("indexes/index.idx", idx.getvalue().splitlines())

    def write_datapackage(self, metadata: dict[str, Any]) -> None:
        package = {"profile": "data-package", "resources": self.resources, **metadata}
        data = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
        self.zf.writestr(self._info("datapackage.json", len(data), compress=True), data)
        digest = json.dumps({"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(data).hexdigest()},
                            indent=2).encode("utf-8")
        self.zf.writestr(self._info("datapackage-digest.json", len(digest), compress=True), digest)


def pages_lines(pages: Iterable[Page], list_id: str, title: str, has_text: bool) -> Iterator[str]:
    header: dict[str, Any] = {"format": "json-pages-1.0", "id": list_id, "title": title}
    if has_text:
        header["hasText"] = True
    yield json.dumps(header)
    for page in pages:
        yield page.to_json()


def write_wacz(
    path: Path,
    *,
    warc_paths: list[Path],
    cdxj_paths: list[Path],
    text_paths: list[Path],
    title: str,
    software: str,
    description: str | None = None,
    compress_level: int = 6,
    known_sha256: Mapping[Path, str] | None = None,
) -> dict[str, int]:
    """Write the package at ``path`` (under ``.open``, renamed when complete).

    ``cdxj_paths`` are sorted CDXJ files whose ``filename`` fields name files of
    ``warc_paths`` by base name. ``compress_level`` is the deflate level of the text
    entries (pages, index); ``known_sha256`` gives the digests of files hashed already.
    Returns the number of pages and of extra pages.
    """
    seen: set[tuple[str, int]] = set()
    counts = {"pages": 0, "extra_pages": 0}
    with atomic_file(path) as raw, zipfile.ZipFile(raw, "w", allowZip64=True) as zf, \
            tempfile.TemporaryDirectory(prefix="wacz-", dir=path.parent) as scratch:
        package = _Package(zf, Path(scratch), compress_level)
        for warc_path in warc_paths:
            package.copy_file(f"archive/{warc_path.name}", warc_path, sha256=(known_sha256 or {}).get(warc_path))
        package.write_zipnum_index(merged_cdxj_lines(cdxj_paths))
        counts["pages"] = package.write_lines(
            "pages/pages.jsonl", pages_lines(article_pages(text_paths, seen), "pages", "Articles", True)
        ) - 1
        extra = list(html_pages(merged_cdxj_lines(cdxj_paths), seen))
        if extra:
            counts["extra_pages"] = package.write_lines(
                "pages/extraPages.jsonl", pages_lines(extra, "extra-pages", "Other HTML pages", False)
            ) - 1
        metadata: dict[str, Any] = {
            "title": title,
            "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "wacz_version": WACZ_VERSION,
            "software": software,
        }
        if description:
            metadata["description"] = description
        package.write_datapackage(metadata)
    return counts


class WaczDeriver:
    """Deriver: ``<crawl_id>.wacz`` at crawl end, from the crawl's WARCs, indexes and text."""

    def __init__(self, stats: Stats | None = None, *, compress_level: int = 6):
        self.stats = stats
        self.compress_level = compress_level

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WaczDeriver:
        # Zip entries are deflated by zlib: the same level on its scale, at least 1 (0 stores).
        level = crawler.settings.getint("ARCHIVE_GZIP_LEVEL")
        return cls(crawler.stats, compress_level=max(1, check_gzip_level(level)))

    def file_completed(self, crawl_dir: Path, completed: CompletedFile) -> list[Path]:
        return []

    def crawl_completed(self, crawl_dir: Path, files: list[CompletedFile]) -> list[Path]:
        warcs = sorted(f.path for f in files if f.relpath.startswith("warc/") and is_warc_name(f.path.name))
        if not warcs:
            logger.info("No WARC files in %s: no WACZ package", crawl_dir)
            return []
        texts = sorted(f.path for f in files if f.relpath.startswith("text/") and f.relpath.endswith(".jsonl.gz"))
        path = crawl_dir / f"{crawl_dir.name}.wacz"
        with tempfile.TemporaryDirectory(prefix="wacz-index-") as spare:
            cdxj_paths = [self._index_for(crawl_dir, warc_path, Path(spare)) for warc_path in warcs]
            counts = write_wacz(
                path, warc_paths=warcs, cdxj_paths=cdxj_paths, text_paths=texts,
                title=f"Crawl {crawl_dir.name}", software=self._software(),
                description=f"News articles archived by crawl {crawl_dir.name}",
                compress_level=self.compress_level,
                known_sha256={f.path: f.sha256 for f in files if f.sha256},
            )
        if self.stats is not None:
            self.stats.set_value("archive/wacz/pages", counts["pages"])
            self.stats.set_value("archive/wacz/extra_pages", counts["extra_pages"])
            self.stats.set_value("archive/wacz/bytes", path.stat().st_size)
        logger.info("WACZ package %s: %d articles, %d other pages", path.name, counts["pages"], counts["extra_pages"])
        return [path]

    @staticmethod
    def _index_for(crawl_dir: Path, warc_path: Path, spare: Path) -> Path:
        """The WARC's CDXJ from the index deriver, or one made now if it did not run."""
        index_path = crawl_dir / "indexes" / index_name(warc_path.name)
        if index_path.exists():
            return index_path
        made = spare / index_name(warc_path.name)
        write_cdxj(warc_path, made)
        return made

    @staticmethod
    def _software() -> str:
        from importlib.metadata import version

        from scraper import __version__

        return f"scraper/{__version__} (scraper.archive.wacz) cdxj-indexer/{version('cdxj-indexer')}"
