"""Clean article text from one HTML page: a pure function of HTML, URL and options.

It decides whether a page is an article and returns its text and metadata; it does
no I/O and keeps no state between calls (site-level knowledge comes in as an argument).

How the text is made (each step kept because it measured better on the
article-extraction benchmark, trafilatura's evaluation set and the sample site, see
``python -m benchmarks.evaluate``):

1. Witnesses from one parsed tree: trafilatura in precision mode (``fast``) and the
   readability algorithm trafilatura ships (its fork of readability-lxml). A precision
   text with under a quarter of readability's words has failed: readability's stands in.
2. When the two agree (4-word-shingle F1 >= 0.8, most pages) the precision text is kept;
   otherwise trafilatura's balanced mode is run too and the candidate that agrees most
   with the other two is kept (balanced mode's when readability found nothing).
3. Its paragraphs that its best witness does not contain are dropped (not list items,
   nor a short run between confirmed paragraphs), unless that would cut more than 30 %
   of the words; when the precision text and readability agree, the
   lead and in-body lines only readability kept join it (:func:`witness_paragraphs`).
4. Recall rescues: a standfirst shown apart from the body (the meta description as a
   paragraph before it, outside the headline block), and the rest of a body split into
   later containers of the same class (an ad between two halves), not those set apart
   from it (comments, footers, other posts).
5. :func:`scraper.extract.lines.filter_paragraphs` drops in-body boilerplate by its shape;
   paragraphs whose fingerprint the crawl learned as template for the site go too.
6. The article decision (:func:`is_article_page`) and the metadata (title without the
   site name, ISO 8601 date, ISO 639-1 language, canonical URL).

What it costs (the crawl spends most of its CPU here; ``python -m benchmarks.evaluate``
prints ms/page beside plain trafilatura's). The page is parsed once, with lxml's
C-level element class lookup (:func:`html_parser`), and every pass works on that tree
or a copy of it. Where trafilatura does work the result does not use, the same steps
are taken without it: :func:`_precise_text` (one tree copy instead of three),
:func:`page_metadata` (no categories, tags or licence; the byline search runs last, on
the tree itself, and only for article pages), :func:`_repair`. The tests check that
these give what trafilatura's own functions give. A page whose declarations decide
against it (:func:`says_not_article`) is not extracted at all, and an English text
declared English skips language detection (:func:`clearly_english`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from html import unescape
from typing import overload
from urllib.parse import parse_qs, urljoin, urlsplit

from lxml.html import HtmlElement
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_meta_json,
    extract_metainfo,
    extract_sitename,
    extract_title,
    extract_url,
    find_date,
)
from trafilatura.settings import Document, set_date_params
from trafilatura.utils import line_processing
from trafilatura.xpaths import (
    AUTHOR_DISCARD_XPATHS,
    AUTHOR_XPATHS,
)

from scraper.extract.boilerplate import fingerprint, host_of
from scraper.extract.ensemble import main_paragraphs, trafilatura_options, trafilatura_text
from scraper.extract.jsonld import json_ld_objects
from scraper.extract.language import language_identifier
from scraper.extract.lines import filter_paragraphs
from scraper.extract.model import Article, ExtractionOptions
from scraper.extract.page import html_parser, parse_page, prepare_tree
from scraper.extract.paragraphs import WORD, form_if_long, is_table_block, paragraph_form, split_paragraphs, word_count
from scraper.extract.rights import page_access, page_rights
from scraper.extract.signals import PageSignals, page_signals

__all__ = [
    "clean_title",
    "extract_article",
    "parse_page",
    "warm_up",
]


# --------------------------------------------------------------------------- page signals

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


# --------------------------------------------------------------------------- metadata

_TITLE_SEPARATOR = re.compile("\\s+[|\\-\u2013\u2014:\u00b7\u2022\u00bb\u00ab/\\\\]+\\s+|\\s*[|\u00b7\u2022\u00bb]\\s*")


def _squash(text: str) -> str:
    """Letters and digits only, lower case: 'The New Arab' -> 'thenewarab'."""
    return "".join(WORD.findall(text.lower())).replace("_", "")


_SITE_SUFFIXES = ("", "news", "online", "com", "org", "net", "tv", "media", "magazine", "daily")


def _is_site_label(segment: str, site_name: str | None, host: str) -> bool:
    """True when a title segment names the site (its site name or its host, '+ News' and the like)."""
    seg = _squash(segment)
    if not seg or len(segment) > 60:
        return False
    names = {_squash(site_name or "")} - {""}
    names.update(_squash(label) for label in host.split(".") if len(label) > 1)
    names -= {"www", "com", "org", "net", "co", "uk"}
    bare = seg[3:] if seg.startswith("the") else seg
    for name in names:
        if any(form in (name + suffix for suffix in _SITE_SUFFIXES) for form in (seg, bare)):
            return True
        if len(name) >= 4 and (name in seg or (len(bare) >= 4 and bare in name)):
            return True
    return False


def site_name_from_title(title: str | None, url: str, max_words: int = 5) -> str | None:
    """The site's name as the page's ``<title>`` gives it after (or before) a separator, or None.

    'Library hours | City News' -> 'City News'. The end that names the host counts
    first; else the last segment when it is short (a name, not a sentence) and shorter
    than the rest of the title.
    """
    if not title:
        return None
    title = " ".join(title.split())
    parts = [part.strip() for part in _TITLE_SEPARATOR.split(title)]
    if len(parts) < 2 or not all(parts):
        return None
    host = host_of(url)
    for segment in (parts[-1], parts[0]):
        if _is_site_label(segment, None, host):
            return segment
    last, rest = parts[-1], title[: -len(parts[-1])]
    if word_count(last) <= max_words and word_count(last) < word_count(rest):
        return last
    return None


def _site_name(meta: Document, signals: PageSignals, url: str) -> str | None:
    """trafilatura's site name, unless it is only the URL's host: then the one the title gives."""
    match = META_URL.match(meta.url or url or "")
    if meta.sitename and not (match and meta.sitename == match[1]):
        return meta.sitename
    return site_name_from_title(signals.html_title, url) or meta.sitename


def clean_title(title: str | None, site_name: str | None, url: str) -> str | None:
    """The title without a leading or trailing site name ('Title - SouthFront' -> 'Title')."""
    if not title:
        return None
    title = " ".join(title.split())
    host = host_of(url)
    parts = _TITLE_SEPARATOR.split(title)
    if len(parts) < 2:
        return title
    seps = _TITLE_SEPARATOR.findall(title)
    if _is_site_label(parts[-1], site_name, host):
        cut = title[: len(title) - len(parts[-1]) - len(seps[-1])]
        return cut.strip() or title
    if _is_site_label(parts[0], site_name, host):
        cut = title[len(parts[0]) + len(seps[0]) :]
        return cut.strip() or title
    return title


_ZONE_WITHOUT_COLON = re.compile(r"([+-]\d\d)(\d\d)$")


def _iso_datetime(value: str | None) -> str | None:
    """``value`` (ISO 8601 or RFC 2822) as ISO 8601: a datetime when it has a time, else a date.

    Years before 1990 (placeholders such as 0001-01-01) and unparseable values give None.
    """
    if not value:
        return None
    text = value.strip()
    text = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    text = _ZONE_WITHOUT_COLON.sub(r"\1:\2", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.year < 1990:
        return None
    if len(text) <= 10:
        return parsed.date().isoformat()
    return parsed.isoformat()


def published_date(signals: PageSignals, htmldate_value: str | None) -> str | None:
    """The publication date, ISO 8601: the page's declared datetime, unless htmldate's date contradicts it.

    The declared value (JSON-LD datePublished, article:published_time) carries the time
    and zone; it is kept when it is within a day of htmldate's date (a UTC date and a
    local date differ by one near midnight), else htmldate's date is.
    """
    declared = _iso_datetime(signals.published)
    if not declared or not htmldate_value:
        return declared or htmldate_value
    try:
        gap = abs((date.fromisoformat(declared[:10]) - date.fromisoformat(htmldate_value[:10])).days)
    except ValueError:
        return htmldate_value
    return declared if gap <= 1 else htmldate_value


_LANG_CODE = re.compile(r"^([a-z]{2})(?:[-_][a-z0-9]+)*$", re.IGNORECASE)


def _lang_code(value: str | None) -> str | None:
    """The ISO 639-1 part of a language tag ('en-GB', 'ru_RU' -> 'en', 'ru'), or None."""
    match = _LANG_CODE.match((value or "").strip())
    return match.group(1).lower() if match else None


_SAMPLE_CHARS = 800  # language detection reads this much of the text: the cost grows with the length


def detect_language(text: str) -> tuple[str | None, float]:
    """py3langid's guess for ``text`` (its first 800 characters: the cost grows with the length)."""
    sample = text[:_SAMPLE_CHARS]
    if word_count(sample) < 5:
        return None, 0.0
    lang, prob = language_identifier().classify(sample)
    return (str(lang), float(prob)) if lang else (None, 0.0)


