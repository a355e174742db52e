"""A threaded HTTP/1.1 test server for one variant of the sample site, bound to 127.0.0.1.

It writes every status line and header itself, so tests know exactly what is on the wire:

* files (``/dir/`` -> ``dir/index.html``; ``/dir`` -> 301 to ``/dir/``), content type by
  extension; ``{base}`` in text files is replaced by the server's base URL;
* gzip for HTML when the request accepts it (``Content-Encoding: gzip``, ``Vary``);
* ``Transfer-Encoding: chunked`` (several chunks, no Content-Length) under the chunked
  prefixes of ``_server.json`` (the News Front article pages) and for any ``?chunked=1``;
* ``/latest/`` -> 301 to the newest article, ``/old/...`` -> 302 to ``/``;
* 404 with a small HTML body; ``/private/`` is served (robots.txt disallows it);
* two ``Set-Cookie`` headers on every HTML response; ``/teapot`` -> ``418 I'm a teapot``;
* ``/search?q=...&page=N``, ``/slow/`` (0.5 s), ``/status/<code>``, ``/flaky/...`` (503 with
  ``Retry-After: 1`` the first time a path is asked for, 200 afterwards);
* an in-memory log of requests (``SampleSite.requests``).

Run ``python -m sample_site.server [--variant contained] [--port N]`` to serve until killed.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import math
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from sample_site import DEFAULT_SITE_DIR, VARIANTS

__all__ = ["ENDPOINTS", "RequestRecord", "SampleSite", "content_type_for", "main"]

SERVER_NAME = "SampleSite/1.0"
COOKIES = ("a=1; Path=/", "b=2; Path=/")
CHUNKS = 4
SLOW_SECONDS = 0.5
SEARCH_PAGE_SIZE = 2
NO_BODY_STATUSES = (204, 304)
TYPES = {
    "html": "text/html; charset=utf-8",
    "xml": "application/xml",
    "txt": "text/plain; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "pdf": "application/pdf",
    "png": "image/png",
}
NAMED_TYPES = {"feed.xml": "application/rss+xml", "atom.xml": "application/atom+xml"}
TEXT_TYPES = ("text/", "application/xml", "application/rss+xml", "application/atom+xml")
ENDPOINTS = {
    "/latest/": "301 Moved Permanently to the newest article",
    "/old/<anything>": "302 Found to /",
    "/<directory>": "301 Moved Permanently to /<directory>/",
    "/teapot": "418 I'm a teapot, with X-Teapot: short and stout",
    "/search?q=<text>&page=<n>": "search results, 2 per page, q echoed (HTML-escaped)",
    "/slow/<anything>": "200 after 0.5 s",
    "/status/<code>": "that status (200-599); 429 and 503 with Retry-After: 1",
    "/flaky/<anything>": "503 with Retry-After: 1 the first time a path is asked for, then 200",
    "<any path>?chunked=1": "the same response with Transfer-Encoding: chunked",
    "<missing path>": "404 Not Found with a small HTML body",
}


class RequestRecord(NamedTuple):
    """One request as it arrived: method, request target (path and query), headers."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Response:
    """A response before framing: the handler adds Date, cookies, gzip and the framing."""

    status: int
    reason: str
    body: bytes = b""
    content_type: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    is_html: bool = False
    chunked: bool = False


class _State:
    """What the handlers share: the site root and config, the request log, counters."""

    def __init__(self, root: Path, log: Callable[[str], None] | None) -> None:
        self.root = root
        self.base = ""
        config_file = root / "_server.json"
        self.config: dict[str, Any] = json.loads(config_file.read_text("utf-8")) if config_file.is_file() else {}
        self.log = log
        self.lock = threading.Lock()
        self.requests: list[RequestRecord] = []
        self.flaky_hits: dict[str, int] = {}

    def record(self, method: str, target: str, headers: dict[str, str]) -> None:
        with self.lock:
            self.requests.append(RequestRecord(method, target, headers))

    def flaky_count(self, path: str) -> int:
        """How many times ``path`` was asked for before this request."""
        with self.lock:
            count = self.flaky_hits.get(path, 0)
            self.flaky_hits[path] = count + 1
            return count


