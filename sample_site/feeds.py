"""robots.txt, sitemaps (index, Google News, pages), RSS 2.0 and Atom for the site.

URLs are absolute with the ``{base}`` placeholder, which the server substitutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

from sample_site.html import BASE
from sample_site.models import Article, Section

__all__ = ["atom_xml", "news_sitemap_xml", "pages_sitemap_xml", "robots_txt", "rss_xml", "sitemap_index_xml"]

XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
FEED_ID = "tag:sample-news.test,2020:"


def robots_txt() -> str:
    return f"# Sample News robots.txt\nUser-agent: *\nDisallow: /private/\nAllow: /\n\nSitemap: {BASE}/sitemap.xml\n"


def _updated(articles: Sequence[Article]) -> str:
    return max(articles, key=lambda a: a.published_utc).published.isoformat()


def sitemap_index_xml(articles: Sequence[Article]) -> str:
    entries = "".join(
        f"<sitemap><loc>{BASE}/{name}</loc><lastmod>{_updated(articles)}</lastmod></sitemap>\n"
        for name in ("sitemap-articles.xml", "sitemap-pages.xml")
    )
    return f'{XML_DECL}<sitemapindex xmlns="{SITEMAP_NS}">\n{entries}</sitemapindex>\n'


def _news_entry(article: Article) -> str:
    return (
        f"<url>\n<loc>{BASE}{article.path}</loc>\n<lastmod>{article.published.isoformat()}</lastmod>\n"
        "<news:news><news:publication>"
        f"<news:name>{escape(article.section.name)}</news:name>"
        f"<news:language>{article.language}</news:language></news:publication>\n"
        f"<news:publication_date>{article.published.isoformat()}</news:publication_date>\n"
        f"<news:title>{escape(article.title)}</news:title></news:news>\n</url>\n"
    )


def news_sitemap_xml(articles: Sequence[Article]) -> str:
    entries = "".join(_news_entry(article) for article in articles)
    return f'{XML_DECL}<urlset xmlns="{SITEMAP_NS}" xmlns:news="{NEWS_NS}">\n{entries}</urlset>\n'


def pages_sitemap_xml(articles: Sequence[Article], sections: Sequence[Section]) -> str:
    paths = ["/", *(section.path for section in sections)]
    lastmod = _updated(articles)
    entries = "".join(
        f"<url><loc>{BASE}{path}</loc><lastmod>{lastmod}</lastmod><changefreq>hourly</changefreq></url>\n"
        for path in paths
    )
    return f'{XML_DECL}<urlset xmlns="{SITEMAP_NS}">\n{entries}</urlset>\n'


def _rss_item(article: Article) -> str:
    url = f"{BASE}{article.path}"
    creators = "".join(f"<dc:creator>{escape(name)}</dc:creator>" for name in article.authors)
    return (
        f"<item>\n<title>{escape(article.title)}</title>\n<link>{url}</link>\n"
        f'<guid isPermaLink="true">{url}</guid>\n<pubDate>{format_datetime(article.published)}</pubDate>\n'
        f"{creators}\n<category>{escape(article.section.name)}</category>\n"
        f"<description>{escape(article.teaser())}</description>\n</item>\n"
    )


def rss_xml(articles: Sequence[Article]) -> str:
    newest = max(articles, key=lambda a: a.published_utc)
    items = "".join(_rss_item(article) for article in articles)
    return (
        f'{XML_DECL}<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"<title>Sample News</title>\n<link>{BASE}/</link>\n"
        "<description>Latest news from Sample News</description>\n<language>en</language>\n"
        f"<lastBuildDate>{format_datetime(newest.published)}</lastBuildDate>\n"
        f'<atom:link href="{BASE}/feed.xml" rel="self" type="application/rss+xml"/>\n'
        f"{items}</channel>\n</rss>\n"
    )


def _atom_entry(article: Article) -> str:
    url = f"{BASE}{article.path}"
    authors = "".join(f"<author><name>{escape(name)}</name></author>" for name in article.authors)
    stamp = article.published.isoformat()
    return (
        f"<entry>\n<id>{FEED_ID}{article.path}</id>\n<title>{escape(article.title)}</title>\n"
        f'<link rel="alternate" type="text/html" href="{url}"/>\n'
        f"<published>{stamp}</published>\n<updated>{stamp}</updated>\n{authors}\n"
        f"<category term={quoteattr(article.section.slug)} label={quoteattr(article.section.name)}/>\n"
        f"<summary>{escape(article.teaser())}</summary>\n</entry>\n"
    )


def atom_xml(articles: Sequence[Article]) -> str:
    entries = "".join(_atom_entry(article) for article in articles)
    return (
        f'{XML_DECL}<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">\n'
        f"<id>{FEED_ID}feed</id>\n<title>Sample News</title>\n<updated>{_updated(articles)}</updated>\n"
        f'<link rel="self" type="application/atom+xml" href="{BASE}/atom.xml"/>\n'
        f'<link rel="alternate" type="text/html" href="{BASE}/"/>\n'
        f"<author><name>Sample News</name></author>\n{entries}</feed>\n"
    )