def page_language(signals: PageSignals, text: str, min_confidence: float = 0.9) -> str | None:
    """The text's language: the page's declaration unless a confident detection contradicts it.

    Declarations, in order: <html lang>, content-language, og:locale. A template often
    declares the site's default language on pages in another one, so a detection with
    probability >= ``min_confidence`` on a text of some length wins over the declaration.
    A text that is :func:`clearly_english` on a page declared English (or undeclared) is
    English without asking the detector.
    """
    declared = next(
        (code for code in map(_lang_code, (signals.html_lang, signals.meta_language, signals.og_locale)) if code),
        None,
    )
    if declared and len(text) < 200:
        return declared
    if declared in (None, "en") and clearly_english(text[:_SAMPLE_CHARS]):
        return "en"  # what the detection says of such a text, without its cost
    detected, prob = detect_language(text)
    if declared and (detected is None or detected == declared or prob < min_confidence):
        return declared
    return detected or declared


# Frequent in English prose, rare as words of other languages ("to", "is", "was", "for", "by",
# "are" are left out: Slavic, Dutch, German, Nordic or Romanian words).
_ENGLISH_WORDS = frozenset("the and of that with this from have has which were been their not".split())
_ENGLISH_SHARE = 0.1  # English prose: 0.1-0.3 of its words (benchmark); other languages: under 0.02


