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
from copy import copy, deepcopy
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from html import unescape
from typing import overload
from urllib.parse import parse_qs, urljoin, urlsplit

import trafilatura
from lxml.etree import XPath, strip_tags
from lxml.html import HtmlElement
from trafilatura.core import _forum_thread_page
from trafilatura.htmlprocessing import convert_tags, prune_unwanted_nodes, tree_cleaning
from trafilatura.json_metadata import normalize_authors
from trafilatura.main_extractor import extract_content
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
from trafilatura.settings import Document, Extractor, set_date_params
from trafilatura.utils import line_processing
from trafilatura.xml import xmltotxt
from trafilatura.xpaths import (
    AUTHOR_DISCARD_XPATHS,
    AUTHOR_XPATHS,
    RAW_TREE_PRUNE_XPATH,
    REMOVE_COMMENTS_AND_LISTS_XPATH,
    REMOVE_COMMENTS_XPATH,
)

from scraper.extract.boilerplate import fingerprint, host_of
from scraper.extract.jsonld import json_ld_objects
from scraper.extract.language import language_identifier
from scraper.extract.lines import comparable, filter_paragraphs
from scraper.extract.model import Article, ExtractionOptions
from scraper.extract.page import html_parser, parse_page, prepare_tree
from scraper.extract.rights import page_access, page_rights
from scraper.extract.signals import PageSignals, page_signals

__all__ = [
    "clean_title",
    "extract_article",
    "parse_page",
    "warm_up",
]

_WORD = re.compile(r"\w+")
_AGREEMENT = 0.8  # precision mode and readability agreeing this much need no third opinion
_FAILED_SHARE = 0.25  # precision text with fewer words than this share of readability's has failed
_KEEP_SHARE = 0.7  # the vote may drop at most 30 % of the words, else it is not trusted


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


# --------------------------------------------------------------------------- candidates


def _words(text: str) -> int:
    """Number of words in ``text``."""
    return len(_WORD.findall(text))


@lru_cache(maxsize=2048)
def _form(paragraph: str) -> str:
    """:func:`~scraper.extract.lines.comparable` of an extracted paragraph, cached: every step
    after the extraction compares the same paragraphs against the page again."""
    return comparable(paragraph)


@lru_cache(maxsize=2048)
def _paragraph_words(paragraph: str) -> int:
    """:func:`_words` of an extracted paragraph, cached like :func:`_form`."""
    return _words(paragraph)


def _form_if_long(text: str, min_chars: int) -> str | None:
    """``comparable(text)``, or None when it cannot be ``min_chars`` long (most link and
    element texts are shorter than the paragraphs they are compared with: no regex then).
    """
    low = text.lower()  # comparable() is never longer than the lower-cased text
    if len(low) < min_chars:
        return None
    return " ".join(_WORD.findall(low))


_PROSE_CELL_WORDS = 40  # a table cell of more words holds running text: the table lays out a page


def _data_row(line: str) -> bool:
    """True for a line of trafilatura's table output whose cells are data, not running text."""
    return line.startswith("|") and all(_words(cell) <= _PROSE_CELL_WORDS for cell in line.split("|"))


def _paragraphs(text: str | None) -> list[str]:
    """Non-empty stripped lines of an extractor's text output; the rows of a data table
    stay together, one block with a row on each line (a layout table's rows stay lines)."""
    out: list[str] = []
    in_table = False
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        row = _data_row(line)
        if row and in_table:
            out[-1] += "\n" + line
        else:
            out.append(line)
        in_table = row
    return out


def is_table_block(paragraph: str) -> bool:
    """True for a paragraph that is a data table (:func:`_paragraphs` keeps its rows together)."""
    return _data_row(paragraph.split("\n", 1)[0])


def _trafilatura_text(tree: HtmlElement, url: str, *, precision: bool, fast: bool) -> str:
    """trafilatura's main text of ``tree`` (it copies the tree), comments excluded."""
    if precision and fast:
        return _precise_text(tree, url)
    doc = trafilatura.bare_extraction(
        tree, url=url, fast=fast, favor_precision=precision, include_comments=False, with_metadata=False
    )
    return doc.text or "" if isinstance(doc, Document) else ""


