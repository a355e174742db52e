"""The page's text for extraction: decoded as the page declares it, unless that fails.

A page may declare one charset and be sent in another (UTF-8 declared, windows-1251 sent):
decoded as declared, its text is a row of U+FFFD. Such text is decoded again with the
charset detected from its bytes (charset-normalizer, as Scrapy's own detection). Nothing
here knows of Scrapy: the spider and ``scrapy reextract`` both call :func:`page_text`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["UNDECODABLE_SHARE", "PageText", "page_text", "undecodable"]

REPLACEMENT = "\ufffd"
#: Share of the characters that may be U+FFFD before the declared charset is disbelieved:
#: a stray byte or two in a long page is the page's own fault, a wrong charset makes most
#: non-ASCII letters U+FFFD.
UNDECODABLE_SHARE = 0.01
#: And how many at least: a short page with one bad byte keeps its declared charset.
UNDECODABLE_MIN = 8


@dataclass(frozen=True)
class PageText:
    """The text handed to extraction, the charset it was decoded with, and whether that
    charset was detected because the declared one did not decode the page (``fallback``)."""

    text: str
    encoding: str
    fallback: bool = False


def undecodable(text: str, body: bytes) -> bool:
    """``text`` (``body`` decoded as declared) holds more U+FFFD than the body spells out
    itself: over :data:`UNDECODABLE_SHARE` of its characters, and at least :data:`UNDECODABLE_MIN`."""
    replaced = text.count(REPLACEMENT) - body.count(REPLACEMENT.encode("utf-8"))
    return replaced >= UNDECODABLE_MIN and replaced > UNDECODABLE_SHARE * len(text)


def page_text(body: bytes, text: str, encoding: str) -> PageText:
    """The page's text: ``text`` (``body`` decoded with its declared ``encoding``, as Scrapy's
    ``response.text``), or, if that is :func:`undecodable`, ``body`` decoded with the charset
    charset-normalizer detects, when it decodes the body with fewer U+FFFD."""
    if not undecodable(text, body):
        return PageText(text, encoding)
    from charset_normalizer import from_bytes

    match = from_bytes(body).best()
    if match is None or match.encoding is None:
        return PageText(text, encoding)
    detected = body.decode(match.encoding, errors="replace")
    if detected.count(REPLACEMENT) >= text.count(REPLACEMENT):
        return PageText(text, encoding)
    return PageText(detected, match.encoding, fallback=True)
