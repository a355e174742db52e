"""What a page declares about itself outside its text: Open Graph, JSON-LD, ``<html lang>``, canonical link.

Read once per page into :class:`PageSignals`, which the metadata and the article decision weigh.
Nothing here extracts text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lxml.html import HtmlElement

from scraper.extract.jsonld import json_ld_objects

__all__ = [
    "PageSignals",
    "page_signals",
]

_ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "blogposting",
        "liveblogposting",
        "socialmediaposting",
        "discussionforumposting",
        "techarticle",
        "scholarlyarticle",
        "report",
        "review",
        "recipe",
        "howto",
    }
)
# A forum thread (schema.org DiscussionForumPosting, as trafilatura detects one): its replies
# are its content, where an article's comment thread is not.
_FORUM_TYPES = frozenset({"discussionforumposting"})
_LISTING_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "profilepage"})


@dataclass(frozen=True)
class PageSignals:
    """What the page says about itself, outside its main text."""

    og_type: str | None = None
    ld_types: frozenset[str] = frozenset()
    html_lang: str | None = None
    meta_language: str | None = None  # <meta http-equiv=content-language> or <meta name=language>
    og_locale: str | None = None
    canonical: str | None = None
    og_url: str | None = None
    og_title: str | None = None
    html_title: str | None = None
    published: str | None = None  # the first machine-readable publication datetime
    ld_authors: tuple[str, ...] = ()

    @property
    def says_article(self) -> bool:
        """Structured data declares an article."""
        return self.og_type == "article" or bool(self.ld_types & _ARTICLE_TYPES)

    @property
    def says_forum_thread(self) -> bool:
        """Structured data declares a forum thread (its posts are its text)."""
        return bool(self.ld_types & _FORUM_TYPES)

    @property
    def says_listing(self) -> bool:
        """Structured data declares a listing and no article."""
        return not self.says_article and bool(self.ld_types & _LISTING_TYPES)


def _ld_type_names(obj: dict[str, Any]) -> list[str]:
    """The lower-cased @type names of one JSON-LD object."""
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return [v.lower() for v in values if isinstance(v, str)]


def _ld_author_names(obj: dict[str, Any]) -> list[str]:
    """The names of the authors of a JSON-LD article object."""
    value = obj.get("author")
    values = value if isinstance(value, list) else [value]
    names = []
    for v in values:
        name = v.get("name") if isinstance(v, dict) else v
        if isinstance(name, str) and name.strip():
            names.append(" ".join(name.split()))
    return names


_META_ATTRS = ("property", "itemprop", "name", "http-equiv")


def _meta_index(tree: HtmlElement) -> dict[tuple[str, str], str]:
    """(attribute, lower-cased value) -> the stripped content of the first such <meta> that has one.

    One walk over the page's <meta> elements for all the lookups of :func:`page_signals`.
    """
    index: dict[tuple[str, str], str] = {}
    for el in tree.iterfind(".//meta"):
        content = (el.get("content") or "").strip()
        if not content:
            continue
        for attr in _META_ATTRS:
            value = el.get(attr)
            if value is not None:
                index.setdefault((attr, value.strip().lower()), content)
    return index


def page_signals(tree: HtmlElement, ld: Sequence[dict[str, Any]] | None = None) -> PageSignals:
    """Read the page's declarations: Open Graph, JSON-LD, <html lang>, canonical link, title.

    ``ld``: the page's JSON-LD objects when the caller has read them already
    (:func:`~scraper.extract.jsonld.json_ld_objects`), else they are read here.
    """
    meta = _meta_index(tree)
    ld_types: set[str] = set()
    published: str | None = None
    authors: list[str] = []
    for obj in json_ld_objects(tree) if ld is None else ld:
        types = _ld_type_names(obj)
        ld_types.update(types)
        if any(t in _ARTICLE_TYPES for t in types):
            if published is None and isinstance(obj.get("datePublished"), str):
                published = obj["datePublished"]
            authors = authors or _ld_author_names(obj)
    published = (
        published
        or meta.get(("property", "article:published_time"))
        or meta.get(("itemprop", "datepublished"))
        or meta.get(("name", "pubdate"))
    )
    canonical = None
    for link in tree.iterfind(".//link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            canonical = link.get("href", "").strip()
            break
    title_el = tree.find(".//title")
    html_title = " ".join(title_el.text_content().split()) if title_el is not None else None
    return PageSignals(
        og_type=(meta.get(("property", "og:type")) or "").lower() or None,
        ld_types=frozenset(ld_types),
        html_lang=tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
        meta_language=meta.get(("http-equiv", "content-language")) or meta.get(("name", "language")),
        og_locale=meta.get(("property", "og:locale")),
        canonical=canonical,
        og_url=meta.get(("property", "og:url")),
        og_title=meta.get(("property", "og:title")),
        html_title=html_title or None,
        published=published,
        ld_authors=tuple(authors),
    )
