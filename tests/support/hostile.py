"""A hostile web server on 127.0.0.1: odd, malformed and abusive HTTP responses, bounded.

Each kind of response lives at ``/h/<kind>`` (any query string), written byte by byte
like :mod:`tests.support.rawsite`, with what the server does after it (keep the connection,
close it, reset it, stall). The server logs every request and whether the head of its
response went out whole, so a test or ``make bench-hostile`` can check that every
exchange whose head arrived reached the WARC. Bombs are real but sized by the caller.
Not a general web server: one request at a time per connection, no pipelining.
"""

from __future__ import annotations

import gzip
import random
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.support.rawsite import ARTICLE_HTML, ARTICLE_PARAGRAPHS

__all__ = ["KINDS", "HostileServer", "Kind", "SentResponse"]

CRLF = b"\r\n"


def _length(head: bytes, body: bytes) -> bytes:
    return head + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body


def _chunked(body: bytes, size: int = 1000) -> bytes:
    out = b"".join(b"%x\r\n" % len(body[i:i + size]) + body[i:i + size] + CRLF for i in range(0, len(body), size))
    return out + b"0\r\n\r\n"


HTML = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8"

#: An article in Russian, sent as windows-1251 while its head and meta say UTF-8.
RUSSIAN_PARAGRAPHS = [
    "Администрация порта сообщила в понедельник, что новый контейнерный терминал откроется весной, "
    "на два года позже, чем планировалось, после того как спор о разрешениях на дноуглубление был решён в суде.",  # noqa: RUF001 (Russian)
    "Чиновники сообщили журналистам, что задержка стоила порту нескольких контрактов с судоходными линиями, "  # noqa: RUF001 (Russian)
    "которые перенесли свои маршруты к конкурирующим терминалам дальше по побережью во время строительства.",
    "Местные рыбаки, которые с самого начала выступали против дноуглубления, заявили, что будут следить "  # noqa: RUF001 (Russian)
    "за качеством воды в заливе и снова обратятся в суд, если согласованные ограничения не будут соблюдаться.",
]
RUSSIAN_HTML = (
    '<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Терминал откроется весной</title>'
    '<meta property="og:type" content="article"></head><body><article><h1>Терминал откроется весной</h1>'
    + "".join(f"<p>{p}</p>" for p in RUSSIAN_PARAGRAPHS) + "</article></body></html>"
).encode("cp1251")


def gzip_bomb(inflated: int, wbits: int = 31) -> bytes:
    """A gzip member of ``inflated`` zero bytes (about a thousandth of that on the wire);
    ``wbits=15``: a zlib stream, as ``Content-Encoding: deflate`` sends it."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1 << 20)
    parts, left = [], inflated
    while left > 0:
        parts.append(compressor.compress(block[: min(left, len(block))]))
        left -= len(block)
    parts.append(compressor.flush())
    return b"".join(parts)


def sitemap_bomb(inflated: int) -> bytes:
    """A .xml.gz sitemap whose first URL is followed by ``inflated`` bytes of blank space."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [compressor.compress(b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                 b"<url><loc>/h/ok</loc></url>")]
    block = b" " * (1 << 20)
    for _ in range(max(1, inflated >> 20)):
        parts.append(compressor.compress(block))
    parts.append(compressor.compress(b"</urlset>"))
    parts.append(compressor.flush())
    return b"".join(parts)


@dataclass(frozen=True)
class Kind:
    """One kind of response: its bytes (made from the server's sizes), what follows them,
    and whether a whole head goes out (an archiver must then keep the exchange)."""

    name: str
    make: Callable[[HostileServer], bytes]
    after: str = "keep"  # keep | close | reset | stall (hold the connection open, silent)
    head: bool = True  # a whole response head is sent
    before: float = 0.0  # seconds of silence before answering


