"""The parsed page: trafilatura's ``load_html`` steps on one lxml parse, and the pruning every extractor needs.

:func:`parse_page` decodes, repairs and parses the HTML; :func:`prepare_tree` drops what no reader
sees. Nothing here reads the text or judges the page.
"""

from __future__ import annotations

import re
import threading

from lxml.etree import ElementDefaultClassLookup, XPath
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HTMLParser, HtmlProcessingInstruction
from lxml.html import fromstring as html_fromstring
from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, decode_file, is_dubious_html, repair_faulty_html

__all__ = [
    "html_parser",
    "parse_page",
    "prepare_tree",
]

_PARSERS = threading.local()  # lxml parsers must not be shared between threads


def html_parser() -> HTMLParser:
    """trafilatura's HTML parser settings with lxml's C-level element class lookup.

    lxml.html's own parser picks the class of every element proxy in Python code (it
    special-cases form, input, select, textarea and label), and the passes over a page
    create hundreds of thousands of proxies, each one a Python call otherwise.
    This lookup gives every element the plain ``HtmlElement`` class (nothing here or in
    trafilatura uses lxml's form helpers) with no Python call.
    """
    parser: HTMLParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True,
                            remove_pis=True)
        parser.set_element_class_lookup(
            ElementDefaultClassLookup(
                element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
            )
        )
        _PARSERS.parser = parser
    return parser


def _parse(html: str | bytes) -> HtmlElement | None:
    """lxml's parse of ``html`` with :func:`html_parser`, or None when lxml gives up."""
    try:
        return html_fromstring(html, parser=html_parser())
    except Exception:  # libxml2 errors of every kind: the page is not usable HTML
        return None


_INVALID_XML_CHARS = "".join(map(chr, (*range(0, 9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF)))


def _repair(text: str, beginning: str) -> str:
    """trafilatura's ``repair_faulty_html``, without its regex pass over the whole page when
    the page has no control characters to delete (the check is cheaper than the pass it spares).
    """
    if any(char in text for char in _INVALID_XML_CHARS):
        return repair_faulty_html(text, beginning)
    if "doctype" in beginning:
        first_line, _, rest = text.partition("\n")
        text = DOCTYPE_TAG.sub("", first_line, count=1) + "\n" + rest
    for line in text[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            return FAULTY_HTML.sub(r"\1>", text, count=1)
    return text


def parse_page(html: str | bytes) -> HtmlElement | None:
    """The parsed page, or None for input that is not HTML.

    trafilatura's ``load_html`` (decoding, repairs, the dubious-HTML check), with the
    parser of :func:`html_parser`.
    """
    if not isinstance(html, (str, bytes)):
        return None
    text = decode_file(html)
    beginning = text[:50].lower()
    dubious = is_dubious_html(beginning)
    text = _repair(text, beginning)
    try:
        tree = html_fromstring(text, parser=html_parser())
    except Exception:  # "Unicode strings with encoding declaration are not supported", libxml2 errors: bytes below
        tree = None
    if tree is None or len(tree) < 1:
        tree = _parse(text.encode("utf8", "surrogatepass"))
    if tree is None or len(tree) < 1 or (dubious and len(tree) < 2):
        return None
    return tree


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HIDDEN_CANDIDATES = XPath("//*[@hidden or @style]")  # tested in Python: the few that hide, then for <p>
_EMPTY_INLINE = ("span", "b", "strong", "i", "em", "q")  # inline tags trafilatura prunes when empty
_CELL_LISTS = ("ul", "ol", "dl", "table")
_CELL_BREAKS = frozenset({"li", "dt", "dd", "tr", "br"})
# A cell holding these is page layout (old sites lay pages out in tables), not data.
_LAYOUT_BLOCKS = ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "article", "section", "form",
                  "nav", "img", "iframe")


def prepare_tree(tree: HtmlElement) -> None:
    """Make the parsed page what every extractor and the metadata should see, in place.

    * empty inline elements (anchors, icons) go, keeping the text after them;
    * scripts (but JSON-LD, read as declarations), styles, templates and hidden elements
      (``hidden``, ``display: none``; not paragraphs or those holding them) go: none of
      them is text a reader sees, and a date found in them (a consent-renewal date in a
      script) is not the page's;
    * a list or a table inside a data cell (one that holds no paragraphs, divisions,
      headings or images: those make a layout table) becomes the cell's text, items
      separated by ``"; "``: trafilatura's table handling keeps no lists or tables in a
      cell, and the cell came out empty.
    """
    doomed = [
        el for el in tree.iter("script", "style", "template")
        if el.tag != "script" or (el.get("type") or "").strip().lower() != "application/ld+json"
    ]
    doomed += [
        el for el in _HIDDEN_CANDIDATES(tree)
        if (el.get("hidden") is not None or _HIDDEN_STYLE.search(el.get("style") or ""))
        and next(el.iter("p"), None) is None  # a hidden paragraph or body is text a script shows: it stays
    ]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()
    # An empty inline element (a table-of-contents anchor, an icon, a spacer) before text:
    # trafilatura's precision mode deletes empty elements with their tail, the text after
    # them, and so lost headings written as <h2><span id="anchor"></span>Heading</h2>.
    # Dropped here, the text stays where it was. lxml's drop_tree keeps the tail.
    empties = [
        el for el in tree.iter(_EMPTY_INLINE)
        if el.text is None and len(el) == 0 and el.tail and el.tail.strip() and el.getparent() is not None
    ]
    for el in empties:
        el.drop_tree()
    cells = [
        cell for cell in tree.iter("td", "th")
        if next(cell.iterdescendants(*_CELL_LISTS), None) is not None
        and next(cell.iterdescendants(*_LAYOUT_BLOCKS), None) is None
    ]
    for cell in cells:
        if any(a.tag in ("td", "th") for a in cell.iterancestors()):
            continue  # a cell inside a data cell: flattened with it
        for el in cell.iterdescendants():
            if el.tag in _CELL_BREAKS:
                el.tail = "; " + (el.tail or "")
            elif el.tag in ("td", "th"):
                el.tail = " " + (el.tail or "")
        items = [" ".join(part.split()) for part in cell.text_content().split(";")]
        text = "; ".join(item for item in items if item)
        for child in list(cell):
            cell.remove(child)
        cell.text = text