def clearly_english(sample: str, min_words: int = 30) -> bool:
    """True when ``sample`` is plainly English prose: ``_ENGLISH_SHARE`` of its words are English function words.

    py3langid's model is large, and a call spends most of its time in cache misses.
    Most pages are English and say so, and then the detection only confirms it.
    """
    words = WORD.findall(sample.lower())
    return len(words) >= min_words and sum(w in _ENGLISH_WORDS for w in words) >= _ENGLISH_SHARE * len(words)


def _clean_field(value: str | None) -> str | None:
    """A metadata string cleaned the way trafilatura's ``Document.clean_and_trim`` does it."""
    if value is None:
        return None
    if len(value) > 10000:
        value = value[:9999] + "\u2026"
    return line_processing(unescape(value))


def page_metadata(tree: HtmlElement, url: str, extensive: bool) -> Document:
    """trafilatura's metadata of the page (``extract_metadata``), less what the row does not use.

    The same steps in the same order, without categories, tags, licence and hostname
    (XPath searches over the whole tree whose results no row holds) and without the author search in the page
    body: that one copies and prunes the whole tree, so :func:`author_from_body` runs
    it once the page is known to be an article, on the tree no one needs any more.
    ``extensive`` is htmldate's extensive search.
    """
    date_config = set_date_params(extensive)
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception:  # trafilatura's JSON-LD parser has bugs; extract_metadata tolerates them too
        pass
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.url:
        metadata.url = extract_url(tree, url)
    date_config["url"] = metadata.url
    metadata.date = find_date(tree, **date_config)
    if not metadata.sitename:
        metadata.sitename = extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")
        if metadata.sitename and "." not in metadata.sitename and not metadata.sitename[0].isupper():
            metadata.sitename = metadata.sitename.title()
    elif metadata.url:
        match = META_URL.match(metadata.url)
        if match:
            metadata.sitename = match[1]
    metadata.filedate = date_config.get("max_date")
    metadata.clean_and_trim()
    return metadata


def author_from_body(tree: HtmlElement) -> str | None:
    """The author trafilatura finds in the page body (bylines) when the meta tags name none.

    ``extract_metadata``'s last resort, run on ``tree`` itself: it prunes the tree, so
    call it last (trafilatura works on a deep copy; the copy is what this saves).
    """
    tree = prune_unwanted_nodes(tree, AUTHOR_DISCARD_XPATHS)
    author = extract_metainfo(tree, AUTHOR_XPATHS, len_limit=120)
    return _clean_field(normalize_authors(None, author)) if author else None


