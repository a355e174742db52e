"""The content model of the sample site: sections, articles and the pieces of an article body.

A body is an ordered tuple of items (paragraph, figure, widget) in the order the source site
shows them; the renderers decide per section and variant how each item is marked up, and
the expected-output writer walks the same items, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

__all__ = [
    "BOILERPLATE_KINDS",
    "Article",
    "BodyItem",
    "Comment",
    "Figure",
    "Para",
    "Section",
    "Widget",
]

# Kinds of boilerplate strings recorded in expected.json, with what they are.
BOILERPLATE_KINDS: dict[str, str] = {
    "donation": "donation progress widget amounts (SouthFront), e.g. '2,500 $'",
    "callout": "'Support SouthFront' call-out inside the post",
    "caption_prompt": "image caption ending in 'Click to see full-size image'",
    "caption": "photo caption with an agency tag, e.g. '... [Getty]'",
    "credit": "photo-agency credit line 'Image: ..., License: Rights-managed, ...'",
    "read_time": "reading-time label, e.g. '3 min read'",
    "date_line": "visible date line, e.g. '02 March, 2020'",
    "read_also": "inline 'Read also: ...' related-article paragraph inside the body",
    "follow": "'Follow us on FacebookTwitter and Instagram to stay connected' line",
    "loader": "'Loading ...' infinite-scroll widget",
    "comment_chrome": "comment-thread chrome (wpDiscuz): 'Notify of', 'Newest Most Voted', ...",
    "comment": "comment thread content: author names, comment dates, comment lines",
}


@dataclass(frozen=True)
class Section:
    """One section of the site, styled after one real news site."""

    slug: str
    name: str
    title_separator: str
    description: str

    @property
    def path(self) -> str:
        return f"/{self.slug}/"

    def html_title(self, title: str) -> str:
        return f"{title}{self.title_separator}{self.name}"


@dataclass(frozen=True)
class Para:
    """An article paragraph: text a perfect extractor keeps."""

    text: str


@dataclass(frozen=True)
class Figure:
    """An image with its caption; the caption is boilerplate of kind ``caption_kind``."""

    src: str
    alt: str
    caption: str
    caption_kind: str


@dataclass(frozen=True)
class Widget:
    """A boilerplate text shown inside the article (call-out, read-time, 'Read also', ...)."""

    kind: str
    text: str
    href: str = ""


BodyItem = Para | Figure | Widget


@dataclass(frozen=True)
class Comment:
    """One comment of a thread: author (None when the seed shows none) and paragraphs of lines."""

    author: str | None
    paragraphs: tuple[tuple[str, ...], ...]
    date_label: str = ""
    date_iso: str = ""

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(line for paragraph in self.paragraphs for line in paragraph)


@dataclass(frozen=True)
class Article:
    """One article page of the site."""

    key: str
    seed: str | None
    section: Section
    slug: str
    title: str
    authors: tuple[str, ...]
    published: datetime
    language: str
    charset: str
    charset_declared: str  # "header+meta", "header" or "meta"
    body: tuple[BodyItem, ...]
    donation: tuple[str, ...] = ()
    comments: tuple[Comment, ...] = ()

    @property
    def path(self) -> str:
        return f"/{self.section.slug}/{self.published:%Y/%m/%d}/{self.slug}/"

    @property
    def paragraphs(self) -> list[str]:
        return [item.text for item in self.body if isinstance(item, Para)]

    @property
    def figures(self) -> list[Figure]:
        return [item for item in self.body if isinstance(item, Figure)]

    @property
    def published_utc(self) -> datetime:
        return self.published.astimezone(timezone.utc)

    @property
    def direction(self) -> str:
        return "rtl" if self.language == "ar" else "ltr"

    def teaser(self, limit: int = 200) -> str:
        """The first paragraph, cut at a word boundary to at most ``limit`` characters."""
        first = " ".join(self.paragraphs[0].split())
        if len(first) <= limit:
            return first
        return first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
