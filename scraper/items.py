"""What spiders hand to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass

from scraper.archive import ResponseLocation

__all__ = ["ArticleCandidate"]


@dataclass
class ArticleCandidate:
    """An archived HTML page that may be an article; the text pipeline decides."""

    url: str  # the response's WARC-Target-URI
    html: str  # decoded with the page's own charset (HTTP header, BOM or meta tag)
    record: ResponseLocation
