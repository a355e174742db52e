"""Clean article text from one HTML page: a pure function of HTML, URL and options.

It decides whether a page is an article and returns its text and metadata; it does
no I/O and keeps no state between calls (site-level knowledge comes in as an argument).

How the text is made (each step kept because it measured better on the
article-extraction benchmark and the sample site, see ``python -m scraper.evaluate``):

1. Witnesses from one parsed tree: trafilatura in precision mode (``fast``) and the
   readability algorithm trafilatura ships (its fork of readability-lxml). A precision
   text with under a quarter of readability's words has failed: readability's stands in.
2. When the two agree (4-word-shingle F1 >= 0.8, most pages) the precision text is kept;
   otherwise trafilatura's balanced mode is run too and the candidate that agrees most
   with the other two is kept.
3. Its paragraphs that its best witness does not contain are dropped, unless that would
   cut more than 30 % of the words.
4. Recall rescues: a standfirst shown apart from the body (the meta description as a
   paragraph before it, outside the headline block), and the rest of a body split into
   sibling containers of the same class (an ad between two halves).
5. :func:`scraper.boilerplate.filter_paragraphs` drops in-body boilerplate by its shape;
   paragraphs whose fingerprint the crawl learned as template for the site go too.
6. The article decision (:func:`is_article_page`) and the metadata (title without the
   site name, ISO 8601 date, ISO 639-1 language, canonical URL).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from copy import deepcopy
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import trafilatura
from lxml.html import HtmlElement
from trafilatura.metadata import extract_metadata
from trafilatura.settings import Document, Extractor
from trafilatura.utils import load_html

from scraper.boilerplate import comparable, filter_paragraphs, fingerprint, host_of

__all__ = [
    "Article",
    "ExtractionOptions",
    "PageSignals",
    "clean_title",
    "extract_article",
    "extractor_name",
    "page_signals",
    "warm_up",
]

_WORD = re.compile(r"\w+")
_AGREEMENT = 0.8  # precision mode and readability agreeing this much need no third opinion
_FAILED_SHARE = 0.25  # precision text with fewer words than this share of readability's has failed
_KEEP_SHARE = 0.7  # the vote may drop at most 30 % of the words, else it is not trusted


@dataclass(frozen=True)
class ExtractionOptions:
    """What the extractor is asked for. Built once, passed to every call."""

    min_text_chars: int = 250  # shorter main text: not an article page
    favor_precision: bool = False  # True: no recall rescues (continuation of split bodies)
    target_language: str | None = None  # ISO 639-1: pages in another language give None
    post_filter: bool = True  # drop in-body boilerplate lines (scraper.boilerplate)
    ensemble: bool = True  # False: trafilatura's precision mode alone, no comparison


@dataclass
class Article:
    """The clean text of an article page and the metadata a reader cites it by."""

    title: str | None
    text: str  # paragraphs separated by blank lines
    authors: list[str] = field(default_factory=list)
    published: str | None = None  # ISO 8601 date or datetime
    language: str | None = None  # ISO 639-1
    site_name: str | None = None
    description: str | None = None
    canonical_url: str | None = None
    # Fingerprints of the text's paragraphs before the site-template filter: what the
    # crawl feeds to scraper.boilerplate.SiteBoilerplate.observe. Not part of the row.
    fingerprints: tuple[str, ...] = field(default=(), repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The article as a plain dict (without the fingerprints)."""
        data = asdict(self)
        data.pop("fingerprints", None)
        return data


def extractor_name() -> str:
    """Names and versions of what produced the text, stored with every row."""
    from scraper import __version__

    return f"scraper/{__version__} trafilatura/{trafilatura.__version__}"


# --------------------------------------------------------------------------- page signals

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
        "techarticle",
        "scholarlyarticle",
        "report",
        "review",
        "recipe",
        "howto",
    }
)
_LISTING_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "profilepage"})
_SEARCH_KEYS = frozenset({"s", "q", "query", "search", "keyword", "keywords"})
_ERROR_TITLE = re.compile(
    r"(?:^|\W)(?:404|410|500)(?:\W|$)|page not found|not found|error 404|file not found|"
    r"страница не найдена|ошибка 404|seite nicht gefunden|page introuvable|erreur 404|"
    r"página no encontrada|pagina no encontrada|página não encontrada|pagina non trovata|"
    r"الصفحة غير موجودة|الصفحة المطلوبة غير موجودة|خطأ 404",
    re.IGNORECASE,
)
_LISTING_PATH = re.compile(
    r"^/(?:[\w-]+/)?(?:tags?|category|categories|topics?|section|archive|archives|author|authors|search|"
    r"page|rubric|rubrika|tema|thema|themen|sujet|etiqueta|categoria|وسم|تصنيف)(?:/|$)|/page/\d+/?$",
    re.IGNORECASE,
)


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
    def says_listing(self) -> bool:
        """Structured data declares a listing and no article."""
        return not self.says_article and bool(self.ld_types & _LISTING_TYPES)


