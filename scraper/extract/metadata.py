"""An article's metadata: title without the site name, site name, publication date, language, authors.

trafilatura's metadata steps on our parse (less what no row holds), weighed against the page's
declarations (:class:`~scraper.extract.signals.PageSignals`). No text is extracted here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from html import unescape

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
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

from scraper.extract.boilerplate import host_of
from scraper.extract.language import language_identifier
from scraper.extract.paragraphs import WORD, word_count
from scraper.extract.signals import PageSignals

__all__ = [
    "author_from_body",
    "clean_title",
    "clearly_english",
    "detect_language",
    "page_language",
    "page_metadata",
    "page_site_name",
    "published_date",
    "site_name_from_title",
    "split_authors",
]

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


def page_site_name(meta: Document, signals: PageSignals, url: str) -> str | None:
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


def split_authors(value: str | None, fallback: Iterable[str]) -> list[str]:
    """trafilatura's 'A; B' author string as a list, or the JSON-LD names."""
    names = [a.strip() for a in (value or "").split(";") if a.strip()]
    return names or [n for n in fallback if n]
