"""The crawl history's interface: the last capture of a URL, recorded and looked up.

A :class:`Capture` says what the last full fetch of a URL was (status, validators, payload
digest, where its response record is) and what text its article had. A store implements
:class:`CrawlHistory`; the crawl looks captures up before it fetches and records them after
it archives. The embedded SQLite store is :mod:`scraper.history.sqlite`; a shared server
(Redis, for many crawler processes) implements the same Protocol.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from typing import Protocol

__all__ = [
    "HISTORY_NAME",
    "Capture",
    "CrawlHistory",
    "CrawlRun",
    "HistoryCorrupt",
    "HistoryError",
    "HistoryLocked",
    "text_fingerprint",
]

#: The history's file name, beside the crawl folders of an archive (local or in the bucket).
HISTORY_NAME = "crawl-history.sqlite"


class HistoryError(RuntimeError):
    """The crawl history cannot be used; the message says why and what to do."""


class HistoryLocked(HistoryError):
    """Another crawl is using the same history."""


class HistoryCorrupt(HistoryError):
    """The history file cannot be read: rebuild it from the archive (``scrapy history --rebuild``)."""


@dataclass(frozen=True)
class Capture:
    """The last full capture of a URL and what it held.

    ``crawl_id``, ``fetched_at`` and the ``warc_*`` fields name the response record holding
    the full payload (a revisit record never does: it points at one); ``payload_bytes`` is
    the size of that payload as downloaded (what a 304 or a skipped fetch saves). ``checked_at`` is the last
    time the URL was fetched at all, a ``304`` or an identical payload included. Dates are
    WARC dates (ISO 8601 UTC). ``text_*`` are those of the article's last text row, or None
    for a page that never had one: its fingerprint (:func:`text_fingerprint`), its
    ``version`` and its ``warc_record_id``.
    """

    url: str
    status: int
    fetched_at: str
    checked_at: str
    crawl_id: str
    warc_filename: str
    warc_offset: int
    warc_record_id: str
    payload_digest: str
    payload_bytes: int = 0
    etag: str | None = None
    last_modified: str | None = None
    text_fingerprint: str | None = None
    text_version: int | None = None
    text_record_id: str | None = None

    @property
    def is_article(self) -> bool:
        return self.text_version is not None

    def checked(self, when: str, *, etag: str | None = None, last_modified: str | None = None) -> Capture:
        """This capture, fetched again at ``when`` and found unchanged (new validators kept)."""
        return replace(self, checked_at=when, etag=etag or self.etag, last_modified=last_modified or self.last_modified)

    def with_text(self, fingerprint: str, version: int, record_id: str) -> Capture:
        return replace(self, text_fingerprint=fingerprint, text_version=version, text_record_id=record_id)


@dataclass(frozen=True)
class CrawlRun:
    """One crawl that used the history: its id, when it started and ended (ISO 8601 UTC)."""

    crawl_id: str
    started_at: str
    finished_at: str | None = None
    finish_reason: str | None = None


class CrawlHistory(Protocol):
    """What incremental crawls need from a history store.

    Records are kept per URL and crawl. ``lookup`` sees the records of confirmed crawls
    and of the running one, flushed or not. ``flush`` makes the records durable (it may
    block: call it off the reactor); ``close`` flushes and lets go of the store. A store
    used by two crawls at once raises :class:`HistoryLocked` when opened, one it cannot
    read :class:`HistoryCorrupt`.
    """

    def lookup(self, url: str) -> Capture | None:
        """The last capture of ``url``, or None if it was never captured."""

    def record(self, capture: Capture) -> None:
        """Make ``capture`` the last one of its URL, as the running crawl saw it."""

    def crawl_started(self, run: CrawlRun) -> None:
        """A crawl starts recording; it is the running crawl until :meth:`crawl_finished`."""

    def crawl_finished(self, run: CrawlRun) -> None:
        """The running crawl has ended (``finished_at`` and ``finish_reason`` set); it is
        confirmed by a later one."""

    def unconfirmed(self) -> list[str]:
        """Crawl ids whose records wait to be confirmed (not the running crawl's)."""

    def confirm(self, crawl_id: str, complete: bool) -> None:
        """The crawl is complete in the archive (its records count from now on), or it is
        not (its records are forgotten)."""

    def last_crawl(self) -> CrawlRun | None:
        """The last confirmed crawl, or None."""

    def flush(self) -> None:
        """Write what was recorded durably."""

    def close(self) -> None:
        """Flush and release the store."""


_SPACE = re.compile(r"\s+")


def text_fingerprint(title: str | None, text: str) -> str:
    """SHA-1 (hex) of an article's title and text, white space folded: what says whether
    an article's text changed between two captures, whatever happened to its markup."""
    normal = _SPACE.sub(" ", (title or "").strip()) + "\n" + _SPACE.sub(" ", text.strip())
    return hashlib.sha1(normal.encode("utf-8")).hexdigest()
