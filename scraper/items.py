"""What spiders hand to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from twisted.internet.defer import Deferred

from scraper.archive.segments import ResponseLocation
from scraper.extract.rights import RIGHTS_HEADERS

__all__ = ["ArticleCandidate", "PageDiscovery", "rights_headers"]


def rights_headers(headers: Any) -> dict[str, str]:
    """The :data:`RIGHTS_HEADERS` a response sent (Scrapy ``Headers``), repeated ones joined by commas."""
    found = {}
    for name in RIGHTS_HEADERS:
        values = headers.getlist(name)
        if values:
            found[name] = ", ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values)
    return found


@dataclass
class PageDiscovery:
    """What the spider asks the text pipeline to find on a page while it parses it.

    The pipeline fires ``found`` with ``(requisite URLs, link URLs)``, or with a failure
    (the page could not be parsed, or the item was dropped first): the spider then finds
    them itself.
    """

    requisites: bool
    links: bool
    encoding: str  # the page's, to make link URLs safe as Scrapy's LinkExtractor does
    found: Deferred[tuple[list[str], list[str]]] = field(default_factory=Deferred)

    def worker_arguments(self) -> dict[str, Any]:
        """The plain values the extraction worker takes (a Deferred does not cross)."""
        return {"requisites": self.requisites, "links": self.links, "encoding": self.encoding}


@dataclass
class ArticleCandidate:
    """An archived HTML page that may be an article; the text pipeline decides."""

    url: str  # the response's WARC-Target-URI
    html: str  # decoded with the page's own charset (HTTP header, BOM or meta tag)
    record: ResponseLocation
    discovery: PageDiscovery | None = None
    # The response's rights headers (X-Robots-Tag, tdm-reservation, tdm-policy), by name
    rights_headers: dict[str, str] = field(default_factory=dict)