@lru_cache(maxsize=2)
def _extractor_template(precise: bool) -> Extractor:
    """trafilatura's options, built once (the constructor reads its configuration values
    one by one, for every page otherwise): those of ``bare_extraction`` in precision and fast mode, or the
    defaults (for sanitising readability's output). Comments excluded."""
    if precise:
        return Extractor(output_format="python", fast=True, precision=True, comments=False)
    return Extractor(comments=False)


def _extractor(url: str, *, precise: bool) -> Extractor:
    """A copy of the :func:`_extractor_template` for the page at ``url``."""
    options = copy(_extractor_template(precise))
    options.url = url
    options.source = url.encode("utf-8", "replace").decode("utf-8") if url else None
    return options


def _precise_text(tree: HtmlElement, url: str) -> str:
    """trafilatura's precision mode in fast mode, comments excluded: ``bare_extraction``'s text.

    The steps ``bare_extraction`` and ``trafilatura_sequence`` take for these settings,
    on one copy of the tree instead of three (a copy for the call, a cleaning copy and a
    backup for the fallback extractors, which fast mode never runs), then the same size
    checks. ``tests/test_extraction.py`` checks that both give the same text.
    """
    options = _extractor(url, precise=True)
    tree = copy(tree)
    try:
        is_forum = _forum_thread_page(tree)
        tree = prune_unwanted_nodes(tree, RAW_TREE_PRUNE_XPATH)
        tree = prune_unwanted_nodes(tree, REMOVE_COMMENTS_AND_LISTS_XPATH)  # comments off, precision: always
        cleaned = convert_tags(tree_cleaning(tree, options), options, url)
        if not is_forum:
            cleaned = prune_unwanted_nodes(cleaned, REMOVE_COMMENTS_XPATH)
        body, text = extract_content(cleaned, options)
    except (TypeError, ValueError):  # what bare_extraction turns into None
        return ""
    if options.max_tree_size and len(body) > options.max_tree_size:
        strip_tags(body, "hi")
        if len(body) > options.max_tree_size:
            return ""
    if len(text) < options.min_output_size and options.min_output_comm_size > 0:
        return ""
    return xmltotxt(body, options.formatting) or ""


def _sanitised_text(body: HtmlElement, url: str) -> str:
    """The text of a readability result, sanitised the way trafilatura does it."""
    from trafilatura.external import sanitize_tree

    try:
        body, _ = sanitize_tree(body, _extractor(url, precise=False))
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
    """Multiset of ``n``-word shingles (the benchmark's unit of text); a shorter text is one shingle."""
    return _word_shingles(_WORD.findall(text), n)


def _word_shingles(words: Sequence[str], n: int = 4) -> Counter[tuple[str, ...]]:
    """:func:`_shingles` of a text split into ``words`` already."""
    if len(words) < n:
        return Counter([tuple(words)]) if words else Counter()
    return Counter(zip(*(words[i:] for i in range(n)), strict=False))  # the shorter tails end it


def _agreement(a: Counter[tuple[str, ...]], b: Counter[tuple[str, ...]]) -> float:
    """F1 overlap of two shingle multisets (0 when either is empty)."""
    total_a, total_b = sum(a.values()), sum(b.values())
    if total_a == len(a) and total_b == len(b):  # no repeated shingle (most texts): a set intersection
        common = len(a.keys() & b.keys())
    else:
        small, large = (a, b) if len(a) <= len(b) else (b, a)
        common = sum(min(count, large[key]) for key, count in small.items() if key in large)
    total = total_a + total_b
    return 2 * common / total if total else 0.0


def choose_candidate(
    candidates: Sequence[str], shingles: Sequence[Counter[tuple[str, ...]] | None] = ()
) -> tuple[int, int]:
    """Index of the candidate agreeing most with the others, and of its best witness.

    Ties go to the earlier candidate, so order the candidates by preference.
    ``shingles`` may hold the candidates' shingles where they are known (None elsewhere).
    """
    known = list(shingles) + [None] * (len(candidates) - len(shingles))
    sets = [k if k is not None else _shingles(c) if c else Counter() for c, k in zip(candidates, known, strict=True)]
    n = len(candidates)
    pair = {(i, j): _agreement(sets[i], sets[j]) for i in range(n) for j in range(i + 1, n)}

    def sim(i: int, j: int) -> float:
        return pair[(min(i, j), max(i, j))]

    scores = [sum(sim(i, j) for j in range(n) if j != i) for i in range(n)]
    best = max(range(n), key=lambda i: (scores[i], -i))
    others = [j for j in range(n) if j != best]
    witness = max(others, key=lambda j: (sim(best, j), -j)) if others else best
    return best, witness


