"""Requisites and links found by the extraction workers are the ones the spider would find.

The spider used to find them on the reactor thread with Scrapy's selectors and
LinkExtractor; the workers now find them on their own parse of the page
(scraper.extract.discovery). Both are run here on the same pages and must agree, URL for URL.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from scraper.extract.discovery import base_url, link_urls, requisite_urls
from scraper.extract.page import parse_page
from spiders.articles import ArticlesSpider

ROOT = Path(__file__).resolve().parent.parent
BENCHMARK_PAGES = sorted((ROOT.parent / "shared" / "benchmarks" / "aeb-dev" / "html").glob("*.html.gz"))

EDGE_CASES = """<!DOCTYPE html>
<html><head><meta charset="iso-8859-1"><title>Edge cases</title>
<base href="/static/v2/">
<link rel="stylesheet" href="main.css"><link rel="alternate stylesheet" href="dark.css">
<link rel="shortcut icon" href="/favicon.ico"><link rel="apple-touch-icon" href="/touch.png">
<link rel="preload" href="font.woff2"><link rel="ICON" href="/upper.ico">
<script src="app.js"></script><script>inline()</script><script src=" javascript:void(0) "></script>
</head><body>
<img src="data:image/png;base64,AAAA"><img src="  photo.jpg  "><img><img src="">
<img src="http://[::1/broken.png">
<a href="/news/1">one</a><a href="../news/2#top">two</a><a href="/news/1">one again</a>
<a href="mailto:desk@example.com">mail</a><a href="javascript:open()">js</a><a>no href</a>
<a href="http://[::1/bad">bogus</a><a href="/search?q=caf\xe9 cr\xe8me">query</a>
<map><area href="/map/north" alt="north"></map>
<a href="HTTPS://Other.Example/Path">other host</a><a href="//cdn.example/x.js">protocol-relative</a>
</body></html>
"""


def spider_finds(body: bytes, url: str, encoding: str | None = None) -> tuple[list[str], list[str]]:
    """What the spider's reactor-side discovery gives (the reference)."""
    headers = {"Content-Type": f"text/html; charset={encoding}"} if encoding else {}
    response = HtmlResponse(url, body=body, headers=headers)
    spider = ArticlesSpider(urls=url, follow=1)
    return ([r.url for r in spider.requisites(response)],
            [Request(link.url).url for link in spider.link_extractor.extract_links(response)])


def worker_finds(body: bytes, url: str, encoding: str | None = None) -> tuple[list[str], list[str]]:
    """What the extraction worker gives, on the page decoded as the spider hands it over."""
    headers = {"Content-Type": f"text/html; charset={encoding}"} if encoding else {}
    response = HtmlResponse(url, body=body, headers=headers)
    html = response.text
    tree = parse_page(html)
    base = base_url(html, url, response.encoding)
    return ([Request(u).url for u in requisite_urls(tree, base)],
            [Request(u).url for u in link_urls(tree, base, url, response.encoding)])


def test_edge_cases_are_found_as_scrapy_finds_them() -> None:
    body = EDGE_CASES.encode("iso-8859-1")
    url = "http://news.example/section/page.html"
    requisites, links = worker_finds(body, url)
    assert (requisites, links) == spider_finds(body, url)
    assert requisites == [
        "http://news.example/static/v2/photo.jpg",  # <base href> applies; data: and empty src left out
        "http://news.example/static/v2/main.css",
        "http://news.example/static/v2/dark.css",  # rel is a list of tokens
        "http://news.example/static/v2/app.js",
        "http://news.example/favicon.ico",  # "shortcut icon"; not apple-touch-icon, not ICON
    ]
    assert "http://news.example/search?q=caf%E9%20cr%E8me" in links  # the query in the page's encoding
    assert "http://news.example/map/north" in links and "http://news.example/static/news/2#top" in links
    assert links.count("http://news.example/news/1") == 1
    assert not [u for u in links if u.startswith(("mailto:", "javascript:")) or "::1" in u]


@pytest.mark.parametrize("encoding", ["utf-8", None])
def test_real_pages_give_the_same_requisites_and_links(encoding: str | None) -> None:
    assert len(BENCHMARK_PAGES) >= 100
    totals = [0, 0]
    for number, path in enumerate(BENCHMARK_PAGES):
        body = gzip.decompress(path.read_bytes())
        url = f"https://site{number}.example/2019/11/article.html"
        requisites, links = worker_finds(body, url, encoding)
        assert (requisites, links) == spider_finds(body, url, encoding), path.name
        totals[0] += len(requisites)
        totals[1] += len(links)
    assert totals[0] > 1000 and totals[1] > 5000  # pages with plenty of both
