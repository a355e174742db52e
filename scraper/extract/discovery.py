"""What a page leads to: its requisites (images, stylesheets, scripts, icons) and links.

Pure functions over a parsed page. They run in the extraction workers, on the tree the
extractor parses anyway, before it prunes it: on the crawl's reactor thread the same
work blocked the reactor, most of it parsing the page a second time. They give what the
spider's selectors and Scrapy's ``LinkExtractor`` give on the same page
(``tests/test_discovery.py`` compares them on real pages):

- the base URL is the page's ``<base href>`` if it is in the first 4,096 characters, as
  Scrapy's ``get_base_url``; relative URLs are joined to it;
- requisites: ``img[src]``, ``script[src]``, ``link[href]`` whose ``rel`` holds
  ``stylesheet`` or ``icon``; ``data:`` and ``javascript:`` URLs are left out;
- links: ``a[href]`` and ``area[href]`` with an http, https, file or ftp URL, made safe
  with the page's encoding (``safe_url_string``), in page order, each once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from w3lib.html import get_base_url, strip_html5_whitespace
from w3lib.url import safe_url_string

__all__ = ["base_url", "link_urls", "requisite_urls"]

BASE_URL_CHARS = 4096  # where Scrapy (w3lib) looks for <base href>
LINK_TAGS = ("a", "area")
LINK_SCHEMES = ("http", "https", "file", "ftp")  # what Scrapy's LinkExtractor keeps


def base_url(html: str, url: str, encoding: str = "utf-8") -> str:
    """The URL relative references of the page resolve against."""
    return str(get_base_url(html[:BASE_URL_CHARS], url, encoding))


def _requisite_values(tree: Any) -> Iterator[str | None]:
    """The attribute values naming requisites: images, stylesheets, scripts, then icons."""
    yield from (el.get("src") for el in tree.iter("img"))
    yield from (el.get("href") for el in tree.iter("link") if "stylesheet" in (el.get("rel") or "").split())
    yield from (el.get("src") for el in tree.iter("script"))
    yield from (el.get("href") for el in tree.iter("link") if "icon" in (el.get("rel") or "").split())


def requisite_urls(tree: Any, base: str) -> list[str]:
    """Absolute URLs of what the page needs to look as it did, by kind, in page order."""
    found: list[str] = []
    for value in _requisite_values(tree):
        value = (value or "").strip()
        if not value or value.startswith(("data:", "javascript:")):
            continue
        try:
            found.append(urljoin(base, value))
        except ValueError:  # a bogus URL: nothing to fetch
            continue
    return found


def link_urls(tree: Any, base: str, page_url: str, encoding: str = "utf-8") -> list[str]:
    """Absolute URLs of the page's links (``a`` and ``area``), each once, in page order."""
    found: list[str] = []
    seen: set[str] = set()
    for el in tree.iter(*LINK_TAGS):
        href = el.get("href")
        if href is None:
            continue
        try:
            url = urljoin(page_url, safe_url_string(urljoin(base, strip_html5_whitespace(href)), encoding=encoding))
        except ValueError:  # a bogus URL (an invalid port, an IPv6 typo): no link
            continue
        if url.split("://", 1)[0] not in LINK_SCHEMES:
            continue
        if url not in seen:  # the same string once (Scrapy's scheduler drops the rest)
            seen.add(url)
            found.append(url)
    return found