_SENTENCE_END = tuple(".!?\u2026:;\"\u201d\u201c\u00bb\u00ab'\u2019)")
_LEAD_PARAGRAPHS = 2  # a lead (standfirst, intro) is one or two paragraphs
_LEAD_WORDS = 10  # and sentences: a headline or a label is shorter or ends without punctuation
_BODY_RUN = 3  # unconfirmed paragraphs between two confirmed ones: a subheading and its text, a quote
_LIST_ITEM = "- "  # how trafilatura's text output starts a list item


def vote_paragraphs(paragraphs: Sequence[str], witness: str, keep_share: float = _KEEP_SHARE) -> list[str]:
    """The paragraphs the ``witness`` text also contains, unless fewer than ``keep_share`` of the words remain.

    What the witness confirms is the body; beside it, two kinds of paragraph belong to it
    although readability (the usual witness) leaves them out:

    * a short run (``_BODY_RUN`` paragraphs at most) between two confirmed ones: a
      subheading and its paragraph, a quote, an embedded post and its attribution; in-body
      boilerplate of that shape goes by :func:`~scraper.extract.lines.filter_paragraphs`;
    * the lead, set apart from the body's container: the one or two paragraphs before the
      first confirmed one, when they are sentences (``_LEAD_WORDS`` words or more, ending
      like a sentence), not a headline or a label.

    Tables and list items are not voted on: readability drops small tables and lists
    whole (ingredients, steps, bullet points), and what trafilatura found of them inside
    the article's container is its data.
    """
    reference = comparable(witness)
    if not reference:
        return list(paragraphs)
    confirmed = [is_table_block(p) or p.startswith(_LIST_ITEM) or _form(p) in reference for p in paragraphs]
    keep = list(confirmed)
    start = None  # where the current run of unconfirmed paragraphs began
    for i, said in enumerate(confirmed):
        if not said and start is None:
            start = i
        elif said and start is not None:
            if start > 0 and i - start <= _BODY_RUN:
                keep[start:i] = [True] * (i - start)
            start = None
    counts = list(map(_paragraph_words, paragraphs))
    if sum(c for c, k in zip(counts, keep, strict=True) if k) < keep_share * sum(counts):
        return list(paragraphs)
    first = keep.index(True) if True in keep else 0
    if first <= _LEAD_PARAGRAPHS:
        for i in range(first):
            keep[i] = counts[i] >= _LEAD_WORDS and paragraphs[i].rstrip().endswith(_SENTENCE_END)
    return [p for p, k in zip(paragraphs, keep, strict=True) if k]


PageParagraphs = Sequence[tuple[HtmlElement, str]]  # every <p> of a page with its text, in document order


def page_paragraphs(tree: HtmlElement) -> PageParagraphs:
    """Every <p> of the page with its text content: read once for the recall rescues, which
    all look for the extracted paragraphs among the page's."""
    return [(el, el.text_content()) for el in tree.iter("p")]


def body_start_paragraphs(
    candidates: Sequence[str], kept: Sequence[str], page_ps: PageParagraphs
) -> list[str]:
    """The paragraphs before the first one the vote kept that lie beside it in the page.

    Readability, the usual witness, sometimes starts the body late (it picks an inner
    block, or scores the first paragraphs under another parent it then drops), and the
    vote keeps only a one- or two-paragraph lead before what the witness confirms. A
    dropped paragraph whose <p> has the same parent element as the <p> of the first kept
    paragraphs (the very first may be a subheading), or a parent of the same tag and
    class in the same line and not set apart from it (:func:`_set_apart`: a body cut into
    sections), is the start of the same body, when it reads as prose
    (:func:`_prose_text`). ``candidates`` are the paragraphs voted on, ``kept`` what the
    vote kept of them, in order.
    """
    first = kept[0]
    start = next((i for i, p in enumerate(candidates) if p is first), 0)
    leading = [p for p in candidates[:start] if _paragraph_words(p) >= 5]
    if not leading:
        return []
    elements = matched_elements(page_ps, [*kept[:_LEAD_PARAGRAPHS + 1], *leading])
    # the first kept paragraph that is a <p> (the first may be a subheading)
    anchor = next((elements[f] for f in map(_form, kept[:_LEAD_PARAGRAPHS + 1]) if f in elements), None)
    parent = anchor.getparent() if anchor is not None else None
    if parent is None:
        return []
    signature = (parent.tag, parent.get("class")) if parent.get("class") else None
    line = frozenset(parent.iterancestors())
    out = []
    for p in leading:
        el = elements.get(_form(p))
        if el is None or el is anchor or not _prose_text(el):
            continue
        beside = el.getparent()
        if beside is parent or (
            signature is not None and beside is not None and (beside.tag, beside.get("class")) == signature
            and not _set_apart(el, line)
        ):
            out.append(p)
    return out


