"""What crosses into the extraction worker processes, kept light for the crawl's side.

The crawl's main process imports this module, never the extractor (trafilatura, lxml
trees, the language model): jobs and results cross the process boundary as plain values,
so the crawler stays small and fetches while the workers extract.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from scraper import __version__

__all__ = ["extract_page", "extractor_name"]


def extractor_name() -> str:
    """Names and versions of what produced the text, stored with every row."""
    return f"scraper/{__version__} trafilatura/{version('trafilatura')}"


def extract_page(
    html: str, url: str, options: dict[str, Any], site_boilerplate: frozenset[str]
) -> dict[str, Any] | None:
    """Run in a worker: the article as a dict (plus its ``fingerprints``), or None."""
    from scraper.extraction import ExtractionOptions, extract_article

    article = extract_article(html, url, ExtractionOptions(**options), site_boilerplate)
    if article is None:
        return None
    result = article.as_dict()
    result["fingerprints"] = article.fingerprints
    return result
