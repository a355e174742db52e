"""Small HTML helpers shared by the templates: escaping, links inside text, the page shell.

Every absolute URL is written as ``{base}/path``; the server replaces ``{base}`` with its own
base URL when it serves a text file, so the files on disk do not depend on the port.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

from sample_site.models import Section

__all__ = ["BASE", "esc", "json_ld", "linkify", "page", "site_footer", "site_header"]

BASE = "{base}"


def esc(text: str) -> str:
    """Escape text for HTML; no-break spaces are written as ``&nbsp;``, as CMSes do."""
    return html.escape(text, quote=True).replace("\xa0", "&nbsp;")


def linkify(text: str, links: Sequence[tuple[str, str]]) -> str:
    """Escape ``text`` and wrap the first occurrence of each word in ``links`` in an ``<a>``."""
    out: list[str] = []
    rest = text
    for word, href in links:
        before, found, rest = rest.partition(word)
        if not found:
            raise ValueError(f"{word!r} not in {text!r}")
        out.append(f'{esc(before)}<a href="{esc(href)}">{esc(word)}</a>')
    out.append(esc(rest))
    return "".join(out)


def json_ld(data: dict[str, Any]) -> str:
    """A JSON-LD script block; ``</`` is escaped so the JSON cannot close the script."""
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>'


def site_header(sections: Sequence[Section], current: str = "") -> str:
    """Masthead with the section navigation and a GET search form."""
    items = ['<li><a href="/">Home</a></li>']
    for section in sections:
        mark = ' class="current-menu-item"' if section.slug == current else ""
        items.append(f'<li{mark}><a href="{section.path}">{esc(section.name)}</a></li>')
    items.append('<li><a href="/latest/">Latest</a></li>')
    return (
        '<header id="masthead" class="site-header">\n'
        '<div class="site-branding"><a class="site-title" href="/" rel="home">Sample News</a></div>\n'
        f'<nav class="main-navigation" aria-label="Sections"><ul class="menu">{"".join(items)}</ul></nav>\n'
        '<form class="search-form" role="search" method="get" action="/search">'
        '<input type="search" name="q" placeholder="Search"><button type="submit">Search</button></form>\n'
        "</header>"
    )


def site_footer() -> str:
    """Footer with feeds, sitemap and the staff area (disallowed by robots.txt)."""
    return (
        '<footer id="colophon" class="site-footer">\n'
        '<ul class="footer-links"><li><a href="/feed.xml">RSS</a></li><li><a href="/atom.xml">Atom</a></li>'
        '<li><a href="/sitemap.xml">Sitemap</a></li><li><a href="/private/">Staff area</a></li></ul>\n'
        "<p>&copy; 2020 Sample News. A static test site for the news archiver.</p>\n"
        "</footer>"
    )


def page(
    *,
    title: str,
    content: str,
    sections: Sequence[Section],
    lang: str = "en",
    direction: str = "ltr",
    charset_meta: str = '<meta charset="utf-8">',
    head: str = "",
    body_class: str = "",
    current: str = "",
) -> str:
    """A complete HTML document with the site's header and footer around ``content``."""
    dir_attr = ' dir="rtl"' if direction == "rtl" else ""
    head_lines = [
        charset_meta,
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        head,
        f'<link rel="alternate" type="application/rss+xml" title="Sample News" href="{BASE}/feed.xml">',
        f'<link rel="alternate" type="application/atom+xml" title="Sample News" href="{BASE}/atom.xml">',
        '<link rel="stylesheet" href="/static/site.css">',
    ]
    head_html = "\n".join(line for line in head_lines if line)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"{dir_attr}>\n<head>\n{head_html}\n</head>\n'
        f'<body class="{body_class}">\n{site_header(sections, current)}\n{content}\n{site_footer()}\n'
        "</body>\n</html>\n"
    )