def _json_ld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD scripts, nested @graph members included."""
    for script in tree.iterfind('.//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        stack: list[Any] = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                if "@graph" in item:
                    stack.append(item["@graph"])


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


def _meta(tree: HtmlElement, attr: str, value: str) -> str | None:
    """The stripped content of the first <meta attr=value> (case-insensitive value), or None."""
    for el in tree.iterfind(".//meta"):
        if (el.get(attr) or "").strip().lower() == value:
            content = (el.get("content") or "").strip()
            if content:
                return content
    return None


def page_signals(tree: HtmlElement) -> PageSignals:
    """Read the page's declarations: Open Graph, JSON-LD, <html lang>, canonical link, title."""
    ld_types: set[str] = set()
    published: str | None = None
    authors: list[str] = []
    for obj in _json_ld_objects(tree):
        types = _ld_type_names(obj)
        ld_types.update(types)
        if any(t in _ARTICLE_TYPES for t in types):
            if published is None and isinstance(obj.get("datePublished"), str):
                published = obj["datePublished"]
            authors = authors or _ld_author_names(obj)
    published = (
        published
        or _meta(tree, "property", "article:published_time")
        or _meta(tree, "itemprop", "datepublished")
        or _meta(tree, "name", "pubdate")
    )
    canonical = None
    for link in tree.iterfind(".//link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            canonical = link.get("href", "").strip()
            break
    title_el = tree.find(".//title")
    html_title = " ".join(title_el.text_content().split()) if title_el is not None else None
    return PageSignals(
        og_type=(_meta(tree, "property", "og:type") or "").lower() or None,
        ld_types=frozenset(ld_types),
        html_lang=tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
        meta_language=_meta(tree, "http-equiv", "content-language") or _meta(tree, "name", "language"),
        og_locale=_meta(tree, "property", "og:locale"),
        canonical=canonical,
        og_url=_meta(tree, "property", "og:url"),
        og_title=_meta(tree, "property", "og:title"),
        html_title=html_title or None,
        published=published,
        ld_authors=tuple(authors),
    )


# --------------------------------------------------------------------------- candidates


def _words(text: str) -> int:
    """Number of words in ``text``."""
    return len(_WORD.findall(text))


def _paragraphs(text: str | None) -> list[str]:
    """Non-empty stripped lines of an extractor's text output."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _trafilatura_text(tree: HtmlElement, url: str, *, precision: bool, fast: bool) -> str:
    """trafilatura's main text of ``tree`` (it copies the tree), comments excluded."""
    doc = trafilatura.bare_extraction(
        tree, url=url, fast=fast, favor_precision=precision, include_comments=False, with_metadata=False
    )
    return doc.text or "" if isinstance(doc, Document) else ""


def _sanitised_text(body: HtmlElement, url: str) -> str:
    """The text of a readability result, sanitised the way trafilatura does it."""
    from trafilatura.external import sanitize_tree
    from trafilatura.xml import xmltotxt

    try:
        body, _ = sanitize_tree(body, Extractor(comments=False, url=url))
        return xmltotxt(body, False) or ""
    except Exception:  # a broken page must not break the ensemble: the witness is optional
        return ""


def _readability_text(tree: HtmlElement, url: str) -> str:
    """The text readability (trafilatura's fork of readability-lxml) finds, sanitised the trafilatura way."""
    from trafilatura.external import try_readability

    try:
        body = try_readability(deepcopy(tree))
    except Exception:  # a broken page must not break the ensemble: the witness is optional
        return ""
    return _sanitised_text(body, url)


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """Multiset of ``n``-word shingles (the benchmark's unit of text)."""
    words = _WORD.findall(text)
    return Counter(tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1)) if words[i : i + n])


