"""Recall rescues: body paragraphs the chosen text lost, found again in the page.

The start of a body read late, the witness's lead and in-body lines, lines between paragraphs, a
lead or standfirst set apart, the rest of a body split by ads. Each returns paragraphs to add.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml.html import HtmlElement

from scraper.extract.lines import comparable, filter_paragraphs
from scraper.extract.paragraphs import (
    LEAD_PARAGRAPHS,
    LEAD_WORDS,
    SENTENCE_END,
    PageParagraphs,
    form_if_long,
    matched_elements,
    paragraph_form,
    paragraph_word_count,
    split_paragraphs,
    word_count,
)

__all__ = [
    "body_start_paragraphs",
    "continuation_paragraphs",
    "gap_paragraphs",
    "lead_container_paragraphs",
    "lead_paragraphs",
    "witness_paragraphs",
]


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
    leading = [p for p in candidates[:start] if paragraph_word_count(p) >= 5]
    if not leading:
        return []
    elements = matched_elements(page_ps, [*kept[:LEAD_PARAGRAPHS + 1], *leading])
    # the first kept paragraph that is a <p> (the first may be a subheading)
    anchor = next((elements[f] for f in map(paragraph_form, kept[:LEAD_PARAGRAPHS + 1]) if f in elements), None)
    parent = anchor.getparent() if anchor is not None else None
    if parent is None:
        return []
    signature = (parent.tag, parent.get("class")) if parent.get("class") else None
    line = frozenset(parent.iterancestors())
    out = []
    for p in leading:
        el = elements.get(paragraph_form(p))
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
    known = {paragraph_form(p) for p in paragraphs if paragraph_word_count(p) >= 5}
    if not known:
        return []
    shortest = min(map(len, known))
    last = next((el for el, text in reversed(page_ps) if form_if_long(text, shortest) in known), None)
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
            if word_count(text) >= 5 and norm not in seen and link_chars <= 0.3 * len(text):
                seen.add(norm)
                extra.append(text)
    return extra if sum(map(word_count, extra)) >= min_words else []


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
    if word_count(text) < 2 or not filter_paragraphs([text]):
        return None
    return text


def _reads_as_sentence(paragraph: str) -> bool:
    """``LEAD_WORDS`` words or more, ending like a sentence: not a headline, a label or a link."""
    return paragraph_word_count(paragraph) >= LEAD_WORDS and paragraph.rstrip().endswith(SENTENCE_END)


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
    one of the two kinds :func:`~scraper.extract.ensemble.vote_paragraphs` keeps when only the chosen text has it:

    * the lead: the one or two witness paragraphs before the first one the chosen text
      holds, when that one opens the chosen text (they go before it);
    * a paragraph between two the chosen text holds one after the other (it goes between).

    Either must read as a sentence (:func:`_reads_as_sentence`) and be a <p> of the page
    outside figures, asides and page furniture (:func:`_in_body_p`): readability keeps
    captions, promotions and teasers that precision mode rightly left out.
    """
    if not paragraphs:
        return list(paragraphs)
    forms = [paragraph_form(p) for p in paragraphs]

    def position(paragraph: str) -> int | None:
        form = paragraph_form(paragraph)
        if not form:
            return None
        for i, chosen in enumerate(forms):
            if form in chosen:
                return i
        return None

    lines = split_paragraphs(witness)
    where = [position(w) for w in lines]
    body_ps: set[str] | None = None

    def mergeable(line: str) -> bool:
        nonlocal body_ps
        if not _reads_as_sentence(line):
            return False
        if body_ps is None:  # the page's <p> read only on pages with a paragraph to merge
            body_ps = {comparable(text) for el, text in page_ps if _in_body_p(el)}
        return paragraph_form(line) in body_ps

    before: list[str] = []
    after: dict[int, list[str]] = {}
    found = [i for i, at in enumerate(where) if at is not None]
    if not found:
        return list(paragraphs)
    first = found[0]
    if where[first] == 0 and first <= LEAD_PARAGRAPHS:
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
    known = {paragraph_form(p) for p in paragraphs}
    out: list[str] = []
    for i, paragraph in enumerate(paragraphs):
        out.append(paragraph)
        here = elements.get(paragraph_form(paragraph))
        after = elements.get(paragraph_form(paragraphs[i + 1])) if i + 1 < len(paragraphs) else None
        if here is None or after is None or here.getparent() is not after.getparent():
            continue
        gap: list[str] = []
        node: HtmlElement | None = here
        while node is not None and node is not after:
            text = None
            if node is not here and node.tag in ("div", "span") and next(node.iterdescendants(*_BLOCKS), None) is None:
                text = _prose_text(node)
            tail = _prose_text(None, node.tail)
            gap += [t for t in (text, tail) if t and paragraph_form(t) not in known]
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
    form = paragraph_form(paragraphs[0])
    first = elements[form] if form in elements else matched_elements(page_ps, paragraphs[:1]).get(form)
    node = first.getparent() if first is not None else None
    known = {paragraph_form(p) for p in paragraphs}
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
        return [t for t in texts if t and paragraph_form(t) not in known]
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
    first = paragraph_form(paragraphs[0])
    lead = None
    for el in tree.iter("p", "h2"):
        norm = form_if_long(el.text_content(), len(want) if lead is None else len(first))
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
