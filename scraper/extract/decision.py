"""Is the page an article? Its declarations, its URL (home, tag, search, page N), an error title,
and the shape of its main text (teaser cards, link texts, data tables).

It judges the paragraphs :mod:`scraper.extract.ensemble` found; it extracts nothing itself.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

from lxml.html import HtmlElement

from scraper.extract.paragraphs import WORD, form_if_long, is_table_block, paragraph_form, word_count
from scraper.extract.signals import PageSignals

__all__ = [
    "is_article_page",
    "is_error_page",
    "is_listing_path",
    "says_not_article",
    "teaser_cards",
    "teaser_share",
]

_SEARCH_KEYS = frozenset({"s", "q", "query", "search", "keyword", "keywords"})
# A status code counts as a word of its own, never as part of a number ("1.500 Meter"); 500
# is a common count, so it needs an error word beside it.
_ERROR_TITLE = re.compile(
    r"(?<![\w.,])(?:404|410)(?![\w]|[.,]\d)|(?:error|fehler|erreur|internal server)\W{0,3}500(?![\w.,])|"
    r"page not found|not found|error 404|file not found|"
    r"страница не найдена|ошибка 404|seite nicht gefunden|page introuvable|erreur 404|"
    r"página no encontrada|pagina no encontrada|página não encontrada|pagina non trovata|"
    r"الصفحة غير موجودة|الصفحة المطلوبة غير موجودة|خطأ 404",
    re.IGNORECASE,
)
# A taxonomy page is named by its keyword and at most one term after it (/tag/river/,
# /news/category/world/), then perhaps a page number; a longer path under such a
# keyword is a page filed there (/themen/strom/an-article-slug). /page/N is a listing's
# later page wherever it comes.
_LISTING_PATH = re.compile(
    r"/(?:tags?|category|categories|topics?|section|archive|archives|author|authors|search|"
    r"rubric|rubrika|tema|thema|themen|sujet|etiqueta|categoria|وسم|تصنيف)(?:/[^/]+)?/?(?:page/\d+/?)?$"
    r"|/page/\d+/?$",
    re.IGNORECASE,
)
# A query naming one post or page of a CMS (WordPress ?p=N, ?page_id=N): that post, not the home page.
_POST_KEYS = frozenset({"p", "page_id", "post", "id", "article", "story"})


def is_error_page(signals: PageSignals, meta_title: str | None) -> bool:
    """True when the page title reads like an error page (404, not found) in a known language."""
    titles = [t for t in (signals.html_title, meta_title) if t]
    return any(len(t) <= 120 and _ERROR_TITLE.search(t) for t in titles)


def _link_share(tree: HtmlElement, paragraphs: Sequence[str]) -> float:
    """Share of the text's characters in paragraphs that are the text of a link on the page."""
    total = sum(len(p) for p in paragraphs)
    forms = {paragraph_form(p) for p in paragraphs} - {""}
    if not total or not forms:
        return 0.0
    shortest = min(map(len, forms))
    link_texts = {form_if_long(a.text_content(), shortest) for a in tree.iter("a")} - {None, ""}
    linked = sum(len(p) for p in paragraphs if paragraph_form(p) in link_texts)
    return linked / total


_LANGUAGE_HOME = re.compile(r"/[a-z]{2}(?:-[a-z]{2})?/?")  # /en/, /pt-br


def is_listing_path(url: str) -> bool:
    """True for a home page or a typical listing path (tag, category, search, author, page N).

    A URL without a host says nothing, and a home path whose query names one post
    (``/?p=123``) is that post.
    """
    parts = urlsplit(url)
    if not parts.hostname:
        return False
    path = parts.path or "/"
    query = parse_qs(parts.query)
    if _SEARCH_KEYS & query.keys():
        return True
    if path in ("/", "/index.html", "/index.php") or _LANGUAGE_HOME.fullmatch(path):
        return not _POST_KEYS & query.keys()
    return bool(_LISTING_PATH.search(path))


def teaser_cards(tree: HtmlElement) -> list[HtmlElement]:
    """The cards of a listing: for each headline link (a link of 2+ words in h1-h4), the
    largest element around it that holds no other headline link."""
    links = [a for h in tree.iter("h1", "h2", "h3", "h4") for a in h.iter("a") if word_count(a.text_content()) >= 2]
    counts: Counter[HtmlElement] = Counter()  # keyed by element: lxml proxies stay alive, ids would not
    for a in links:
        for node in a.iterancestors():
            counts[node] += 1
    cards = []
    for a in links:
        card = a
        for node in a.iterancestors():
            if counts[node] > 1:
                break
            card = node
        cards.append(card)
    return cards


def teaser_share(tree: HtmlElement, paragraphs: Sequence[str], max_card_words: int = 120) -> float:
    """Share of the text's characters in paragraphs that sit in teaser cards (2+ of them).

    A teaser card is short (at most ``max_card_words`` words): a card around a linked
    headline that holds a whole article body is that article, not a teaser.
    """
    total = sum(len(p) for p in paragraphs)
    if not total:
        return 0.0
    cards = teaser_cards(tree)
    if len(cards) < 2:
        return 0.0
    small = [t for t in (_short_form(c.text_content(), max_card_words) for c in cards) if t is not None]
    if len(small) < 2:
        return 0.0
    inside = sum(len(p) for p in paragraphs if any(paragraph_form(p) in t for t in small))
    return inside / total


def _short_form(text: str, max_words: int) -> str | None:
    """``comparable(text)`` when it has at most ``max_words`` words, else None (found
    without reading a long text to its end: a card around a whole article is long)."""
    words = []
    for match in WORD.finditer(text.lower()):
        words.append(match.group())
        if len(words) > max_words:
            return None
    return " ".join(words)


def is_article_page(
    tree: HtmlElement, url: str, signals: PageSignals, paragraphs: Sequence[str], min_text_chars: int
) -> bool:
    """Decide whether the page is an article from its main text and its declarations.

    * too little main text (``min_text_chars``): not an article, unless the page declares
      one (a short news item or a blog post of two sentences is still one);
    * a main text made mostly of teasers (headline-linked cards) or of link texts: a listing;
    * a main text made mostly of tables, on a page that declares no article: a data page (a
      timetable, a price list);
    * structured data (og:type article, a JSON-LD article type): an article;
    * structured data of a listing (CollectionPage, ItemList, SearchResultsPage), or a home
      or listing URL (tag, category, search, author, page N) without article data: not one.
    """
    text_chars = sum(len(p) for p in paragraphs)
    if text_chars < (1 if signals.says_article else min_text_chars) or says_not_article(signals, url):
        return False
    if not signals.says_article and 2 * sum(len(p) for p in paragraphs if is_table_block(p)) > text_chars:
        return False
    return teaser_share(tree, paragraphs) < 0.5 and _link_share(tree, paragraphs) < 0.4


def says_not_article(signals: PageSignals, url: str) -> bool:
    """True when the page's declarations alone make it no article: listing structured data,
    or a home or listing URL, and no article data. :func:`is_article_page` says no to such
    a page whatever its text, so :func:`~scraper.extract.extractor.extract_article` decides before extracting any."""
    return not signals.says_article and (signals.says_listing or is_listing_path(url))
