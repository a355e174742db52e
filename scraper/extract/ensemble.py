"""The main text by an ensemble: trafilatura's precision mode against the readability witness,
trafilatura's balanced mode as a third opinion when the two disagree, then the vote on paragraphs.

:func:`main_paragraphs` runs it, then the recall rescues (:mod:`scraper.extract.rescues`). The line
filters, the site template and the article decision come after it, elsewhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from copy import copy, deepcopy
from functools import lru_cache

import trafilatura
from lxml.etree import XPath, strip_tags
from lxml.html import HtmlElement
from trafilatura.core import _forum_thread_page
from trafilatura.htmlprocessing import convert_tags, prune_unwanted_nodes, tree_cleaning
from trafilatura.main_extractor import extract_content
from trafilatura.settings import Document, Extractor
from trafilatura.xml import xmltotxt
from trafilatura.xpaths import RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH, REMOVE_COMMENTS_XPATH

from scraper.extract.lines import comparable
from scraper.extract.model import ExtractionOptions
from scraper.extract.paragraphs import (
    LEAD_PARAGRAPHS,
    LEAD_WORDS,
    SENTENCE_END,
    WORD,
    PageParagraphs,
    is_table_block,
    matched_elements,
    page_paragraphs,
    paragraph_form,
    paragraph_word_count,
    split_paragraphs,
)
from scraper.extract.rescues import (
    body_start_paragraphs,
    continuation_paragraphs,
    gap_paragraphs,
    lead_container_paragraphs,
    lead_paragraphs,
    witness_paragraphs,
)

__all__ = [
    "choose_candidate",
    "main_paragraphs",
    "reader_text_chars",
    "trafilatura_options",
    "trafilatura_text",
    "vote_paragraphs",
]

_AGREEMENT = 0.8  # precision mode and readability agreeing this much need no third opinion
_FAILED_SHARE = 0.25  # precision text with fewer words than this share of readability's has failed
_KEEP_SHARE = 0.7  # the vote may drop at most 30 % of the words, else it is not trusted


def trafilatura_text(tree: HtmlElement, url: str, *, precision: bool, fast: bool) -> str:
    """trafilatura's main text of ``tree`` (it copies the tree), comments excluded."""
    if precision and fast:
        return _precise_text(tree, url)
    doc = trafilatura.bare_extraction(
        tree, url=url, fast=fast, favor_precision=precision, include_comments=False, with_metadata=False
    )
    return doc.text or "" if isinstance(doc, Document) else ""


@lru_cache(maxsize=2)
def trafilatura_options(precise: bool) -> Extractor:
    """trafilatura's options, built once (the constructor reads its configuration values
    one by one, for every page otherwise): those of ``bare_extraction`` in precision and fast mode, or the
    defaults (for sanitising readability's output). Comments excluded."""
    if precise:
        return Extractor(output_format="python", fast=True, precision=True, comments=False)
    return Extractor(comments=False)


def _extractor(url: str, *, precise: bool) -> Extractor:
    """A copy of the :func:`trafilatura_options` for the page at ``url``."""
    options = copy(trafilatura_options(precise))
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
    return _word_shingles(WORD.findall(text), n)


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
      first confirmed one, when they are sentences (``LEAD_WORDS`` words or more, ending
      like a sentence), not a headline or a label.

    Tables and list items are not voted on: readability drops small tables and lists
    whole (ingredients, steps, bullet points), and what trafilatura found of them inside
    the article's container is its data.
    """
    reference = comparable(witness)
    if not reference:
        return list(paragraphs)
    confirmed = [is_table_block(p) or p.startswith(_LIST_ITEM) or paragraph_form(p) in reference for p in paragraphs]
    keep = list(confirmed)
    start = None  # where the current run of unconfirmed paragraphs began
    for i, said in enumerate(confirmed):
        if not said and start is None:
            start = i
        elif said and start is not None:
            if start > 0 and i - start <= _BODY_RUN:
                keep[start:i] = [True] * (i - start)
            start = None
    counts = list(map(paragraph_word_count, paragraphs))
    if sum(c for c, k in zip(counts, keep, strict=True) if k) < keep_share * sum(counts):
        return list(paragraphs)
    first = keep.index(True) if True in keep else 0
    if first <= LEAD_PARAGRAPHS:
        for i in range(first):
            keep[i] = counts[i] >= LEAD_WORDS and paragraphs[i].rstrip().endswith(SENTENCE_END)
    return [p for p, k in zip(paragraphs, keep, strict=True) if k]


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
        return split_paragraphs(trafilatura_text(tree, url, precision=True, fast=False))
    precise = trafilatura_text(tree, url, precision=True, fast=True)
    witness_text = _readability_text(tree, url)
    precise_words, witness_words = WORD.findall(precise), WORD.findall(witness_text)
    if len(precise_words) < _FAILED_SHARE * len(witness_words):
        # precision mode failed on this layout: readability's text stands in
        precise, precise_words = witness_text, witness_words
    witness_shingles = _word_shingles(witness_words)
    precise_shingles = witness_shingles if precise is witness_text else _word_shingles(precise_words)
    if _agreement(precise_shingles, witness_shingles) >= _AGREEMENT:
        chosen, witness = precise, witness_text
    else:
        balanced = trafilatura_text(tree, url, precision=False, fast=True)
        candidates = [precise, balanced, witness_text]
        known = [precise_shingles, None, witness_shingles]
        if not witness_words:
            # readability found nothing, so the two left tie: balanced mode goes first, as
            # it reads more of a page whose layout readability cannot read
            candidates, known = [balanced, precise, witness_text], [None, precise_shingles, witness_shingles]
        best, second = choose_candidate(candidates, known)
        chosen, witness = candidates[best], candidates[second]
    candidates = split_paragraphs(chosen)
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
        fallback = split_paragraphs(trafilatura_text(tree, url, precision=False, fast=False))
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