def continuation_paragraphs(
    tree: HtmlElement, paragraphs: Sequence[str], page_ps: PageParagraphs, min_words: int = 30
) -> list[str]:
    """Paragraphs of later containers shaped like the one the text ends in (a body split by ads).

    The container of the last extracted <p> is found in the raw tree; later elements
    with the same tag and class, outside it, contribute their <p> texts that the
    extraction missed, when these are prose (low link density) and add ``min_words``.
    A later element set apart from the body (:func:`_set_apart`: in a comment thread,
    a footer, an aside, another ``article`` or list item) is a comment, a teaser or
    page furniture built from the same template class, not the body's rest.
    """
    known = {_form(p) for p in paragraphs if _paragraph_words(p) >= 5}
    if not known:
        return []
    shortest = min(map(len, known))
    last = next((el for el, text in reversed(page_ps) if _form_if_long(text, shortest) in known), None)
    container = last.getparent() if last is not None else None
    if container is None or not container.get("class"):
        return []
    signature = (container.tag, container.get("class"))
    body_line = frozenset(container.iterancestors())
    extra: list[str] = []
    seen = set(known)
    after = False
    for el in tree.iter(container.tag):
        if el is container:
            after = True
            continue
        if not after or (el.tag, el.get("class")) != signature or _inside(el, container):
            continue
        if _set_apart(el, body_line):
            continue
        own_line = frozenset((el, *el.iterancestors()))
        for p in el.iter("p"):
            if _set_apart(p, own_line):
                continue
            text = " ".join(p.text_content().split())
            link_chars = sum(len(a.text_content()) for a in p.iter("a"))
            norm = comparable(text)
            if _words(text) >= 5 and norm not in seen and link_chars <= 0.3 * len(text):
                seen.add(norm)
                extra.append(text)
    return extra if sum(map(_words, extra)) >= min_words else []


_APART = frozenset({"article", "li", "aside", "footer", "header", "nav", "form", "figure", "figcaption"})


def _set_apart(el: HtmlElement, line: frozenset[HtmlElement]) -> bool:
    """True when ``el``, or an ancestor of it below the first one in ``line``, is set apart
    from a body: an ``article`` or list item of its own (a post, a teaser, a comment), a
    footer, aside, header, navigation, form or figure, or page furniture by class or id."""
    node: HtmlElement | None = el
    while node is not None and node not in line:
        if node.tag in _APART or _FURNITURE.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
            return True
        node = node.getparent()
    return False


# Containers of page furniture by their class or id, never article text between paragraphs.
_FURNITURE = re.compile(
    r"\bad\b|ads\b|advert|banner|promo|sponsor|related|share|social|newsletter|subscribe|caption|credit|"
    r"byline|author|meta|tags?\b|comment|widget|sidebar|nav|footer|cookie|consent|paywall|signup",
    re.IGNORECASE,
)
_BLOCKS = ("p", "div", "section", "article", "aside", "ul", "ol", "dl", "table", "figure", "form", "nav",
           "header", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "iframe", "img")


def _prose_text(el: HtmlElement | None, text: str | None = None) -> str | None:
    """The text of ``el`` (or ``text``) when it reads as a line of article prose, else None.

    Prose: words (two or more), at most 30 % of its characters in links, not page
    furniture by its container's class or by its own shape (:func:`filter_paragraphs`).
    """
    if el is not None:
        if _FURNITURE.search(f"{el.get('class') or ''} {el.get('id') or ''}"):
            return None
        text = el.text_content()
        link_chars = sum(len(a.text_content()) for a in el.iter("a"))
        if link_chars > 0.3 * len(text):
            return None
    text = " ".join((text or "").split())
    if _words(text) < 2 or not filter_paragraphs([text]):
        return None
    return text


