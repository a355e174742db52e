"""Site-level boilerplate: the paragraphs that repeat across the pages of one host (template text).

:class:`SiteBoilerplate` learns them in the crawl's main process from the :func:`fingerprint` of each
paragraph the workers send back; the fingerprints learned for a host go back to the workers, which
drop those paragraphs. Pure Python, small and JSON-serialisable; the line rules are in
:mod:`scraper.extract.lines`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scraper.extract.lines import normalise
from scraper.files import write_atomically

__all__ = [
    "SiteBoilerplate",
    "fingerprint",
    "host_of",
    "page_key",
]

LONG_WORDS = 25  # a paragraph of more words is 'long': quoted prose rather than a template line


def fingerprint(text: str) -> str:
    """A stable fingerprint of a paragraph's normalised form ('' for a text without words).

    It is ``S`` or ``L`` (short or long paragraph, see ``LONG_WORDS``) and 16 hex digits
    of a BLAKE2b hash, so that :class:`SiteBoilerplate` can judge the two classes apart.
    """
    norm = normalise(text)
    if not norm:
        return ""
    size = "L" if norm.count(" ") >= LONG_WORDS else "S"
    return size + hashlib.blake2b(norm.encode("utf-8"), digest_size=8).hexdigest()


def host_of(url: str) -> str:
    """The host a page belongs to for site-level learning: lower case, without ``www.``."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


@dataclass
class _HostStats:
    """What one host's pages have shown so far."""

    pages: set[str] = field(default_factory=set)  # page keys (hashed URLs)
    counts: dict[str, int] = field(default_factory=dict)  # fingerprint -> distinct pages
    # The fingerprints seen on enough pages to be template if their share is high enough,
    # by count: template_for looks at the counts above its thresholds, not at every count.
    by_count: dict[int, set[str]] = field(default_factory=dict)


def page_key(url: str) -> str:
    """A short hash of a page URL (without its fragment), to count distinct pages: 16 hex
    digits of BLAKE2b. Stores that merge what several crawls learned use it too."""
    return hashlib.blake2b(url.split("#", 1)[0].encode("utf-8"), digest_size=8).hexdigest()


class SiteBoilerplate:
    """Per-host counts of paragraph fingerprints; says which ones are template.

    The crawl's main process owns one instance. Before extracting a page it passes
    ``template_for(url)`` to the worker as ``site_boilerplate``; after, it calls
    ``observe(url, article.fingerprints)``. Nothing here knows about processes: the
    object is small, pure Python and JSON-serialisable (``save``/``load``).

    A paragraph is template when it was seen on at least ``min_pages`` distinct pages of
    its host and on at least ``min_share`` of them. A long paragraph (fingerprint ``L…``:
    an article paragraph quoted by several articles looks like that) needs more: at least
    ``long_min_pages`` pages and ``long_min_share`` of the host's pages.
    """

    VERSION = 1

    def __init__(
        self,
        min_pages: int,
        min_share: float = 0.02,
        long_min_pages: int | None = None,
        long_min_share: float = 0.2,
        max_fingerprints: int = 50_000,
    ) -> None:
        if min_pages < 2:
            raise ValueError("min_pages must be at least 2: one page's text is never template")
        self.min_pages = min_pages
        self.min_share = min_share
        self.long_min_pages = long_min_pages if long_min_pages is not None else 2 * min_pages
        if self.long_min_pages < 2:
            raise ValueError("long_min_pages must be at least 2: one page's text is never template")
        self.long_min_share = long_min_share
        self.max_fingerprints = max_fingerprints
        self._frequent_from = min(self.min_pages, self.long_min_pages)
        self._hosts: dict[str, _HostStats] = {}
        self._cache: dict[str, frozenset[str]] = {}

    def observe(self, url: str, fingerprints: Iterable[str]) -> None:
        """Count the paragraphs of one page of ``url``'s host; a page seen before counts once."""
        host = host_of(url)
        stats = self._hosts.setdefault(host, _HostStats())
        key = page_key(url)
        if key in stats.pages:
            return
        stats.pages.add(key)
        for fp in set(fingerprints):
            if fp:
                count = stats.counts[fp] = stats.counts.get(fp, 0) + 1
                if count > self._frequent_from:
                    stats.by_count[count - 1].discard(fp)
                if count >= self._frequent_from:
                    stats.by_count.setdefault(count, set()).add(fp)
        if len(stats.counts) > self.max_fingerprints:
            stats.counts = {fp: n for fp, n in stats.counts.items() if n > 1}  # keeps every frequent one
        self._cache.pop(host, None)

    def _passes(self, stats: _HostStats, fp: str, count: int) -> bool:
        """True when ``fp`` seen on ``count`` pages passes the thresholds of its length class."""
        pages = len(stats.pages)
        if fp.startswith("L"):
            return count >= self.long_min_pages and count >= self.long_min_share * pages
        return count >= self.min_pages and count >= self.min_share * pages

    def template_for(self, url: str) -> frozenset[str]:
        """The fingerprints that count as template on ``url``'s host (what a worker drops)."""
        host = host_of(url)
        cached = self._cache.get(host)
        if cached is not None:
            return cached
        stats = self._hosts.get(host)
        learned: frozenset[str] = frozenset()
        if stats is not None:
            pages = len(stats.pages)
            lowest = min(max(self.min_pages, self.min_share * pages),
                         max(self.long_min_pages, self.long_min_share * pages))
            learned = frozenset(
                fp for count, fps in stats.by_count.items() if count >= lowest
                for fp in fps if self._passes(stats, fp, count)
            )
        self._cache[host] = learned
        return learned

    def hosts(self) -> list[str]:
        """The hosts observed so far."""
        return sorted(self._hosts)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready snapshot of the settings and the counts."""
        return {
            "version": self.VERSION,
            "settings": {
                "min_pages": self.min_pages,
                "min_share": self.min_share,
                "long_min_pages": self.long_min_pages,
                "long_min_share": self.long_min_share,
                "max_fingerprints": self.max_fingerprints,
            },
            "hosts": {
                host: {"pages": sorted(s.pages), "counts": dict(sorted(s.counts.items()))}
                for host, s in sorted(self._hosts.items())
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SiteBoilerplate:
        """The instance a :meth:`to_json` snapshot describes."""
        if data.get("version") != cls.VERSION:
            raise ValueError(f"unknown site-boilerplate version: {data.get('version')!r}")
        learned = cls(**data.get("settings", {}))
        for host, entry in data.get("hosts", {}).items():
            learned.replace_host(host, entry.get("pages", []), entry.get("counts", {}))
        return learned

    def replace_host(self, host: str, pages: Iterable[str], counts: dict[str, int]) -> None:
        """Make ``host``'s counts these: its pages' :func:`page_key` and, per fingerprint,
        the number of those pages that had it (what a store merged from several processes)."""
        stats = _HostStats(pages=set(pages), counts={str(fp): int(n) for fp, n in counts.items()})
        for fp, count in stats.counts.items():
            if count >= self._frequent_from:
                stats.by_count.setdefault(count, set()).add(fp)
        self._hosts[host] = stats
        self._cache.pop(host, None)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the snapshot to ``path`` atomically (:func:`scraper.files.write_atomically`)."""
        write_atomically(Path(path), json.dumps(self.to_json(), ensure_ascii=False).encode("utf-8"))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SiteBoilerplate:
        """Read a snapshot written by :meth:`save`."""
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
