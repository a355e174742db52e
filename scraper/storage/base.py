"""Where finished crawl files go, chosen by the scheme of ``ARCHIVE_URI``.

A storage gives the crawl a local folder to write into, is told when each file is
complete, and at the end publishes the manifest last. It knows nothing of WARC.
Backends are listed in ``ARCHIVE_STORAGES`` (scheme -> class path), as Scrapy's
``FEED_STORAGES`` are, and built with ``from_crawler`` or plain arguments: a local
folder (:mod:`scraper.storage.local`), S3 (:mod:`scraper.storage.s3`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

from scrapy.utils.misc import load_object

if TYPE_CHECKING:
    from scraper.archive.manifest import CompletedFile

__all__ = ["FAILURE_STATS", "ArchiveStorage", "storage_class_for_uri"]

logger = logging.getLogger(__name__)

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