def matched_elements(page_ps: PageParagraphs, paragraphs: Sequence[str]) -> dict[str, HtmlElement]:
    """The form of each extracted paragraph -> the first <p> of the page that reads like it."""
    known = {_form(p) for p in paragraphs} - {""}
    if not known:
        return {}
    shortest = min(map(len, known))
    found: dict[str, HtmlElement] = {}
    for el, text in page_ps:
        norm = _form_if_long(text, shortest)
        if norm in known and norm not in found:
            found[norm] = el
    return found


def _reads_as_sentence(paragraph: str) -> bool:
    """``_LEAD_WORDS`` words or more, ending like a sentence: not a headline, a label or a link."""
    return _paragraph_words(paragraph) >= _LEAD_WORDS and paragraph.rstrip().endswith(_SENTENCE_END)


_NOT_BODY = frozenset({"figure", "figcaption", "aside", "header", "footer", "nav", "form", "blockquote"})


def _in_body_p(el: HtmlElement) -> bool:
    """A <p> outside figures, asides, quotes and forms, in no container of page furniture."""
    for node in (el, *el.iterancestors()):
        if node.tag in _NOT_BODY or _FURNITURE.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
            return False
        if node.tag in ("article", "main", "body"):
            return True
    return True


def witness_paragraphs(paragraphs: Sequence[str], witness: str, page_ps: PageParagraphs) -> list[str]:
    """``paragraphs`` with the witness's lead and in-body lines they lack merged in.

    Where the chosen text and the witness agree on the body, what only the witness has is
    one of the two kinds :func:`vote_paragraphs` keeps when only the chosen text has it:

    * the lead: the one or two witness paragraphs before the first one the chosen text
      holds, when that one opens the chosen text (they go before it);
    * a paragraph between two the chosen text holds one after the other (it goes between).

    Either must read as a sentence (:func:`_reads_as_sentence`) and be a <p> of the page
    outside figures, asides and page furniture (:func:`_in_body_p`): readability keeps
    captions, promotions and teasers that precision mode rightly left out.
    """
    if not paragraphs:
        return list(paragraphs)
    forms = [_form(p) for p in paragraphs]

    def position(paragraph: str) -> int | None:
        form = _form(paragraph)
        if not form:
            return None
        for i, chosen in enumerate(forms):
            if form in chosen:
                return i
        return None

    lines = _paragraphs(witness)
    where = [position(w) for w in lines]
    body_ps: set[str] | None = None

    def mergeable(line: str) -> bool:
        nonlocal body_ps
        if not _reads_as_sentence(line):
            return False
        if body_ps is None:  # the page's <p> read only on pages with a paragraph to merge
            body_ps = {comparable(text) for el, text in page_ps if _in_body_p(el)}
        return _form(line) in body_ps

    before: list[str] = []
    after: dict[int, list[str]] = {}
    found = [i for i, at in enumerate(where) if at is not None]
    if not found:
        return list(paragraphs)
    first = found[0]
    if where[first] == 0 and first <= _LEAD_PARAGRAPHS:
        before = [w for w in lines[:first] if mergeable(w)]
    for i in range(1, len(lines) - 1):
        prev_at, next_at = where[i - 1], where[i + 1]
        if (where[i] is None and prev_at is not None and next_at is not None and next_at == prev_at + 1
                and mergeable(lines[i])):
            after.setdefault(prev_at, []).append(lines[i])
    if not before and not after:
        return list(paragraphs)
    merged = before[:]
    for i, p in enumerate(paragraphs):
        merged.append(p)
        merged.extend(after.get(i, ()))
    return merged


