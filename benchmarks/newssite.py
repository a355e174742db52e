"""A news site that changes between crawls, served on loopback: for incremental crawls.

Articles (``/news/<n>.html``, each with its hero image ``/img/<n>.jpg``), section pages
(``/section/<name>/``), a home page, an RSS feed (``/feed.xml``), a Google News sitemap
(``/sitemap-news.xml``, named in ``robots.txt``) and shared requisites (``/static/...``).
Every response carries an ``ETag`` and a ``Last-Modified``, and the server answers
``If-None-Match`` and ``If-Modified-Since`` with ``304 Not Modified``, as news CMSs behind a
CDN do; all but ``/about.html``, served without validators, as many pages are. Between
crawls, :meth:`NewsSite.add_articles`, :meth:`NewsSite.edit_text` and
:meth:`NewsSite.edit_markup` change it. The server counts requests, statuses and body bytes.

    python -m benchmarks.newssite --articles 1000   # prints "serving <base URL>"
"""

from __future__ import annotations

import argparse
import hashlib
import random
import signal
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Article", "NewsSite", "NewsSiteServer"]

SECTIONS = ("world", "politics", "business", "science", "culture")
WORDS = (
    "government minister said talks would resume after the summit while officials in the capital "
    "warned that the agreement could still fail if the opposition refused to back the budget plan "
    "analysts expect markets to react cautiously as investors weigh new data on inflation and jobs "
    "researchers published findings showing the river had risen faster than forecast this spring "
    "residents of the coastal towns described long queues for water and fuel after the storm passed "
    "the festival opened with a film about migration and memory that drew praise from critics"
).split()
#: Page furniture around every article: what makes a news page tens of kilobytes.
CHROME = "".join(
    f'<li class="menu-item menu-item-{i}"><a href="/section/{SECTIONS[i % 5]}/" class="nav-link">'
    f"{SECTIONS[i % 5].title()} and more {i}</a></li>"
    for i in range(120)
)
HERO_BYTES = 60_000


@dataclass
class Article:
    number: int
    section: str
    published: datetime
    modified: datetime
    text_edits: int = 0
    markup_edits: int = 0

    @property
    def path(self) -> str:
        return f"/news/{self.number}.html"

    @property
    def title(self) -> str:
        return f"Story {self.number}: {' '.join(WORDS[self.number % 40 : self.number % 40 + 5])}"


def _paragraphs(number: int, edits: int) -> str:
    rng = random.Random(number)
    paragraphs = []
    for _ in range(8):
        words = [rng.choice(WORDS) for _word in range(45)]
        paragraphs.append(f"<p>{' '.join(words).capitalize()}.</p>")
    if edits:
        paragraphs.append(f"<p>Correction {edits}: an earlier version of this story misstated the figures; "
                          f"they have been updated in revision {edits} of article {number}.</p>")
    return "".join(paragraphs)


