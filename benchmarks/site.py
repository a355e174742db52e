"""The benchmark site: N distinct article pages made from the real pages of a corpus, served on loopback.

Page ``i`` is source page ``i % len(corpus)`` with its number written into a comment after
``<head>``, into its ``<title>`` and into its article text, so every payload and every
extracted text is distinct, at a distinct URL. Pages are made on request from the decompressed corpus
held in memory, so a 5,000-page site costs nothing to build; ``build`` writes it out
for a look. It is not a test site: no gzip, no chunking, no redirects.

    python -m benchmarks.site serve --pages 1000 [--port 0]   # prints "serving <base URL>"
    python -m benchmarks.site build --pages 1000 --out DIR    # DIR/news/*.html, robots.txt, urls.txt
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape as html_escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = [
    "DEFAULT_CORPUS",
    "STATS_PATH",
    "BenchSite",
    "BenchSiteServer",
    "SourcePage",
    "load_corpus",
    "main",
]

#: The article-extraction benchmark's development split, in the shared folder beside the repo.
DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks" / "aeb-dev"

#: Answers the server's counters as JSON: ``{"connections": n, "requests": n}``.
STATS_PATH = "/_bench/stats"
ROBOTS_TXT = b"User-agent: *\nDisallow: /private/\n"
_HEAD_OPEN = re.compile(r"<head(?:\s[^>]*)?>", re.IGNORECASE)
_HEAD_CLOSE = re.compile(r"</head\s*>", re.IGNORECASE)
_TITLE_CLOSE = re.compile(r"</title\s*>", re.IGNORECASE)
_SCRIPT_OPEN = re.compile(r"<(script|style)[\s>]", re.IGNORECASE)
_SCRIPT_CLOSE = re.compile(r"</(script|style)\s*>", re.IGNORECASE)


def _in_text_node(html: str, position: int) -> bool:
    """Whether ``position`` is in character data: not in a tag, script or style."""
    if html.rfind(">", 0, position) < html.rfind("<", 0, position):
        return False
    last_open = max((m.start() for m in _SCRIPT_OPEN.finditer(html, 0, position)), default=-1)
    last_close = max((m.start() for m in _SCRIPT_CLOSE.finditer(html, 0, position)), default=-1)
    return last_open <= last_close


def find_text_mark_position(html: str, article_body: str, start: int = 0) -> int | None:
    """Where in ``html`` to put a mark so it lands in the article's text, or None.

    Looks for a few consecutive words of the known article body (a window sliding over
    its first 60 words) in a text node after ``start``, and returns the end of the match.
    """
    words = article_body.split()[:60]
    for first in range(0, max(len(words) - 3, 0), 3):
        pattern = r"\s+".join(re.escape(html_escape(word, quote=False)) for word in words[first : first + 4])
        for match in re.finditer(pattern, html[start:]):
            if _in_text_node(html, start + match.start()):
                return start + match.end()
    return None


@dataclass(frozen=True)
class SourcePage:
    """One page of the corpus, cut where a copy's unique marks go.

    ``chunks`` interleave with ``marks``: a comment after ``<head>``, a suffix of the
    ``<title>``, and a few words in the article's text when the text could be found.
    """

    page_id: str
    chunks: tuple[bytes, ...]
    marks: tuple[str, ...]  # "comment", "title" or "text", one fewer than chunks

    @classmethod
    def from_html(cls, page_id: str, html: str, article_body: str | None = None) -> SourcePage:
        cuts: list[tuple[int, str]] = []
        head = _HEAD_OPEN.search(html)
        head_end = head.end() if head else 0
        cuts.append((head_end, "comment"))
        head_close = _HEAD_CLOSE.search(html, head_end)
        title_close = _TITLE_CLOSE.search(html, head_end, head_close.start() if head_close else len(html))
        if title_close is not None:
            cuts.append((title_close.start(), "title"))
        if article_body:
            body_start = head_close.end() if head_close else head_end
            text_position = find_text_mark_position(html, article_body, body_start)
            if text_position is not None:
                cuts.append((text_position, "text"))
        cuts.sort()
        chunks: list[bytes] = []
        previous = 0
        for position, _ in cuts:
            chunks.append(html[previous:position].encode("utf-8"))
            previous = position
        chunks.append(html[previous:].encode("utf-8"))
        return cls(page_id, tuple(chunks), tuple(kind for _, kind in cuts))

    def copy(self, page_number: int, copy_number: int) -> bytes:
        """This page with ``page_number`` in a comment, its title and its text."""
        mark = f"bench page {page_number:05d}"
        texts = {
            "comment": f"\n<!-- {mark}: copy {copy_number} of {self.page_id} -->\n".encode(),
            "title": f" ({mark})".encode(),
            "text": f" ({mark})".encode(),
        }
        parts = [self.chunks[0]]
        for kind, chunk in zip(self.marks, self.chunks[1:], strict=True):
            parts += [texts[kind], chunk]
        return b"".join(parts)


def load_corpus(corpus_dir: Path) -> list[SourcePage]:
    """The pages of ``corpus_dir/html/<id>.html.gz`` (UTF-8), in a stable order.

    ``ground-truth.json``, when there, gives each page's article text: the mark goes in it.
    """
    paths = sorted((corpus_dir / "html").glob("*.html.gz"))
    if not paths:
        raise FileNotFoundError(f"no html/*.html.gz pages in {corpus_dir}")
    truth_path = corpus_dir / "ground-truth.json"
    truth = json.loads(truth_path.read_text(encoding="utf-8")) if truth_path.exists() else {}
    pages = []
    for path in paths:
        page_id = path.name.removesuffix(".html.gz")
        html = gzip.decompress(path.read_bytes()).decode("utf-8")
        pages.append(SourcePage.from_html(page_id, html, truth.get(page_id, {}).get("articleBody")))
    return pages


class BenchSite:
    """``pages`` distinct article pages at ``/news/<number>-<source id>.html``, and a robots.txt."""

    def __init__(self, sources: Sequence[SourcePage], pages: int):
        if pages < 1:
            raise ValueError("a site needs at least one page")
        self.sources = list(sources)
        self.pages = pages
        self._numbers = {self.path(number): number for number in range(pages)}

    @classmethod
    def from_corpus(cls, corpus_dir: Path, pages: int) -> BenchSite:
        return cls(load_corpus(corpus_dir), pages)

    def source(self, number: int) -> SourcePage:
        return self.sources[number % len(self.sources)]

    def path(self, number: int) -> str:
        return f"/news/{number:05d}-{self.source(number).page_id[:16]}.html"

    def paths(self) -> list[str]:
        return [self.path(number) for number in range(self.pages)]

    def urls(self, base_url: str) -> list[str]:
        return [base_url.rstrip("/") + path for path in self.paths()]

    def page(self, number: int) -> bytes:
        return self.source(number).copy(number, number // len(self.sources))

    def body(self, path: str) -> bytes | None:
        """The bytes served at ``path`` (query string ignored), or None: 404."""
        path = path.split("?", 1)[0]
        if path == "/robots.txt":
            return ROBOTS_TXT
        number = self._numbers.get(path)
        return None if number is None else self.page(number)

    def write(self, directory: Path, base_url: str = "http://127.0.0.1:8000") -> None:
        """Write the site as files (with ``urls.txt`` for ``base_url``), for a look or another server."""
        (directory / "news").mkdir(parents=True, exist_ok=True)
        (directory / "robots.txt").write_bytes(ROBOTS_TXT)
        for number in range(self.pages):
            (directory / self.path(number).lstrip("/")).write_bytes(self.page(number))
        (directory / "urls.txt").write_text("\n".join(self.urls(base_url)) + "\n", encoding="utf-8")


class _PageHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive; each response goes out in one write (no Nagle stalls)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: BenchSiteServer

    def do_GET(self) -> None:
        self._respond(with_body=True)

    def do_HEAD(self) -> None:
        self._respond(with_body=False)

    def _respond(self, *, with_body: bool) -> None:
        self.server.count_request()
        body = self.server.site.body(self.path)
        if self.path == STATS_PATH:
            status, content_type, body = "200 OK", "application/json", json.dumps(self.server.counts()).encode()
        elif body is None:
            status, content_type, body = "404 Not Found", "text/plain; charset=utf-8", b"not found\n"
        elif self.path.startswith("/robots.txt"):
            status, content_type = "200 OK", "text/plain; charset=utf-8"
        else:
            status, content_type = "200 OK", "text/html; charset=utf-8"
        head = (
            f"HTTP/1.1 {status}\r\nServer: bench-site\r\nDate: {self.date_time_string()}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode("latin-1")
        self.wfile.write(head + body if with_body else head)

    def log_message(self, format: str, *args: object) -> None:
        pass  # a line a request would cost more than the response


class BenchSiteServer(ThreadingHTTPServer):
    """A threading HTTP server for a :class:`BenchSite` on 127.0.0.1."""

    daemon_threads = True
    request_queue_size = 256  # a crawl opens many connections at once; the default 5 drops SYNs

    def __init__(self, site: BenchSite, port: int = 0, host: str = "127.0.0.1"):
        self.site = site
        self.connections = 0
        self.requests = 0
        self._count_lock = threading.Lock()
        super().__init__((host, port), _PageHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._count_lock:
            self.connections += 1
        super().process_request(request, client_address)

    def count_request(self) -> None:
        with self._count_lock:
            self.requests += 1

    def counts(self) -> dict[str, int]:
        """Connections accepted and requests answered so far (keep-alive shows as fewer connections)."""
        with self._count_lock:
            return {"connections": self.connections, "requests": self.requests}

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.site", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the site on 127.0.0.1 until SIGTERM/SIGINT")
    build = commands.add_parser("build", help="write the site as files")
    for command in (serve, build):
        command.add_argument("--pages", type=int, default=1000, help="number of distinct pages (default 1000)")
        command.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder with html/<id>.html.gz")
    serve.add_argument("--port", type=int, default=0, help="TCP port (default: any free one)")
    build.add_argument("--out", type=Path, required=True, help="folder to write the site into")
    build.add_argument("--base-url", default="http://127.0.0.1:8000", help="base URL written in urls.txt")
    args = parser.parse_args(argv)

    site = BenchSite.from_corpus(args.corpus, args.pages)
    if args.command == "build":
        site.write(args.out, args.base_url)
        print(f"wrote {site.pages} pages to {args.out}")
        return 0

    server = BenchSiteServer(site, args.port)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"serving {server.base_url}", flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
