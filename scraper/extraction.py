"""Clean article text from one HTML page: a pure function of HTML, URL and options.

It decides whether a page is an article and returns its text and metadata; it does
no I/O and keeps no state between calls (site-level knowledge comes in as an argument).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import trafilatura
from trafilatura.settings import Extractor

__all__ = ["Article", "ExtractionOptions", "extract_article", "extractor_name"]


@dataclass(frozen=True)
class ExtractionOptions:
    """What the extractor is asked for. Built once, passed to every call."""

    min_text_chars: int = 250  # shorter main text: not an article page
    favor_precision: bool = False
    target_language: str | None = None


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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def extractor_name() -> str:
    """Names and versions of what produced the text, stored with every row."""
    from scraper import __version__

    return f"scraper/{__version__} trafilatura/{trafilatura.__version__}"


def extract_article(
    html: str | bytes,
    url: str,
    options: ExtractionOptions | None = None,
) -> Article | None:
    """Return the article on the page, or None when the page is not an article page."""
    options = options or ExtractionOptions()
    extractor = Extractor(
        output_format="json",
        comments=False,
        precision=options.favor_precision,
        with_metadata=True,
        lang=options.target_language,
        url=url,
    )
    result = trafilatura.extract(html, url=url, options=extractor, include_comments=False)
    if not result:
        return None
    doc = json.loads(result)
    text = "\n\n".join(line.strip() for line in (doc.get("text") or "").splitlines() if line.strip())
    if len(text) < options.min_text_chars:
        return None
    authors = [a.strip() for a in (doc.get("author") or "").split(";") if a.strip()]
    return Article(
        title=doc.get("title"),
        text=text,
        authors=authors,
        published=doc.get("date"),
        language=doc.get("language"),
        site_name=doc.get("sitename"),
        description=doc.get("excerpt") or doc.get("description"),
        canonical_url=doc.get("source"),
    )
