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
    html: str,
    url: str,
    options: dict[str, Any],
    site_boilerplate: frozenset[str],
    discover: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run in a worker, on one parse of the page.

    Returns ``{"article": ..., "requisites": [...], "links": [...]}``: the article as a
    dict (plus its ``fingerprints``) or None, and the page's requisites and links when
    ``discover`` asks for them (``{"requisites": bool, "links": bool, "encoding": str}``,
    see :mod:`scraper.discovery`); they are found before the extractor prunes the tree.
    """
    from scraper.extraction import ExtractionOptions, extract_article, parse_page

    found: dict[str, Any] = {"article": None, "requisites": [], "links": []}
    tree = parse_page(html)
    if tree is None:
        return found
    if discover and (discover.get("requisites") or discover.get("links")):
        from scraper.discovery import base_url, link_urls, requisite_urls

        encoding = str(discover.get("encoding") or "utf-8")
        base = base_url(html, url, encoding)
        if discover.get("requisites"):
            found["requisites"] = requisite_urls(tree, base)
        if discover.get("links"):
            found["links"] = link_urls(tree, base, url, encoding)
    article = extract_article(tree, url, ExtractionOptions(**options), site_boilerplate)
    if article is not None:
        found["article"] = article.as_dict()
        found["article"]["fingerprints"] = article.fingerprints
    return found
