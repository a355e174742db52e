"""The extracted text as paragraphs, and the forms every step after the extraction compares them in.

Word counts, comparable forms (cached), data-table blocks, what a lead is, and the page's ``<p>``
elements matched to extracted paragraphs. Only what the steps share: no step lives here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from lxml.html import HtmlElement

from scraper.extract.lines import comparable

__all__ = [
    "LEAD_PARAGRAPHS",
    "LEAD_WORDS",
    "SENTENCE_END",
    "WORD",
    "PageParagraphs",
    "form_if_long",
    "is_table_block",
    "matched_elements",
    "page_paragraphs",
    "paragraph_form",
    "paragraph_word_count",
    "split_paragraphs",
    "word_count",
]

WORD = re.compile(r"\w+")


def word_count(text: str) -> int:
    """Number of words in ``text``."""
    return len(WORD.findall(text))


@lru_cache(maxsize=2048)
def paragraph_form(paragraph: str) -> str:
    """:func:`~scraper.extract.lines.comparable` of an extracted paragraph, cached: every step
    after the extraction compares the same paragraphs against the page again."""
    return comparable(paragraph)


@lru_cache(maxsize=2048)
def paragraph_word_count(paragraph: str) -> int:
    """:func:`word_count` of an extracted paragraph, cached like :func:`paragraph_form`."""
    return word_count(paragraph)


def form_if_long(text: str, min_chars: int) -> str | None:
    """``comparable(text)``, or None when it cannot be ``min_chars`` long (most link and
    element texts are shorter than the paragraphs they are compared with: no regex then).
    """
    low = text.lower()  # comparable() is never longer than the lower-cased text
    if len(low) < min_chars:
        return None
    return " ".join(WORD.findall(low))


_PROSE_CELL_WORDS = 40  # a table cell of more words holds running text: the table lays out a page


def _data_row(line: str) -> bool:
    """True for a line of trafilatura's table output whose cells are data, not running text."""
    return line.startswith("|") and all(word_count(cell) <= _PROSE_CELL_WORDS for cell in line.split("|"))


def split_paragraphs(text: str | None) -> list[str]:
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
    """True for a paragraph that is a data table (:func:`split_paragraphs` keeps its rows together)."""
    return _data_row(paragraph.split("\n", 1)[0])


SENTENCE_END = tuple(".!?\u2026:;\"\u201d\u201c\u00bb\u00ab'\u2019)")
LEAD_PARAGRAPHS = 2  # a lead (standfirst, intro) is one or two paragraphs
LEAD_WORDS = 10  # and sentences: a headline or a label is shorter or ends without punctuation


PageParagraphs = Sequence[tuple[HtmlElement, str]]  # every <p> of a page with its text, in document order


def page_paragraphs(tree: HtmlElement) -> PageParagraphs:
    """Every <p> of the page with its text content: read once for the recall rescues, which
    all look for the extracted paragraphs among the page's."""
    return [(el, el.text_content()) for el in tree.iter("p")]


def matched_elements(page_ps: PageParagraphs, paragraphs: Sequence[str]) -> dict[str, HtmlElement]:
    """The form of each extracted paragraph -> the first <p> of the page that reads like it."""
    known = {paragraph_form(p) for p in paragraphs} - {""}
    if not known:
        return {}
    shortest = min(map(len, known))
    found: dict[str, HtmlElement] = {}
    for el, text in page_ps:
        norm = form_if_long(text, shortest)
        if norm in known and norm not in found:
            found[norm] = el
    return found