def _split_authors(value: str | None, fallback: Iterable[str]) -> list[str]:
    """trafilatura's 'A; B' author string as a list, or the JSON-LD names."""
    names = [a.strip() for a in (value or "").split(";") if a.strip()]
    return names or [n for n in fallback if n]


# --------------------------------------------------------------------------- article decision


def _error_page(signals: PageSignals, meta_title: str | None) -> bool:
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
    a page whatever its text, so :func:`extract_article` decides before extracting any."""
    return not signals.says_article and (signals.says_listing or is_listing_path(url))


# --------------------------------------------------------------------------- entry point


@overload
def _nfc(text: str) -> str: ...


@overload
def _nfc(text: None) -> None: ...


def _nfc(text: str | None) -> str | None:
    """``text`` in Unicode normalisation form C (UAX #15); None stays None."""
    return unicodedata.normalize("NFC", text) if text else text


def warm_up() -> None:
    """Load what the first page would otherwise load (the language model, the parser,
    trafilatura's options): call in each worker."""
    language_identifier()
    html_parser()
    trafilatura_options(True)
    trafilatura_options(False)


def extract_article(
    html: str | bytes | HtmlElement,
    url: str,
    options: ExtractionOptions,
    site_boilerplate: frozenset[str] | None = None,
) -> Article | None:
    """Return the article on the page, or None when the page is not an article page.

    ``site_boilerplate`` holds the paragraph fingerprints learned as template for the
    page's site (:meth:`scraper.extract.boilerplate.SiteBoilerplate.template_for`); those
    paragraphs are dropped. The result's ``fingerprints`` are what to feed back.
    ``html`` may be a page :func:`parse_page` parsed already; that tree gets pruned.
    """
    tree = html if isinstance(html, HtmlElement) else parse_page(html)
    if tree is None:
        return None
    ld = list(json_ld_objects(tree))  # read once for the signals, the access and the rights
    signals = page_signals(tree, ld)
    if says_not_article(signals, url) or _error_page(signals, None):
        return None  # no text can change the decision: spare the extraction
    access, rights = page_access(tree, ld), page_rights(tree, url, ld)  # before prepare_tree: hidden markers count
    prepare_tree(tree)
    # htmldate's extensive search only matters when the page declares no publication date
    meta = page_metadata(tree, url, extensive=not signals.published)
    if _error_page(signals, meta.title):
        return None
    site_name = _site_name(meta, signals, url)
    title = clean_title(meta.title, site_name, url)
    if signals.says_forum_thread and options.ensemble:
        # The ensemble is built to tell an article from its comments; in a thread the
        # replies are the text, and trafilatura's default extraction keeps them there.
        paragraphs = split_paragraphs(trafilatura_text(tree, url, precision=False, fast=False))
    else:
        paragraphs = main_paragraphs(tree, url, options, meta.description, signals.says_article)
    if options.post_filter:
        titles = [t for t in (title, meta.title, signals.og_title, signals.html_title) if t]
        paragraphs = filter_paragraphs(paragraphs, titles)
    prints = tuple(fingerprint(p) for p in paragraphs)
    if site_boilerplate:
        paragraphs = [p for p, fp in zip(paragraphs, prints, strict=True) if fp not in site_boilerplate]
    if not is_article_page(tree, url, signals, paragraphs, options.min_text_chars):
        return None
    # NFC, as trafilatura's extract() gives its text and as the W3C character model asks of
    # text on the Web: one spelling of each character, whichever the page's bytes used
    text = _nfc("\n\n".join(paragraphs))
    language = page_language(signals, text)
    if options.target_language and language and language != options.target_language.lower():
        return None
    canonical = signals.canonical or signals.og_url
    author = meta.author or author_from_body(tree)  # last: it prunes the tree
    return Article(
        title=_nfc(title),
        text=text,
        authors=[_nfc(a) for a in _split_authors(author, signals.ld_authors)],
        published=published_date(signals, meta.date),
        language=language,
        site_name=_nfc(site_name),
        description=_nfc(meta.description),
        canonical_url=urljoin(url, canonical) if canonical else (meta.url or url),
        fingerprints=prints,
        access=access,
        rights=rights,
    )