def _agreement(a: Counter[tuple[str, ...]], b: Counter[tuple[str, ...]]) -> float:
    """F1 overlap of two shingle multisets (0 when either is empty)."""
    common = sum((a & b).values())
    total = sum(a.values()) + sum(b.values())
    return 2 * common / total if total else 0.0


def choose_candidate(candidates: Sequence[str]) -> tuple[int, int]:
    """Index of the candidate agreeing most with the others, and of its best witness.

    Ties go to the earlier candidate, so order the candidates by preference.
    """
    shingles = [_shingles(c) if c else Counter() for c in candidates]
    n = len(candidates)
    pair = {(i, j): _agreement(shingles[i], shingles[j]) for i in range(n) for j in range(i + 1, n)}

    def sim(i: int, j: int) -> float:
        return pair[(min(i, j), max(i, j))]

    scores = [sum(sim(i, j) for j in range(n) if j != i) for i in range(n)]
    best = max(range(n), key=lambda i: (scores[i], -i))
    others = [j for j in range(n) if j != best]
    witness = max(others, key=lambda j: (sim(best, j), -j)) if others else best
    return best, witness


def vote_paragraphs(paragraphs: Sequence[str], witness: str, keep_share: float = _KEEP_SHARE) -> list[str]:
    """The paragraphs the ``witness`` text also contains, unless fewer than ``keep_share`` of the words remain."""
    reference = comparable(witness)
    if not reference:
        return list(paragraphs)
    voted = [p for p in paragraphs if comparable(p) in reference]
    if sum(map(_words, voted)) >= keep_share * sum(map(_words, paragraphs)):
        return voted
    return list(paragraphs)


def continuation_paragraphs(tree: HtmlElement, paragraphs: Sequence[str], min_words: int = 30) -> list[str]:
    """Paragraphs of later containers shaped like the one the text ends in (a body split by ads).

    The container of the last extracted <p> is found in the raw tree; later elements
    with the same tag and class, outside it, contribute their <p> texts that the
    extraction missed, when these are prose (low link density) and add ``min_words``.
    """
    known = {comparable(p) for p in paragraphs if _words(p) >= 5}
    if not known:
        return []
    last = None
    for p in tree.iter("p"):
        if comparable(p.text_content()) in known:
            last = p
    container = last.getparent() if last is not None else None
    if container is None or not container.get("class"):
        return []
    signature = (container.tag, container.get("class"))
    extra: list[str] = []
    seen = set(known)
    after = False
    for el in tree.iter(container.tag):
        if el is container:
            after = True
            continue
        if not after or (el.tag, el.get("class")) != signature or _inside(el, container):
            continue
        for p in el.iter("p"):
            text = " ".join(p.text_content().split())
            link_chars = sum(len(a.text_content()) for a in p.iter("a"))
            norm = comparable(text)
            if _words(text) >= 5 and norm not in seen and link_chars <= 0.3 * len(text):
                seen.add(norm)
                extra.append(text)
    return extra if sum(map(_words, extra)) >= min_words else []


def lead_paragraphs(tree: HtmlElement, paragraphs: Sequence[str], description: str | None) -> list[str]:
    """The standfirst the extraction missed: the page's description shown as a paragraph before the body.

    News templates often set the lead or standfirst apart from the body container,
    where extractors miss it. When a <p> or <h2> reads exactly like the page's meta
    description, comes before the first extracted paragraph and lies in the same
    <article> or <main> element, it is the article's first paragraph; unless it sits in
    the headline block (a <header>, a 'hero', a 'dek' or 'strapline'), where it is the
    headline's subtitle.
    """
    want = comparable((description or "").rstrip(".\u2026 "))
    if len(want) < 40 or not paragraphs or want in comparable(" ".join(paragraphs)):
        return []
    first = comparable(paragraphs[0])
    lead = None
    for el in tree.iter("p", "h2"):
        norm = comparable(el.text_content())
        if lead is None and norm == want:
            lead = el
        elif lead is not None and norm == first:
            container = next((a for a in lead.iterancestors("article", "main")), None)
            if container is None or not _inside(el, container) or _in_headline_block(lead, container):
                return []
            return [" ".join(lead.text_content().split())]
    return []


_HEADLINE_BLOCK = re.compile(r"head|hero|dek\b|strap|subline|subtitle", re.IGNORECASE)


