"""Where finished crawl files go, chosen by the scheme of ``ARCHIVE_URI``.

A storage gives the crawl a local folder to write into, is told when each file is
complete, and at the end publishes the manifest last. It knows nothing of WARC.
Backends are listed in ``ARCHIVE_STORAGES`` (scheme -> class path), as Scrapy's
``FEED_STORAGES`` are, and built with ``from_crawler(crawler, uri)`` (typed against
:mod:`scraper.component`, not Scrapy) or plain arguments: a local folder
(:mod:`scraper.storage.local`), S3 (:mod:`scraper.storage.s3`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from pkgutil import resolve_name
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from scraper.archive.manifest import CompletedFile

__all__ = ["FAILURE_STATS", "ArchiveStorage", "ArchiveUri", "storage_class_for_uri"]

logger = logging.getLogger(__name__)

#: Stats a storage sets above zero when the crawl is not (yet) complete where it should be:
#: ``scrapy crawl`` then exits non-zero.
FAILURE_STATS = ("archive/upload/failed", "archive/upload/pending")


@dataclass(frozen=True)
class ArchiveUri:
    """``ARCHIVE_URI`` taken apart, once: what every storage, log line and manifest reads.

    ``scheme`` is ``""`` for a plain path (``./archive``, ``~/crawls``, ``C:\\crawls``), whose
    ``path`` is then the text as given; ``file:///abs/path`` gives its ``path``;
    ``s3://key:secret@bucket/prefix`` gives ``host`` (the bucket, case kept), ``path``
    (``prefix``, slashes stripped) and the credentials, which :meth:`public` leaves out.
    """

    text: str = field(repr=False)
    scheme: str
    host: str
    path: str
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, uri: str) -> ArchiveUri:
        parts = urlsplit(uri)
        if len(parts.scheme) <= 1:  # no scheme, or a Windows drive letter
            return cls(uri, "", "", uri)
        host = parts.netloc.rsplit("@", 1)[-1]  # not .hostname: that lowercases
        path = parts.path if parts.scheme == "file" else parts.path.strip("/")
        return cls(uri, parts.scheme, host, path, parts.username or None, parts.password or None)

    def public(self) -> str:
        """The URI without any user:password part (for logs, warcinfo records and manifests)."""
        if self.username is None and self.password is None:
            return self.text
        parts = urlsplit(self.text)
        return parts._replace(netloc=self.host).geturl()


class ArchiveStorage(Protocol):
    """What the crawl needs from a storage backend."""

    def crawl_folder(self, crawl_id: str) -> Path:
        """The local folder the crawl's files are written into."""

    def open_crawl(self, crawl_id: str, *, keep_files_until_published: bool, worker: str = "") -> Path:
        """Claim the crawl's local folder for this process and return it, before anything is fetched.

        ``worker``: the crawl is shared by many processes (``ARCHIVE_FRONTIER``), each with a
        worker id of its own; the claim is then on this worker's part of the crawl.

        ``keep_files_until_published``: finished files are read again until the crawl ends
        (derivers: a WACZ packs every WARC), so a storage that moves them elsewhere keeps its
        local copies until :meth:`publish_manifest`. Raises ``FileExistsError`` if another
        process holds the crawl.
        """

    def check(self) -> None:
        """Raise with a clear message if the storage cannot be written (before fetching)."""

    def is_complete(self, crawl_id: str) -> bool:
        """Is a crawl of this id already complete where readers find it (its manifest published)?

        Asked before a crawl starts, so a finished crawl id is never reused; blocking.
        """

    def file_completed(self, crawl_id: str, completed: CompletedFile) -> None:
        """A file of the crawl is complete (called from the writer thread)."""

    def publish_manifest(self, crawl_id: str, manifest: bytes) -> None:
        """Make the crawl complete: everything else stored, then the manifest (blocking)."""

    def adopt_file(self, crawl_id: str, relpath: str, size: int, sha256: str) -> None:
        """A file another worker of a shared crawl stored: checked where readers find it and
        counted as the crawl's, to be vouched for by the manifest this worker publishes.
        Raises ``FileNotFoundError`` if it is not there as described (blocking)."""

    def fetch_file(self, crawl_id: str, relpath: str) -> Path:
        """A file another worker of a shared crawl stored, as a local file of the crawl
        folder (copied there if it is elsewhere), for derivers to read (blocking)."""

    def wait_stored(self, crawl_id: str) -> None:
        """Block until every file of the crawl handed over so far is where readers find it
        (a worker of a shared crawl, before it says it is done)."""

    def close_worker(self, crawl_id: str) -> None:
        """This worker of a shared crawl is done and another publishes the manifest: its
        files stored, its claim let go (blocking)."""

    def location(self, crawl_id: str) -> str:
        """Where a reader finds the crawl, for logs and summaries."""


def storage_class_for_uri(uri: ArchiveUri, storages: dict[str, Any]) -> Any:
    """The storage class registered for the URI's scheme (no scheme: a local path)."""
    try:
        storage = storages[uri.scheme]
    except KeyError:
        known = ", ".join(sorted(s or "(path)" for s in storages))
        raise ValueError(
            f"ARCHIVE_URI {uri.public()!r}: no storage for scheme {uri.scheme!r} (known: {known})"
        ) from None
    return resolve_name(storage) if isinstance(storage, str) else storage
