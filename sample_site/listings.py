"""Non-article pages: the home page, section listings (with the section's widgets), the
disallowed staff page, and the stylesheet.
"""

from __future__ import annotations

from collections.abc import Sequence

from sample_site.html import BASE, esc, page
from sample_site.models import Article, Section, Widget
from sample_site.seeds import CALLOUT, FOLLOW, LOADER
from sample_site.templates import donation_widget, widget_html

__all__ = ["PDF_PATH", "STYLESHEET", "home_html", "private_html", "section_html", "section_widgets"]

PDF_PATH = "/files/sample-news-digest-2020-03-02.pdf"

STYLESHEET = """body { font: 16px/1.5 Georgia, serif; margin: 0 auto; max-width: 52rem; padding: 0 1rem; }
.site-header, .site-footer { border-bottom: 1px solid #ccc; padding: .5rem 0; }
.menu { display: flex; gap: 1rem; list-style: none; padding: 0; }
.donation-widget, .sf-support-callout, .social-follow, .read-also { background: #f4f4f4; padding: .5rem; }
.donation-scale { display: flex; justify-content: space-between; }
.donation-bar { background: #ddd; height: .5rem; } .donation-bar-fill { background: #c00; height: 100%; }
figure { margin: 1rem 0; } figcaption { color: #555; font-size: .9rem; }
.wpd-comment { border-top: 1px solid #eee; padding: .5rem 0; }
"""


def section_widgets(section: Section, amounts: Sequence[str]) -> tuple[list[Widget], list[Widget]]:
    """Site-level widgets a section shows on every page: (above the list, below the list)."""
    if section.slug == "southfront":
        donation = [Widget("donation", amount) for amount in amounts]
        return [*donation, Widget("callout", CALLOUT)], [Widget("callout", CALLOUT)]
    if section.slug == "newsfront":
        return [], [Widget("loader", LOADER)]
    return [], [Widget("follow", FOLLOW)]


def _widgets(widgets: Sequence[Widget], variant: str) -> str:
    if variant == "bare":
        return "\n".join(f"<p>{esc(w.text)}</p>" if w.kind == "donation" else widget_html(w, False) for w in widgets)
    donation = [w.text for w in widgets if w.kind == "donation"]
    parts = [donation_widget(donation)] if donation else []
    parts += [widget_html(w, True) for w in widgets if w.kind != "donation"]
    return "\n".join(parts)


def _teaser(article: Article) -> str:
    lang = "" if article.language == "en" else f' lang="{article.language}" dir="{article.direction}"'
    date = f"{article.published:%B} {article.published.day}, {article.published.year}"
    return (
        f'<article class="teaser"{lang}>\n'
        f'<h2 class="teaser-title"><a href="{article.path}">{esc(article.title)}</a></h2>\n'
        f'<div class="teaser-meta"><time datetime="{article.published.isoformat()}">{date}</time> &middot; '
        f"{esc(article.section.name)} &middot; {esc(', '.join(article.authors))}</div>\n"
        f'<p class="teaser-excerpt">{esc(article.teaser())}</p>\n'
        f'<a class="more-link" href="{article.path}">Read more</a>\n</article>'
    )


def _listing_head(description: str, path: str) -> str:
    return (
        f'<meta name="description" content="{esc(description)}">\n'
        f'<link rel="canonical" href="{BASE}{path}">\n'
        '<meta property="og:type" content="website">\n'
        '<meta property="og:site_name" content="Sample News">'
    )


def home_html(articles: Sequence[Article], sections: Sequence[Section]) -> str:
    """Home page: every article with its teaser, newest first, plus topic and download links."""
    teasers = "\n".join(_teaser(article) for article in articles)
    aside = (
        '<aside class="home-sidebar">\n<h2>Topics</h2>\n<ul>'
        '<li><a href="/search?q=libya">Libya</a></li><li><a href="/search?q=turkey">Turkey</a></li></ul>\n'
        f'<h2>Downloads</h2>\n<ul><li><a href="{PDF_PATH}">Daily digest, 2 March 2020 (PDF)</a></li></ul>\n'
        '<h2>Archive</h2>\n<ul><li><a href="/old/archive/2020/">Articles before March 2020</a></li></ul>\n'
        "</aside>"
    )
    content = (
        '<main id="main" class="site-main home">\n<h1 class="page-title">Latest news</h1>\n'
        f'<div class="post-list">\n{teasers}\n</div>\n{aside}\n</main>'
    )
    return page(
        title="Sample News - news archive test site",
        content=content,
        sections=sections,
        head=_listing_head("Latest news from three sections of Sample News.", "/"),
        body_class="home blog",
    )


def section_html(section: Section, articles: Sequence[Article], sections: Sequence[Section], variant: str) -> str:
    """A section listing page, with the section's site-level widgets around the list."""
    mine = [a for a in articles if a.section == section]
    amounts = next((a.donation for a in mine if a.donation), ())
    above, below = section_widgets(section, amounts)
    teasers = "\n".join(_teaser(article) for article in mine)
    blocks = [_widgets(above, variant), f'<div class="post-list">\n{teasers}\n</div>', _widgets(below, variant)]
    content = (
        f'<main id="main" class="site-main archive">\n<h1 class="page-title">{esc(section.name)}</h1>\n'
        f'<p class="archive-description">{esc(section.description)}</p>\n'
        + "\n".join(block for block in blocks if block)
        + "\n</main>"
    )
    return page(
        title=f"{section.name} - Sample News",
        content=content,
        sections=sections,
        head=_listing_head(section.description, section.path),
        body_class=f"archive category section-{section.slug} variant-{variant}",
        current=section.slug,
    )


def private_html(sections: Sequence[Section]) -> str:
    """The staff page under /private/: served 200, but robots.txt disallows it."""
    content = (
        '<main id="main" class="site-main">\n<h1 class="page-title">Staff area: embargoed drafts</h1>\n'
        "<p>This page lists drafts under embargo. It is disallowed by robots.txt: "
        "a polite crawler never requests it.</p>\n"
        "<ul><li>Draft: Libya ceasefire talks (embargoed until 2020-03-05)</li></ul>\n</main>"
    )
    return page(
        title="Staff area - Sample News",
        content=content,
        sections=sections,
        head='<meta name="robots" content="noindex, nofollow">',
        body_class="private",
    )