def _in_headline_block(el: HtmlElement, container: HtmlElement) -> bool:
    """True when ``el`` (or an ancestor below ``container``) is a header or headline-block element."""
    node: HtmlElement | None = el
    while node is not None and node is not container:
        if node.tag == "header" or _HEADLINE_BLOCK.search(node.get("class") or ""):
            return True
        node = node.getparent()
    return False


def _inside(el: HtmlElement, ancestor: HtmlElement) -> bool:
    """True when ``el`` is ``ancestor`` or lies inside it."""
    node: HtmlElement | None = el
    while node is not None:
        if node is ancestor:
            return True
        node = node.getparent()
    return False


def main_paragraphs(
    tree: HtmlElement, url: str, options: ExtractionOptions, description: str | None = None
) -> list[str]:
    """The article's paragraphs before the boilerplate filters.

    trafilatura's precision mode is checked against the readability witness; only when
    the two disagree (agreement below ``_AGREEMENT``) is trafilatura's balanced mode run
    as a third opinion and the candidate that agrees most with the others kept. The
    kept candidate's paragraphs are then voted on by its best witness. Unless
    ``options.favor_precision``, a missed standfirst (``description``) and the rest of
    a body split into sibling containers are added.
    """
    if not options.ensemble:
        return _paragraphs(_trafilatura_text(tree, url, precision=True, fast=False))
    precise = _trafilatura_text(tree, url, precision=True, fast=True)
    witness_text = _readability_text(tree, url)
    if _words(precise) < _FAILED_SHARE * _words(witness_text):
        precise = witness_text  # precision mode failed on this layout: readability's text stands in
    if _agreement(_shingles(precise), _shingles(witness_text)) >= _AGREEMENT:
        chosen, witness = precise, witness_text
    else:
        balanced = _trafilatura_text(tree, url, precision=False, fast=True)
        candidates = [precise, balanced, witness_text]
        best, second = choose_candidate(candidates)
        chosen, witness = candidates[best], candidates[second]
    paragraphs = vote_paragraphs(_paragraphs(chosen), witness, _KEEP_SHARE)
    if not options.favor_precision:
        paragraphs = lead_paragraphs(tree, paragraphs, description) + paragraphs
        paragraphs += continuation_paragraphs(tree, paragraphs)
    return paragraphs


# --------------------------------------------------------------------------- metadata

_TITLE_SEPARATOR = re.compile("\\s+[|\\-\u2013\u2014:\u00b7\u2022\u00bb\u00ab/\\\\]+\\s+|\\s*[|\u00b7\u2022\u00bb]\\s*")


def _squash(text: str) -> str:
    """Letters and digits only, lower case: 'The New Arab' -> 'thenewarab'."""
    return "".join(_WORD.findall(text.lower())).replace("_", "")


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


def _iso_datetime(value: str | None) -> str | None:
    """``value`` (ISO 8601 or RFC 2822) as ISO 8601: a datetime when it has a time, else a date.

    Years before 1990 (placeholders such as 0001-01-01) and unparseable values give None.
    """
    if not value:
        return None
    text = value.strip()
    text = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text)
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


@lru_cache(maxsize=1)
def _language_identifier() -> Any:
    """py3langid's identifier with normalised probabilities, loaded once per process."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str | None, float]:
    """py3langid's guess for ``text`` (its first 800 characters: the cost grows with the length)."""
    sample = text[:800]
    if _words(sample) < 5:
        return None, 0.0
    lang, prob = _language_identifier().classify(sample)
    return (str(lang), float(prob)) if lang else (None, 0.0)


def page_language(signals: PageSignals, text: str, min_confidence: float = 0.9) -> str | None:
    """The text's language: the page's declaration unless a confident detection contradicts it.

    Declarations, in order: <html lang>, content-language, og:locale. A template often
    declares the site's default language on pages in another one, so a detection with
    probability >= ``min_confidence`` on a text of some length wins over the declaration.
    """
    declared = next(
        (code for code in map(_lang_code, (signals.html_lang, signals.meta_language, signals.og_locale)) if code),
        None,
    )
    detected, prob = detect_language(text)
    if declared and (detected is None or detected == declared or prob < min_confidence or len(text) < 200):
        return declared
    return detected or declared


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
    if not total:
        return 0.0
    link_texts = {comparable(a.text_content()) for a in tree.iter("a")}
    link_texts.discard("")
    linked = sum(len(p) for p in paragraphs if comparable(p) in link_texts)
    return linked / total


