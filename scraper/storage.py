"""Where finished crawl files go, chosen by the scheme of ``ARCHIVE_URI``.

A storage gives the crawl a local folder to write into, is told when each file is
complete, and at the end publishes the manifest last. It knows nothing of WARC.
Backends are listed in ``ARCHIVE_STORAGES`` (scheme -> class path), as Scrapy's
``FEED_STORAGES`` are, and built with ``from_crawler`` or plain arguments: a local
folder here, S3 in :mod:`scraper.s3`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

from scrapy.utils.misc import load_object

if TYPE_CHECKING:
    from scraper.archive.segments import CompletedFile

__all__ = ["FAILURE_STATS", "ArchiveStorage", "FileStorage", "storage_class_for_uri"]

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
#: Stats a storage sets above zero when the crawl is not (yet) complete where it should be:
#: ``scrapy crawl`` then exits non-zero.
FAILURE_STATS = ("archive/upload/failed", "archive/upload/pending")


class ArchiveStorage(Protocol):
    """What the crawl needs from a storage backend."""

    def crawl_folder(self, crawl_id: str) -> Path:
        """The local folder the crawl's files are written into."""

    def check(self) -> None:
        """Raise with a clear message if the storage cannot be written (before fetching)."""

    def file_completed(self, crawl_id: str, completed: CompletedFile) -> None:
        """A file of the crawl is complete (called from the writer thread)."""

    def publish_manifest(self, crawl_id: str, manifest: bytes) -> None:
        """Make the crawl complete: everything else stored, then the manifest (blocking)."""

    def location(self, crawl_id: str) -> str:
        """Where a reader finds the crawl, for logs and summaries."""


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that no reader ever sees it half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".open")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class FileStorage:
    """A local folder: files are written in place, the manifest is renamed in last."""

    def __init__(self, root: Path | str):
        self.root = Path(root).expanduser().resolve()

    @classmethod
    def from_uri(cls, uri: str, settings: Any = None) -> FileStorage:
        parsed = urlparse(uri)
        path = parsed.path if parsed.scheme == "file" else uri
        return cls(path)

    def crawl_folder(self, crawl_id: str) -> Path:
        return self.root / crawl_id

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise PermissionError(f"archive folder {self.root} is not writable")

    def file_completed(self, crawl_id: str, completed: CompletedFile) -> None:
        logger.debug("Completed %s (%d bytes)", completed.relpath, completed.size)

    def publish_manifest(self, crawl_id: str, manifest: bytes) -> None:
        write_atomically(self.crawl_folder(crawl_id) / MANIFEST_NAME, manifest)

    def location(self, crawl_id: str) -> str:
        return str(self.crawl_folder(crawl_id))


def storage_class_for_uri(uri: str, storages: dict[str, str]) -> Any:
    """The storage class registered for the URI's scheme (no scheme: a local path)."""
    scheme = urlparse(uri).scheme
    if len(scheme) == 1:  # a Windows drive letter, not a scheme
        scheme = ""
    try:
        return load_object(storages[scheme])
    except KeyError:
        known = ", ".join(sorted(s or "(path)" for s in storages))
        raise ValueError(f"ARCHIVE_URI {uri!r}: no storage for scheme {scheme!r} (known: {known})") from None
