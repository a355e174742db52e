"""What the extractor is asked for and what it gives: options, :class:`Article`, the extractor's name.

Light on purpose: it imports no trafilatura or lxml, so the crawl's process (which only
passes options on and reads results back) never loads the extractor.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from typing import Any

from scraper import __version__

__all__ = ["Article", "ExtractionOptions", "extractor_name"]


@dataclass(frozen=True)
class ExtractionOptions:
    """What the extractor is asked for. Built once, passed to every call."""

    min_text_chars: int  # shorter main text: not an article page (ARCHIVE_MIN_TEXT_CHARS)
    favor_precision: bool = False  # True: no recall rescues (continuation of split bodies)
    target_language: str | None = None  # ISO 639-1: pages in another language give None
    post_filter: bool = True  # drop in-body boilerplate lines (scraper.extract.lines)
    ensemble: bool = True  # False: trafilatura's precision mode alone, no comparison


@dataclass
class Article:
    """The clean text of an article page and the metadata a reader cites it by."""

    title: str | None
    text: str  # paragraphs separated by blank lines
    authors: list[str] = field(default_factory=list)
    published: str | None = None  # ISO 8601 date or datetime
    language: str | None = None  # ISO 639-1
    site_name: str | None = None
    description: str | None = None
    canonical_url: str | None = None
    access: str = "unknown"  # free, paywalled or unknown (scraper.extract.rights.page_access)
    # What the page itself says of its rights (scraper.extract.rights.page_rights); the row
    # merges the response's headers in.
    rights: dict[str, Any] = field(default_factory=dict)
    # Fingerprints of the text's paragraphs before the site-template filter: what the
    # crawl feeds to scraper.extract.boilerplate.SiteBoilerplate.observe. Not part of the row.
    fingerprints: tuple[str, ...] = field(default=(), repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The article as a plain dict (without the fingerprints)."""
        data = asdict(self)
        data.pop("fingerprints", None)
        return data


def extractor_name() -> str:
    """Names and versions of what produced the text, stored with every row."""
    return f"scraper/{__version__} trafilatura/{version('trafilatura')}"
