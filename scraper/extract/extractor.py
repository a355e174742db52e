"""Clean article text from one HTML page: a pure function of HTML, URL and options.

It decides whether a page is an article and returns its text and metadata; it does
no I/O and keeps no state between calls (site-level knowledge comes in as an argument).
This module ties the steps together; each step lives in a module of its own.

How the text is made (each step kept because it measured better on the
article-extraction benchmark, trafilatura's evaluation set and the sample site, see
``python -m benchmarks.evaluate``):

1. Witnesses from one parsed tree (:mod:`scraper.extract.page`, :mod:`scraper.extract.ensemble`):
   trafilatura in precision mode (``fast``) and the readability algorithm trafilatura
   ships (its fork of readability-lxml). A precision text with under a quarter of
   readability's words has failed: readability's stands in.
2. When the two agree (4-word-shingle F1 >= 0.8, most pages) the precision text is kept;
   otherwise trafilatura's balanced mode is run too and the candidate that agrees most
   with the other two is kept (balanced mode's when readability found nothing).
3. Its paragraphs that its best witness does not contain are dropped (not list items,
   nor a short run between confirmed paragraphs), unless that would cut more than 30 %
   of the words; when the precision text and readability agree, the lead and in-body
   lines only readability kept join it (:func:`~scraper.extract.rescues.witness_paragraphs`).
4. Recall rescues (:mod:`scraper.extract.rescues`): a standfirst shown apart from the body
   (the meta description as a paragraph before it, outside the headline block), and the
   rest of a body split into later containers of the same class (an ad between two
   halves), not those set apart from it (comments, footers, other posts).
5. :func:`scraper.extract.lines.filter_paragraphs` drops in-body boilerplate by its shape;
   paragraphs whose fingerprint the crawl learned as template for the site go too.
6. The article decision (:func:`~scraper.extract.decision.is_article_page`) and the
   metadata (:mod:`scraper.extract.metadata`: title without the site name, ISO 8601 date,
   ISO 639-1 language, canonical URL).

What it costs (the crawl spends most of its CPU here; ``python -m benchmarks.evaluate``
prints ms/page beside plain trafilatura's). The page is parsed once, with lxml's
C-level element class lookup (:func:`~scraper.extract.page.html_parser`), and every pass
works on that tree or a copy of it. Where trafilatura does work the result does not use,
the same steps are taken without it: :func:`~scraper.extract.ensemble._precise_text` (one
tree copy instead of three), :func:`~scraper.extract.metadata.page_metadata` (no
categories, tags or licence; the byline search runs last, on the tree itself, and only
for article pages), :func:`~scraper.extract.page._repair`. The tests check that these
give what trafilatura's own functions give. A page whose declarations decide against it
(:func:`~scraper.extract.decision.says_not_article`) is not extracted at all, and an
English text declared English skips language detection
(:func:`~scraper.extract.metadata.clearly_english`).
"""

from __future__ import annotations

import unicodedata
from typing import overload
from urllib.parse import urljoin

from lxml.html import HtmlElement

from scraper.extract.boilerplate import fingerprint
from scraper.extract.decision import is_article_page, is_error_page, says_not_article
from scraper.extract.ensemble import main_paragraphs, trafilatura_options, trafilatura_text
from scraper.extract.jsonld import json_ld_objects
from scraper.extract.language import language_identifier
from scraper.extract.lines import filter_paragraphs
from scraper.extract.metadata import (
    author_from_body,
    clean_title,
    page_language,
    page_metadata,
    page_site_name,
    published_date,
    split_authors,
)
from scraper.extract.model import Article, ExtractionOptions
from scraper.extract.page import html_parser, parse_page, prepare_tree
from scraper.extract.paragraphs import split_paragraphs
from scraper.extract.rights import page_access, page_rights
from scraper.extract.signals import page_signals

__all__ = [
    "extract_article",
    "parse_page",
    "warm_up",
]


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
    if says_not_article(signals, url) or is_error_page(signals, None):
        return None  # no text can change the decision: spare the extraction
    access, rights = page_access(tree, ld), page_rights(tree, url, ld)  # before prepare_tree: hidden markers count
    prepare_tree(tree)
    # htmldate's extensive search only matters when the page declares no publication date
    meta = page_metadata(tree, url, extensive=not signals.published)
    if is_error_page(signals, meta.title):
        return None
    site_name = page_site_name(meta, signals, url)
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
        authors=[_nfc(a) for a in split_authors(author, signals.ld_authors)],
        published=published_date(signals, meta.date),
        language=language,
        site_name=_nfc(site_name),
        description=_nfc(meta.description),
        canonical_url=urljoin(url, canonical) if canonical else (meta.url or url),
        fingerprints=prints,
        access=access,
        rights=rights,
    )