def gap_paragraphs(paragraphs: Sequence[str], elements: dict[str, HtmlElement]) -> list[str]:
    """``paragraphs`` with the text lying between two of them in the page put back.

    Between two extracted paragraphs of one container, a ``div`` or ``span`` of
    running text (no blocks inside) or text placed directly in the container is part of
    the body: a notice, a one-line aside. The extractors drop such lines as they are not
    in a <p>; page furniture between paragraphs is told by its class and shape.
    ``elements`` are the paragraphs' <p> elements (:func:`matched_elements`).
    """
    if len(elements) < 2:
        return list(paragraphs)
    known = {_form(p) for p in paragraphs}
    out: list[str] = []
    for i, paragraph in enumerate(paragraphs):
        out.append(paragraph)
        here = elements.get(_form(paragraph))
        after = elements.get(_form(paragraphs[i + 1])) if i + 1 < len(paragraphs) else None
        if here is None or after is None or here.getparent() is not after.getparent():
            continue
        gap: list[str] = []
        node: HtmlElement | None = here
        while node is not None and node is not after:
            text = None
            if node is not here and node.tag in ("div", "span") and next(node.iterdescendants(*_BLOCKS), None) is None:
                text = _prose_text(node)
            tail = _prose_text(None, node.tail)
            gap += [t for t in (text, tail) if t and _form(t) not in known]
            node = node.getnext()
        out += gap
    return out


def lead_container_paragraphs(
    paragraphs: Sequence[str], elements: dict[str, HtmlElement], page_ps: PageParagraphs
) -> list[str]:
    """The lead paragraphs in a container of their own just before the body's container.

    Templates set the lead (standfirst, teaser) apart in a ``div`` of its own before the
    body's; extractors that pick the body's container (by its class, or dropping
    'teaser' classes as furniture) lose it. The element before the body's container (or
    before one of its ancestors, up to the article or main element) counts when it holds
    <p> prose only and lies outside the headline block. ``elements`` are the <p> elements of
    paragraphs known already (:func:`matched_elements`); the first paragraph's is looked up
    when it is not among them.
    """
    if not paragraphs:
        return []
    form = _form(paragraphs[0])
    first = elements[form] if form in elements else matched_elements(page_ps, paragraphs[:1]).get(form)
    node = first.getparent() if first is not None else None
    known = {_form(p) for p in paragraphs}
    while node is not None and node.tag not in ("article", "main", "body", "html"):
        before = node.getprevious()
        while before is not None and not before.text_content().strip() and before.tag != "p":
            before = before.getprevious()  # empty elements (an anchor, a spacer) between the two
        if before is None:
            node = node.getparent()
            continue
        if before.tag not in ("div", "section") or _in_headline_block(before, node.getparent()):
            return []
        ps = list(before.iter("p"))
        if not ps or any(el.tag in _BLOCKS[1:] for el in before.iterdescendants() if el.tag not in ("p", "div")):
            return []
        texts = [_prose_text(el) for el in ps]
        if any(t is None for t in texts):
            return []
        return [t for t in texts if t and _form(t) not in known]
    return []


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
    first = _form(paragraphs[0])
    lead = None
    for el in tree.iter("p", "h2"):
        norm = _form_if_long(el.text_content(), len(want) if lead is None else len(first))
        if norm is None:
            continue
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


# Text a reader of an article does not read as its prose: links, forms and the page's furniture.
_READER_TEXT = XPath(
    "//body//text()[not(ancestor::a or ancestor::nav or ancestor::header or ancestor::footer"
    " or ancestor::aside or ancestor::form or ancestor::button or ancestor::select)]",
    smart_strings=False,
)


def reader_text_chars(tree: HtmlElement) -> int:
    """Characters of the page's text outside links, forms, navigation, header, footer and
    asides, whitespace runs counted as one: about the most an article text on the page can have."""
    return sum(len(" ".join(text.split())) for text in _READER_TEXT(tree))


