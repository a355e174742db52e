"""The job an extraction worker runs for one crawled page: requisites, links and the article, on one parse.

The crawl's process imports this module to name the job it sends; the extractor itself
is imported inside :func:`extract_page`, which only ever runs in a worker.
"""

from __future__ import annotations

from typing import Any

__all__ = ["extract_page"]


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
    see :mod:`scraper.extract.discovery`); they are found before the extractor prunes the tree.
    """
    from scraper.extract.extractor import extract_article, parse_page
    from scraper.extract.model import ExtractionOptions

    found: dict[str, Any] = {"article": None, "requisites": [], "links": []}
    tree = parse_page(html)
    if tree is None:
        return found
    if discover and (discover.get("requisites") or discover.get("links")):
        from scraper.extract.discovery import base_url, link_urls, requisite_urls

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