def _kinds() -> dict[str, Kind]:
    article_chunked = HTML + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + _chunked(ARTICLE_HTML)
    kinds = [
        # -- well-formed, for contrast
        Kind("ok", lambda s: _length(HTML, ARTICLE_HTML)),
        Kind("chunked", lambda s: article_chunked),
        Kind("gzip", lambda s: _length(HTML + b"\r\nContent-Encoding: gzip", gzip.compress(ARTICLE_HTML, mtime=0))),
        Kind("http10-close", lambda s: b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + ARTICLE_HTML,
             after="close"),
        Kind("not-found", lambda s: _length(b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html", b"<p>gone</p>")),
        Kind("no-content-body", lambda s: b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nextra", after="close"),
        # -- odd status lines and heads of complete responses
        Kind("status-letters", lambda s: _length(b"HTTP/1.1 abc Weird\r\nContent-Type: text/html", ARTICLE_HTML)),
        Kind("status-empty", lambda s: _length(b"HTTP/1.1 \r\nContent-Type: text/html", ARTICLE_HTML)),
        Kind("status-999", lambda s: _length(b"HTTP/1.1 999 Made Up\r\nContent-Type: text/html", ARTICLE_HTML)),
        Kind("status-no-phrase", lambda s: _length(b"HTTP/1.1 200\r\nContent-Type: text/html", ARTICLE_HTML)),
        Kind("http2-version", lambda s: _length(b"HTTP/2 200 OK\r\nContent-Type: text/html", ARTICLE_HTML)),
        Kind("http09-version", lambda s: _length(b"HTTP/0.9 200 OK\r\nContent-Type: text/html", ARTICLE_HTML)),
        Kind("icy-version", lambda s: _length(b"ICY 200 OK\r\nContent-Type: text/html", ARTICLE_HTML)),
        Kind("long-status", lambda s: _length(b"HTTP/1.1 200 " + b"O" * 100_000 + b"\r\nContent-Type: text/html",
                                              ARTICLE_HTML)),
        Kind("long-header", lambda s: _length(HTML + b"\r\nX-Long: " + b"v" * 100_000, ARTICLE_HTML)),
        Kind("many-headers", lambda s: _length(HTML + b"".join(b"\r\nX-H%d: %d" % (i, i) for i in range(5000)),
                                               ARTICLE_HTML)),
        Kind("length-negative", lambda s: HTML + b"\r\nContent-Length: -1\r\n\r\n" + ARTICLE_HTML, after="close"),
        Kind("length-letters", lambda s: HTML + b"\r\nContent-Length: abc\r\n\r\n" + ARTICLE_HTML, after="close"),
        Kind("length-conflict", lambda s: HTML + b"\r\nContent-Length: %d\r\nContent-Length: 10\r\n\r\n"
             % len(ARTICLE_HTML) + ARTICLE_HTML, after="close"),
        Kind("length-list", lambda s: HTML + b"\r\nContent-Length: %d, %d\r\n\r\n" % (len(ARTICLE_HTML),
             len(ARTICLE_HTML)) + ARTICLE_HTML, after="close"),
        Kind("length-short", lambda s: HTML + b"\r\nContent-Length: 100\r\n\r\n" + ARTICLE_HTML, after="close"),
        Kind("length-and-chunked", lambda s: HTML + b"\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n"
             + _chunked(ARTICLE_HTML), after="close"),
        Kind("space-before-colon", lambda s: _length(b"HTTP/1.1 200 OK\r\nContent-Type : text/html", ARTICLE_HTML)),
        Kind("nul-in-name", lambda s: _length(HTML + b"\r\nX-Bad\x00Name: 1", ARTICLE_HTML)),
        Kind("nul-in-value", lambda s: _length(HTML + b"\r\nX-Bad: a\x00b", ARTICLE_HTML)),
        Kind("no-colon-line", lambda s: _length(HTML + b"\r\nthis line has no colon", ARTICLE_HTML)),
        Kind("folded-header", lambda s: _length(HTML + b"\r\nX-Folded: one\r\n  two", ARTICLE_HTML)),
        Kind("bare-lf", lambda s: b"HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Length: %d\n\n"
             % len(ARTICLE_HTML) + ARTICLE_HTML),
        Kind("latin1-header", lambda s: _length(HTML + b"\r\nX-Name: caf\xe9", ARTICLE_HTML)),
        Kind("unknown-coding", lambda s: _length(HTML + b"\r\nContent-Encoding: x-unknown", ARTICLE_HTML)),
        Kind("bad-gzip", lambda s: _length(HTML + b"\r\nContent-Encoding: gzip", b"\x1f\x8b\x08\x00garbage")),
        Kind("chunk-size-letters", lambda s: HTML + b"\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
             after="close"),
        Kind("chunk-trailer", lambda s: HTML + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
             + _chunked(ARTICLE_HTML)[:-2] + b"X-Trailer: 1\r\n\r\n"),
        # -- interim responses
        Kind("continue", lambda s: b"HTTP/1.1 100 Continue\r\n\r\n" + _length(HTML, ARTICLE_HTML)),
        Kind("early-hints", lambda s: b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
             + _length(HTML, ARTICLE_HTML)),
        Kind("two-interims", lambda s: b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
             + _length(HTML, ARTICLE_HTML)),
        # -- cut, reset, silent
        Kind("cut-body", lambda s: _length(HTML, ARTICLE_HTML)[:-500], after="close"),
        Kind("reset-body", lambda s: _length(HTML, ARTICLE_HTML)[:-500], after="reset"),
        Kind("stall-body", lambda s: _length(HTML, ARTICLE_HTML)[:-500], after="stall"),
        Kind("cut-head", lambda s: b"HTTP/1.1 200 OK\r\nContent-Type: text/ht", after="close", head=False),
        Kind("reset-at-once", lambda s: b"", after="reset", head=False),
        Kind("close-at-once", lambda s: b"", after="close", head=False),
        Kind("stall-at-once", lambda s: b"", after="stall", head=False),
        Kind("garbage", lambda s: b"\x00\xff garbage, not HTTP\r\n\r\n", after="close", head=False),
        Kind("headless-html", lambda s: ARTICLE_HTML, after="close", head=False),
        # -- abuse: bombs, huge pages, cookies
        Kind("gzip-bomb", lambda s: _length(HTML + b"\r\nContent-Encoding: gzip", s.gzip_bomb)),
        Kind("deflate-bomb", lambda s: _length(HTML + b"\r\nContent-Encoding: deflate", s.deflate_bomb)),
        Kind("sitemap-bomb", lambda s: _length(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-gzip", s.sitemap_bomb)),
        Kind("huge-page", lambda s: HTML + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + _chunked(s.huge_page, 65536)),
        Kind("cookie-bomb", lambda s: HTML + b"".join(b"\r\nSet-Cookie: c%d=%s; Path=/" % (i, b"x" * 40)
                                                      for i in range(s.cookies)) + b"\r\nContent-Length: %d\r\n\r\n"
             % len(ARTICLE_HTML) + ARTICLE_HTML),
        Kind("big-cookie", lambda s: _length(HTML + b"\r\nSet-Cookie: big=" + b"y" * 60_000 + b"; Path=/",
                                             ARTICLE_HTML)),
        # -- text that lies about itself
        Kind("cp1251-as-utf8", lambda s: _length(HTML, RUSSIAN_HTML)),
        Kind("charset-bogus", lambda s: _length(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=x-bogus",
                                                ARTICLE_HTML)),
        # -- where it sends the crawler
        Kind("redirect-loopback", lambda s: b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.2:%d/h/ok\r\n"
             b"Content-Length: 0\r\n\r\n" % s.port),
        Kind("redirect-metadata", lambda s: b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/"
             b"meta-data/\r\nContent-Length: 0\r\n\r\n"),
        Kind("redirect-ten", lambda s: b"HTTP/1.1 301 Moved\r\nLocation: http://10.0.0.1/\r\n"
             b"Content-Length: 0\r\n\r\n"),
        Kind("redirect-decimal", lambda s: b"HTTP/1.1 302 Found\r\nLocation: http://2130706433:%d/h/ok\r\n"
             b"Content-Length: 0\r\n\r\n" % s.port),
        Kind("redirect-mapped", lambda s: b"HTTP/1.1 302 Found\r\nLocation: http://[::ffff:127.0.0.2]:%d/h/ok\r\n"
             b"Content-Length: 0\r\n\r\n" % s.port),
        Kind("redirect-loop", lambda s: b"HTTP/1.1 302 Found\r\nLocation: /h/redirect-loop?again\r\n"
             b"Content-Length: 0\r\n\r\n"),
        Kind("private-requisites", lambda s: _length(HTML, ARTICLE_HTML.replace(
            b"</article>", b'<img src="http://169.254.169.254/latest/meta-data/x.png">'
            b'<img src="http://127.0.0.2:%d/h/ok">'
            b'<script src="http://10.1.2.3/x.js"></script></article>' % s.port))),
        Kind("requisites-elsewhere", lambda s: _length(HTML, ARTICLE_HTML.replace(
            b"</article>", b'<img src="%s/h/ok?img">' % s.elsewhere.encode() + b"</article>"))),
        Kind("retry-503", lambda s: _length(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0", b"busy")),
    ]
    return {kind.name: kind for kind in kinds}


#: Every kind of response the server knows, by name (``/h/<name>``).
KINDS: dict[str, Kind] = _kinds()

ROBOTS_OK = _length(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain", b"User-agent: *\nDisallow: /private/\n")

#: What ``/robots.txt`` does, by the server's ``robots`` setting.
ROBOTS: dict[str, Kind] = {
    "ok": Kind("robots-ok", lambda s: ROBOTS_OK),
    "missing": Kind("robots-404", lambda s: _length(b"HTTP/1.1 404 Not Found", b"")),
    "503": Kind("robots-503", lambda s: _length(b"HTTP/1.1 503 Service Unavailable", b"down")),
    "500": Kind("robots-500", lambda s: _length(b"HTTP/1.1 500 Internal Server Error", b"broken")),
    "reset": Kind("robots-reset", lambda s: b"", after="reset", head=False),
    "timeout": Kind("robots-timeout", lambda s: b"", after="stall", head=False),
}


@dataclass
class SentResponse:
    """One request the server answered: its path, the kind served, whether a whole head went out."""

    path: str
    kind: str
    head: bool
    at: float  # time.monotonic() of the request's arrival


@dataclass
class HostileServer:
    """Serves :data:`KINDS` at ``/h/<kind>`` on 127.0.0.1 and logs each request.

    ``robots`` picks what ``/robots.txt`` does (:data:`ROBOTS`; after ``robots_heal``
    requests for it, it answers ``ok``). ``/sleep`` answers after ``sleep`` seconds and
    counts the requests in progress (``/sleep/<kind>``: then answers as that kind), or at
    once after :meth:`wake_sleepers`. Anything
    else is a 404. Bombs and huge pages are
    built once, at the sizes given, when first asked for.
    """

    robots: str = "ok"
    robots_heal: int = 0  # requests for robots.txt answered badly before it answers ok (0: never heals)
    bomb_size: int = 64 << 20  # bytes a bomb inflates to
    huge_page_size: int = 8 << 20  # bytes of the huge page
    cookies: int = 10_000  # Set-Cookie lines of the cookie bomb
    stall: float = 5.0  # seconds a stalled connection is held
    sleep: float = 1.0  # seconds /sleep takes
    max_connections: int = 512  # connections served at once; more wait in the backlog
    host: str = "127.0.0.1"
    elsewhere: str = ""  # base URL the requisites-elsewhere page takes its image from
    log: list[SentResponse] = field(default_factory=list)
    request_heads: list[bytes] = field(default_factory=list)
    in_progress: int = 0
    max_in_progress: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._cache: dict[str, bytes] = {}
        self._slots = threading.BoundedSemaphore(self.max_connections)
        self._stop = threading.Event()
        self._awake = threading.Event()  # set: /sleep answers at once (set by stop() too)
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- sizes made on first use, once (concurrent first requests wait for the one build) --
    def _built(self, name: str, build: Callable[[], bytes]) -> bytes:
        with self._build_lock:
            if name not in self._cache:
                self._cache[name] = build()
            return self._cache[name]

    @property
    def gzip_bomb(self) -> bytes:
        return self._built("gzip", lambda: gzip_bomb(self.bomb_size))

    @property
    def deflate_bomb(self) -> bytes:
        return self._built("deflate", lambda: gzip_bomb(self.bomb_size, wbits=15))

    @property
    def sitemap_bomb(self) -> bytes:
        return self._built("sitemap", lambda: sitemap_bomb(self.bomb_size))

    @property
    def huge_page(self) -> bytes:
        return self._built("huge", self._make_huge_page)

    def _make_huge_page(self) -> bytes:
        vocabulary = " ".join(ARTICLE_PARAGRAPHS).split()
        rng = random.Random(16)
        body = []
        size = 0
        while size < self.huge_page_size:
            words = " ".join(rng.choices(vocabulary, k=200))
            piece = f"<div><p>{words}</p><p><a href='/h/ok?{size}'>more</a></p></div>"
            body.append(piece)
            size += len(piece)
        return ("<html><head><title>Huge</title></head><body><article>" + "".join(body)
                + "</article></body></html>").encode()

    # -- life -----------------------------------------------------------------------------
    def start(self) -> str:
        self._sock = socket.create_server((self.host, self.port), backlog=1024)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="hostile-accept", daemon=True)
        self._thread.start()
        return f"http://{self.host}:{self.port}"

    def wake_sleepers(self) -> None:
        """``/sleep`` answers at once from now on, the requests sleeping now included: a test
        holds a crawl's downloads in flight for as long as it needs, then lets it end."""
        self._awake.set()

    def stop(self) -> None:
        self._stop.set()
        self._awake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> HostileServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def paths(self) -> list[str]:
        with self._lock:
            return [sent.path for sent in self.log]

    # -- serving --------------------------------------------------------------------------
    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            if not self._slots.acquire(timeout=0.2):
                continue
            try:
                conn, _ = self._sock.accept()
            except OSError:
                self._slots.release()
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _kind_for(self, path: str) -> Kind | None:
        if path.split("?", 1)[0] == "/robots.txt":
            with self._lock:
                asked = sum(1 for sent in self.log if sent.path == "/robots.txt")
            if self.robots_heal and asked >= self.robots_heal:
                return ROBOTS["ok"]
            return ROBOTS[self.robots]
        name = path.split("?", 1)[0].removeprefix("/h/")
        return KINDS.get(name) if path.startswith("/h/") else None

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(self.stall + 5)
        buffer = b""
        try:
            with conn:
                while not self._stop.is_set():
                    while b"\r\n\r\n" not in buffer:
                        data = conn.recv(65536)
                        if not data or len(buffer) > 1 << 20:
                            return
                        buffer += data
                    head, buffer = buffer.split(b"\r\n\r\n", 1)
                    parts = head.split(b" ", 2)
                    path = parts[1].decode("latin-1") if len(parts) > 1 else "/"
                    if not self._answer(conn, head, path):
                        return
        except OSError:  # the client went away
            pass
        finally:
            self._slots.release()

    def _answer(self, conn: socket.socket, head: bytes, path: str) -> bool:
        """Send one response; whether the connection stays open for another request."""
        arrived = time.monotonic()
        with self._lock:
            self.request_heads.append(head + b"\r\n\r\n")
        if path.startswith("/sleep"):
            with self._lock:
                self.in_progress += 1
                self.max_in_progress = max(self.max_in_progress, self.in_progress)
            self._awake.wait(self.sleep)
            with self._lock:
                self.in_progress -= 1
            kind = KINDS.get(path.split("?", 1)[0].removeprefix("/sleep").strip("/") or "ok") or KINDS["ok"]
        else:
            kind = self._kind_for(path) or Kind("404", lambda s: _length(b"HTTP/1.1 404 Not Found", b""))
        if kind.before:
            self._stop.wait(kind.before)
        data = kind.make(self)
        try:
            conn.sendall(data)
        except OSError:  # the client gave up first (a bomb or page made slowly): no head went out
            with self._lock:
                self.log.append(SentResponse(path, kind.name, False, arrived))
            raise
        with self._lock:  # logged once sent, so a head counts only if it went out whole
            self.log.append(SentResponse(path, kind.name, kind.head, arrived))
        if kind.after == "keep":
            return True
        if kind.after == "reset":  # RST instead of FIN
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif kind.after == "stall":
            self._stop.wait(self.stall)
        return False