def main_paragraphs(
    tree: HtmlElement,
    url: str,
    options: ExtractionOptions,
    description: str | None = None,
    declared_article: bool = False,
) -> list[str]:
    """The article's paragraphs before the boilerplate filters.

    trafilatura's precision mode is checked against the readability witness; only when
    the two disagree (agreement below ``_AGREEMENT``) is trafilatura's balanced mode run
    as a third opinion and the candidate that agrees most with the others kept. The
    kept candidate's paragraphs are then voted on by its best witness. Unless
    ``options.favor_precision``, a missed standfirst (``description``) and the rest of
    a body split into sibling containers are added. ``declared_article``: the page's
    structured data says it is an article (no length floor for its text).
    """
    if not options.ensemble:
        return _paragraphs(_trafilatura_text(tree, url, precision=True, fast=False))
    precise = _trafilatura_text(tree, url, precision=True, fast=True)
    witness_text = _readability_text(tree, url)
    precise_words, witness_words = _WORD.findall(precise), _WORD.findall(witness_text)
    if len(precise_words) < _FAILED_SHARE * len(witness_words):
        # precision mode failed on this layout: readability's text stands in
        precise, precise_words = witness_text, witness_words
    witness_shingles = _word_shingles(witness_words)
    precise_shingles = witness_shingles if precise is witness_text else _word_shingles(precise_words)
    if _agreement(precise_shingles, witness_shingles) >= _AGREEMENT:
        chosen, witness = precise, witness_text
    else:
        balanced = _trafilatura_text(tree, url, precision=False, fast=True)
        candidates = [precise, balanced, witness_text]
        known = [precise_shingles, None, witness_shingles]
        if not witness_words:
            # readability found nothing, so the two left tie: balanced mode goes first, as
            # it reads more of a page whose layout readability cannot read
            candidates, known = [balanced, precise, witness_text], [None, precise_shingles, witness_shingles]
        best, second = choose_candidate(candidates, known)
        chosen, witness = candidates[best], candidates[second]
    candidates = _paragraphs(chosen)
    paragraphs = vote_paragraphs(candidates, witness, _KEEP_SHARE)
    page_ps: PageParagraphs | None = None
    if not options.favor_precision and paragraphs and paragraphs[0] is not candidates[0]:
        page_ps = page_paragraphs(tree)
        paragraphs = body_start_paragraphs(candidates, paragraphs, page_ps) + paragraphs
    # precision mode and readability read the same body: what only readability kept of it
    merge_witness = chosen is precise and witness is witness_text and precise is not witness_text
    if sum(map(len, paragraphs)) < options.min_text_chars and (
        declared_article or reader_text_chars(tree) >= options.min_text_chars
    ):
        # all three read the page's layout wrong, or the article is short: trafilatura's
        # full run (its fallback extractors included) has the last word. Not on a page
        # whose prose all told is under the floor: no extractor finds an article there.
        fallback = _paragraphs(_trafilatura_text(tree, url, precision=False, fast=False))
        if sum(map(len, fallback)) > sum(map(len, paragraphs)):
            paragraphs, merge_witness = fallback, False
    if not options.favor_precision:
        page_ps = page_ps if page_ps is not None else page_paragraphs(tree)
        elements = matched_elements(page_ps, paragraphs)
        paragraphs = gap_paragraphs(paragraphs, elements)
        paragraphs = lead_paragraphs(tree, paragraphs, description) + paragraphs
        paragraphs = lead_container_paragraphs(paragraphs, elements, page_ps) + paragraphs
        if merge_witness:  # after the rescues, which take a lead container whole
            paragraphs = witness_paragraphs(paragraphs, witness_text, page_ps)
        paragraphs += continuation_paragraphs(tree, paragraphs, page_ps)
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
    if _words(last) <= max_words and _words(last) < _words(rest):
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
    if _words(sample) < 5:
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
    words = _WORD.findall(sample.lower())
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
    forms = {_form(p) for p in paragraphs} - {""}
    if not total or not forms:
        return 0.0
    shortest = min(map(len, forms))
    link_texts = {_form_if_long(a.text_content(), shortest) for a in tree.iter("a")} - {None, ""}
    linked = sum(len(p) for p in paragraphs if _form(p) in link_texts)
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
    cards = teaser_cards(tree)
    if len(cards) < 2:
        return 0.0
    small = [t for t in (_short_form(c.text_content(), max_card_words) for c in cards) if t is not None]
    if len(small) < 2:
        return 0.0
    inside = sum(len(p) for p in paragraphs if any(_form(p) in t for t in small))
    return inside / total


def _short_form(text: str, max_words: int) -> str | None:
    """``comparable(text)`` when it has at most ``max_words`` words, else None (found
    without reading a long text to its end: a card around a whole article is long)."""
    words = []
    for match in _WORD.finditer(text.lower()):
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
    _extractor_template(True)
    _extractor_template(False)


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
        paragraphs = _paragraphs(_trafilatura_text(tree, url, precision=False, fast=False))
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