# --- responses ---------------------------------------------------------------------------


def _html_doc(title: str, body: str, status: int = 200, reason: str = "OK") -> Response:
    doc = (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
        f"</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
    return Response(status, reason, doc.encode("utf-8"), TYPES["html"], is_html=True)


def not_found(path: str) -> Response:
    body = f"<h1>Not Found</h1>\n<p>The requested URL {html.escape(path)} was not found on this server.</p>"
    return _html_doc("404 Not Found", body, 404, "Not Found")


def redirect(status: int, location: str) -> Response:
    reason = HTTPStatus(status).phrase
    body = f'<h1>{reason}</h1>\n<p>The document has moved <a href="{html.escape(location)}">here</a>.</p>'
    response = _html_doc(f"{status} {reason}", body, status, reason)
    response.headers.append(("Location", location))
    return response


def teapot() -> Response:
    return Response(
        418, "I'm a teapot", b"I'm a teapot\n", "text/plain; charset=utf-8", [("X-Teapot", "short and stout")]
    )


def status_page(code_text: str, base: str) -> Response:
    """``/status/<code>``: that status with its standard reason phrase (200-599)."""
    if not code_text.isdigit() or not 200 <= int(code_text) <= 599:
        return not_found(f"/status/{code_text}")
    code = int(code_text)
    try:
        reason = HTTPStatus(code).phrase
    except ValueError:
        reason = "Unknown Status"
    headers = [("Retry-After", "1")] if code in (429, 503) else []
    if code in (301, 302, 303, 307, 308):
        headers.append(("Location", f"{base}/"))
    body = b"" if code in NO_BODY_STATUSES else f"{code} {reason}\n".encode("ascii")
    return Response(code, reason, body, "" if not body else "text/plain; charset=utf-8", headers)


def flaky(state: _State, path: str) -> Response:
    """503 with Retry-After the first time ``path`` is requested, 200 afterwards."""
    if state.flaky_count(path) == 0:
        response = status_page("503", state.base)
        response.body = b"Temporarily unavailable, retry in 1 second\n"
        return response
    return _html_doc("Recovered", f"<h1>Recovered</h1>\n<p>{html.escape(path)} answers now.</p>")


def slow(path: str) -> Response:
    time.sleep(SLOW_SECONDS)
    return _html_doc("Slow page", f"<h1>Slow page</h1>\n<p>{html.escape(path)} took {SLOW_SECONDS} s.</p>")


def _page_number(query: dict[str, list[str]]) -> int:
    value = query.get("page", ["1"])[0]
    return max(1, int(value)) if value.isdigit() else 1


def _search_link(q: str, page: int, label: str, rel: str) -> str:
    return f'<a rel="{rel}" href="/search?{html.escape(urlencode({"q": q, "page": page}))}">{label}</a>'


def search(state: _State, query: dict[str, list[str]]) -> Response:
    """Search titles and paragraphs; two results a page; the query is echoed in the page."""
    q = query.get("q", [""])[0].strip()
    page = _page_number(query)
    needle = q.casefold()
    hits = [e for e in state.config.get("search", []) if needle and needle in f"{e['title']} {e['text']}".casefold()]
    pages = max(1, math.ceil(len(hits) / SEARCH_PAGE_SIZE))
    shown = hits[(page - 1) * SEARCH_PAGE_SIZE : page * SEARCH_PAGE_SIZE]
    items = "\n".join(
        f'<li><a href="{e["path"]}">{html.escape(e["title"])}</a><p>{html.escape(e["teaser"])}</p></li>' for e in shown
    )
    nav = []
    if page > 1:
        nav.append(_search_link(q, page - 1, "Previous", "prev"))
    if page < pages:
        nav.append(_search_link(q, page + 1, "Next", "next"))
    body = (
        f'<h1>Search results for “<span class="query">{html.escape(q)}</span>”</h1>\n'
        f'<p class="summary">Page {page} of {pages} ({len(hits)} results)</p>\n'
        f'<ol start="{(page - 1) * SEARCH_PAGE_SIZE + 1}">\n{items}\n</ol>\n<nav>{" ".join(nav)}</nav>'
    )
    return _html_doc(f"Search: {q} - page {page} - Sample News", body)


def _safe_relative(path: str) -> str | None:
    """Decoded relative file path for a URL path; None for traversal or hidden names."""
    decoded = unquote(path)
    if "\x00" in decoded or "\\" in decoded:
        return None
    segments = [s for s in decoded.split("/") if s]
    if any(s in (".", "..") or s.startswith(("_", ".")) for s in segments):
        return None
    return "/".join(segments)


def content_type_for(rel: str, overrides: dict[str, str]) -> str:
    """Content-Type of the file at ``rel`` (relative to the variant root)."""
    if rel in overrides:
        return overrides[rel]
    name = rel.rsplit("/", 1)[-1]
    return NAMED_TYPES.get(name) or TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")


def static(state: _State, path: str, query: str) -> Response:
    rel = _safe_relative(path)
    if rel is None:
        return not_found(path)
    target = state.root / rel
    if target.is_dir():
        if not path.endswith("/"):
            return redirect(301, f"{state.base}{path}/" + (f"?{query}" if query else ""))
        rel, target = f"{rel}/index.html".lstrip("/"), target / "index.html"
    if not target.is_file():
        return not_found(path)
    content_type = content_type_for(rel, state.config.get("content_types", {}))
    data = target.read_bytes()
    if content_type.startswith(TEXT_TYPES):
        data = data.replace(b"{base}", state.base.encode("ascii"))
    return Response(200, "OK", data, content_type, is_html=content_type.startswith("text/html"))


def route(state: _State, target: str) -> Response:
    """The response for one GET/HEAD request target (before gzip and framing)."""
    parts = urlsplit(target)
    path, query = parts.path or "/", parse_qs(parts.query)
    if path == "/teapot":
        response = teapot()
    elif path in ("/latest", "/latest/"):
        response = redirect(301, state.base + state.config.get("latest", "/"))
    elif path.startswith("/old/"):
        response = redirect(302, f"{state.base}/")
    elif path.startswith("/status/"):
        response = status_page(path.removeprefix("/status/").strip("/"), state.base)
    elif path.startswith("/flaky/"):
        response = flaky(state, path)
    elif path == "/slow" or path.startswith("/slow/"):
        response = slow(path)
    elif path == "/search":
        response = search(state, query)
    else:
        response = static(state, path, parts.query)
    prefixes = tuple(state.config.get("chunked_prefixes", ()))
    response.chunked = path.startswith(prefixes) or query.get("chunked") == ["1"]
    return response


def accepts_gzip(header: str) -> bool:
    """True if an Accept-Encoding value allows gzip (``gzip`` or ``*``, q not 0)."""
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip().removeprefix("q=").strip()
            return not params.strip().startswith("q=") or _q_value(q) > 0
    return False


def _q_value(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 1.0


def chunk_frames(body: bytes, count: int = CHUNKS) -> list[bytes]:
    """The body as ``count`` chunk frames (fewer for tiny bodies) plus the last-chunk frame."""
    size = max(1, math.ceil(len(body) / count))
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return [b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces] + [b"0\r\n\r\n"]


# --- the server ----------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = SERVER_NAME
    timeout = 30  # idle keep-alive connections are closed after this many seconds
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Each write (status+headers, every chunk) leaves as its own segment, without Nagle delays.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length", "0")
        self.rfile.read(int(length) if length.isdigit() else 0)  # keep the connection framed
        self._record()
        response = Response(405, "Method Not Allowed", b"GET and HEAD only\n", "text/plain; charset=utf-8")
        response.headers.append(("Allow", "GET, HEAD"))
        self._send(response, head=False)

    do_PUT = do_POST
    do_DELETE = do_POST

    def _record(self) -> None:
        self.server.state.record(self.command, self.path, dict(self.headers.items()))

    def _serve(self, head: bool) -> None:
        self._record()
        try:
            response = route(self.server.state, self.path)
        except Exception as error:  # a bug in a route must still give a framed answer
            response = Response(500, "Internal Server Error", f"{error!r}\n".encode(), "text/plain; charset=utf-8")
        self._send(response, head)

    def _head_lines(self, response: Response, body: bytes, chunked: bool) -> list[str]:
        lines = [
            f"HTTP/1.1 {response.status} {response.reason}",
            f"Server: {SERVER_NAME}",
            f"Date: {formatdate(usegmt=True)}",
        ]
        if response.content_type:
            lines.append(f"Content-Type: {response.content_type}")
        lines += [f"{name}: {value}" for name, value in response.headers]
        if response.is_html:
            lines.append("Vary: Accept-Encoding")
            lines += [f"Set-Cookie: {cookie}" for cookie in COOKIES]
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        elif response.status not in NO_BODY_STATUSES:
            lines.append(f"Content-Length: {len(body)}")
        if self.close_connection:
            lines.append("Connection: close")
        return lines

    def _send(self, response: Response, head: bool) -> None:
        body = response.body
        if response.is_html and body and accepts_gzip(self.headers.get("Accept-Encoding", "")):
            body = gzip.compress(body, mtime=0)
            response.headers.append(("Content-Encoding", "gzip"))
        chunked = response.chunked and self.request_version != "HTTP/1.0"
        chunked = chunked and response.status not in NO_BODY_STATUSES
        head_bytes = ("\r\n".join(self._head_lines(response, body, chunked)) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head_bytes)
            if not head and response.status not in NO_BODY_STATUSES:
                for frame in chunk_frames(body) if chunked else [body]:
                    self.wfile.write(frame)
            self.wfile.flush()
        except OSError:
            self.close_connection = True
        log = self.server.state.log
        if log is not None:
            log(f"{self.command} {self.path} -> {response.status} {response.reason}")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is kept in memory instead."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: _State) -> None:
        self.state = state
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        request, address = super().get_request()
        with self.sockets_lock:
            self.open_sockets.add(request)
        return request, address

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def close_open_sockets(self) -> None:
        """End idle keep-alive connections, so stop() does not leave them behind."""
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class SampleSite:
    """Serve one variant directory on 127.0.0.1; ``start()`` returns the base URL.

    Use as ``with SampleSite(root) as site: urlopen(site.url("/"))``.
    """

    def __init__(self, root: Path | str, port: int = 0, log: Callable[[str], None] | None = None) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"no site at {self.root}: run python -m sample_site.build")
        self.port = port
        self._state = _State(self.root, log)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if not self._state.base:
            raise RuntimeError("SampleSite is not started")
        return self._state.base

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    @property
    def requests(self) -> list[RequestRecord]:
        """Requests received so far, in arrival order (a copy)."""
        with self._state.lock:
            return list(self._state.requests)

    def requested_paths(self) -> list[str]:
        return [record.path for record in self.requests]

    def clear_requests(self) -> None:
        with self._state.lock:
            self._state.requests.clear()
            self._state.flaky_hits.clear()

    def start(self) -> str:
        if self._server is not None:
            return self.base_url
        self._server = _Server(("127.0.0.1", self.port), self._state)
        self._state.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="sample-site", daemon=True
        )
        self._thread.start()
        return self._state.base

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_open_sockets()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> SampleSite:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the sample news site on 127.0.0.1.")
    parser.add_argument("--variant", choices=VARIANTS, default="contained")
    parser.add_argument("--root", type=Path, help="serve this directory instead of a built variant")
    parser.add_argument("--port", type=int, default=0, help="0 = an ephemeral port (default)")
    parser.add_argument("--quiet", action="store_true", help="do not log requests to stderr")
    args = parser.parse_args(argv)
    log = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    site = SampleSite(args.root or DEFAULT_SITE_DIR / args.variant, args.port, log)
    stopped = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, on_signal)
    print(site.start(), flush=True)
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