@dataclass
class NewsSite:
    """The site's state: which articles exist and how often each was edited."""

    articles: list[Article] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def with_articles(cls, count: int, *, now: datetime | None = None) -> NewsSite:
        """``count`` articles published over the days before ``now``."""
        now = now or datetime.now(timezone.utc)
        site = cls()
        for n in range(count):
            when = now - timedelta(days=3, minutes=count - n)
            site.articles.append(Article(n + 1, SECTIONS[n % len(SECTIONS)], when, when))
        return site

    def _now(self) -> datetime:
        return datetime.now(timezone.utc)

    def add_articles(self, count: int) -> list[Article]:
        """``count`` new articles, published now."""
        with self.lock:
            start = len(self.articles) + 1
            now = self._now()
            new = [Article(n, SECTIONS[n % len(SECTIONS)], now, now) for n in range(start, start + count)]
            self.articles.extend(new)
        return new

    def edit_text(self, numbers: list[int]) -> None:
        """A correction paragraph added to each article (its text changes; sitemap lastmod too)."""
        with self.lock:
            for n in numbers:
                article = self.articles[n - 1]
                article.text_edits += 1
                article.modified = self._now()

    def edit_markup(self, numbers: list[int]) -> None:
        """A new ad slot in each article's markup: the payload changes, its text does not."""
        with self.lock:
            for n in numbers:
                article = self.articles[n - 1]
                article.markup_edits += 1
                article.modified = self._now()

    # -- pages ------------------------------------------------------------------------

    def latest(self, count: int = 50) -> list[Article]:
        return sorted(self.articles, key=lambda a: (a.published, a.number), reverse=True)[:count]

    def article_page(self, article: Article) -> bytes:
        ads = "".join(f'<div class="ad-slot" data-slot="{article.number}-{i}"></div>'
                      for i in range(article.markup_edits))
        return (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{article.title}</title>'
            f'<meta property="og:type" content="article">'
            f'<meta property="article:published_time" content="{article.published.isoformat()}">'
            f'<link rel="stylesheet" href="/static/site.css"><script src="/static/site.js"></script></head>'
            f'<body><header><img src="/static/logo.png" alt=""><nav><ul>{CHROME}</ul></nav></header>{ads}'
            f'<main><article><h1>{article.title}</h1><img src="/img/{article.number}.jpg" alt="">'
            f"{_paragraphs(article.number, article.text_edits)}</article></main>"
            f"<footer><ul>{CHROME}</ul></footer></body></html>"
        ).encode()

    def listing(self, title: str, articles: list[Article]) -> bytes:
        links = "".join(f'<li><a href="{a.path}">{a.title}</a></li>' for a in articles)
        sections = "".join(f'<li><a href="/section/{s}/">{s.title()}</a></li>' for s in SECTIONS)
        sections += '<li><a href="/about.html">About</a></li>'
        return (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<link rel="stylesheet" href="/static/site.css"></head><body><nav><ul>{sections}</ul></nav>'
            f"<h1>{title}</h1><ul>{links}</ul></body></html>"
        ).encode()

    def feed(self, base: str) -> bytes:
        items = "".join(
            f"<item><title>{a.title}</title><link>{base}{a.path}</link>"
            f"<pubDate>{format_datetime(a.published)}</pubDate></item>"
            for a in self.latest()
        )
        return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>News</title>'
                f"<link>{base}/</link>{items}</channel></rss>").encode()

    def news_sitemap(self, base: str) -> bytes:
        entries = "".join(
            f"<url><loc>{base}{a.path}</loc><lastmod>{a.modified.isoformat()}</lastmod><news:news>"
            f"<news:publication><news:name>News</news:name><news:language>en</news:language></news:publication>"
            f"<news:publication_date>{a.published.isoformat()}</news:publication_date>"
            f"<news:title>{a.title}</news:title></news:news></url>"
            for a in self.articles
        )
        return (f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{entries}</urlset>').encode()

    def resource(self, path: str, base: str) -> tuple[bytes, str, datetime | None] | None:
        """Body, content type and last modification of ``path`` (None: no validators), or None (404)."""
        with self.lock:
            epoch = min((a.published for a in self.articles), default=self._now())
            newest = max((a.modified for a in self.articles), default=epoch)
            if path == "/robots.txt":
                return f"User-agent: *\nSitemap: {base}/sitemap-news.xml\n".encode(), "text/plain", epoch
            if path == "/":
                return self.listing("Front page", self.latest(30)), "text/html; charset=utf-8", newest
            if path == "/about.html":
                return (b'<!DOCTYPE html><html lang="en"><head><title>About us</title></head><body>'
                        b"<p>A newsroom of twelve.</p></body></html>"), "text/html; charset=utf-8", None
            if path == "/feed.xml":
                return self.feed(base), "application/rss+xml", newest
            if path == "/sitemap-news.xml":
                return self.news_sitemap(base), "application/xml", newest
            if path.startswith("/section/") and path.strip("/").split("/")[-1] in SECTIONS:
                name = path.strip("/").split("/")[-1]
                chosen = [a for a in self.articles if a.section == name]
                modified = max((a.published for a in chosen), default=epoch)
                return self.listing(name.title(), sorted(chosen, key=lambda a: -a.number)), "text/html", modified
            if path.startswith("/news/") and path.endswith(".html"):
                number = path[len("/news/") : -len(".html")]
                if number.isdigit() and 1 <= int(number) <= len(self.articles):
                    article = self.articles[int(number) - 1]
                    return self.article_page(article), "text/html; charset=utf-8", article.modified
            if path.startswith("/img/") and path.endswith(".jpg"):
                number = path[len("/img/") : -len(".jpg")]
                if number.isdigit() and 1 <= int(number) <= len(self.articles):
                    image = random.Random(f"img{number}").randbytes(HERO_BYTES)
                    return image, "image/jpeg", self.articles[int(number) - 1].published
            static = {
                "/static/site.css": (b"body{font:16px serif}" * 400, "text/css"),
                "/static/site.js": (b"console.log('news');" * 400, "application/javascript"),
                "/static/logo.png": (random.Random("logo").randbytes(8000), "image/png"),
            }
            if path in static:
                body, kind = static[path]
                return body, kind, epoch
        return None


class _Handler(BaseHTTPRequestHandler):
    server: NewsSiteServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        server = self.server
        found = server.site.resource(self.path.split("?", 1)[0], server.base_url)
        if found is None:
            self._send(404, b"not found", {"Content-Type": "text/plain"})
            return
        body, kind, modified = found
        headers = {"Content-Type": kind}
        if modified is None:
            self._send(200, body, headers)
            return
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        headers.update({"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)})
        if self._not_modified(etag, modified):
            self._send(304, b"", headers)
            return
        self._send(200, body, headers)

    def _not_modified(self, etag: str, modified: datetime) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:  # RFC 9110 13.1.2: If-Modified-Since is then ignored
            return etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*"
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return modified.replace(microsecond=0) <= parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
        return False

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)
        self.server.count(self.path, status, len(body) if status != 304 else 0)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class NewsSiteServer(ThreadingHTTPServer):
    """A :class:`NewsSite` on 127.0.0.1, counting what it serves."""

    daemon_threads = True

    def __init__(self, site: NewsSite, port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.site = site
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.body_bytes = 0
        self._count_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def count(self, path: str, status: int, size: int) -> None:
        with self._count_lock:
            self.requests[path] += 1
            self.statuses[status] += 1
            self.body_bytes += size

    def reset_counts(self) -> None:
        with self._count_lock:
            self.requests.clear()
            self.statuses.clear()
            self.body_bytes = 0

    def start(self) -> str:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--port", type=int, default=0)
    options = parser.parse_args()
    server = NewsSiteServer(NewsSite.with_articles(options.articles), options.port)
    print("serving", server.base_url, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