def is_listing_path(url: str) -> bool:
    """True for a home page or a typical listing path (tag, category, search, author, page N)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if path in ("/", "/index.html", "/index.php") or re.fullmatch(r"/[a-z]{2}(?:-[a-z]{2})?/?", path):
        return True
    return bool(_LISTING_PATH.search(path)) or bool(_SEARCH_KEYS & parse_qs(parts.query).keys())


def teaser_cards(tree: HtmlElement) -> list[HtmlElement]:
    """The cards of a listing: for each headline link (a link of 2+ words in h1-h4), the
    largest element around it that holds no other headline link."""
    links = [a for h in tree.iter("h1", "h2", "h3", "h4") for a in h.iter("a") if _words(a.text_content()) >= 2]
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
    texts = [comparable(c.text_content()) for c in teaser_cards(tree)]
    small = [t for t in texts if t.count(" ") < max_card_words]
    if len(small) < 2:
        return 0.0
    inside = sum(len(p) for p in paragraphs if any(comparable(p) in t for t in small))
    return inside / total


def is_article_page(
    tree: HtmlElement, url: str, signals: PageSignals, paragraphs: Sequence[str], min_text_chars: int
) -> bool:
    """Decide whether the page is an article from its main text and its declarations.

    * too little main text (``min_text_chars``): not an article;
    * a main text made mostly of teasers (headline-linked cards) or of link texts: a listing;
    * structured data (og:type article, a JSON-LD article type): an article;
    * structured data of a listing (CollectionPage, ItemList, SearchResultsPage), or a home
      or listing URL (tag, category, search, author, page N) without article data: not one.
    """
    text_chars = sum(len(p) for p in paragraphs)
    if text_chars < min_text_chars:
        return False
    if teaser_share(tree, paragraphs) >= 0.5 or _link_share(tree, paragraphs) >= 0.4:
        return False
    if signals.says_article:
        return True
    return not (signals.says_listing or is_listing_path(url))


# --------------------------------------------------------------------------- entry point


def _load_tree(html: str | bytes) -> HtmlElement | None:
    """The parsed page, or None for input that is not HTML."""
    try:
        tree = load_html(html)
    except (TypeError, ValueError):
        return None
    return tree if tree is not None and len(tree) else None


def warm_up() -> None:
    """Load what the first page would otherwise load (the language model): call in each worker."""
    _language_identifier()


def extract_article(
    html: str | bytes,
    url: str,
    options: ExtractionOptions | None = None,
    site_boilerplate: frozenset[str] | None = None,
) -> Article | None:
    """Return the article on the page, or None when the page is not an article page.

    ``site_boilerplate`` holds the paragraph fingerprints learned as template for the
    page's site (:meth:`scraper.boilerplate.SiteBoilerplate.template_for`); those
    paragraphs are dropped. The result's ``fingerprints`` are what to feed back.
    """
    options = options or ExtractionOptions()
    tree = _load_tree(html)
    if tree is None:
        return None
    signals = page_signals(tree)
    # htmldate's extensive search only matters when the page declares no publication date
    meta = extract_metadata(tree, url, extensive=not signals.published)
    if _error_page(signals, meta.title):
        return None
    title = clean_title(meta.title, meta.sitename, url)
    paragraphs = main_paragraphs(tree, url, options, meta.description)
    if options.post_filter:
        titles = [t for t in (title, meta.title, signals.og_title, signals.html_title) if t]
        paragraphs, _ = filter_paragraphs(paragraphs, titles)
    prints = tuple(fingerprint(p) for p in paragraphs)
    if site_boilerplate:
        paragraphs = [p for p, fp in zip(paragraphs, prints, strict=True) if fp not in site_boilerplate]
    if not is_article_page(tree, url, signals, paragraphs, options.min_text_chars):
        return None
    text = "\n\n".join(paragraphs)
    language = page_language(signals, text)
    if options.target_language and language and language != options.target_language.lower():
        return None
    canonical = signals.canonical or signals.og_url
    return Article(
        title=title,
        text=text,
        authors=_split_authors(meta.author, signals.ld_authors),
        published=published_date(signals, meta.date),
        language=language,
        site_name=meta.sitename,
        description=meta.description,
        canonical_url=urljoin(url, canonical) if canonical else (meta.url or url),
        fingerprints=prints,
    )

