"""A test server that answers with canned bytes, exactly, and logs what it received.

The WARC tests compare records with these bytes, so every response here is written
by hand: odd reason phrases, header case, repeated headers, chunking, gzip.
"""

from __future__ import annotations

import gzip
import io
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import brotli
import zstandard

ARTICLE_PARAGRAPHS = [
    "The harbour authority said on Monday that the new container terminal would open in the spring, "
    "two years later than first planned, after a dispute over dredging permits was settled in court.",
    "Officials told reporters that the delay had cost the port several contracts with shipping lines "
    "that moved their routes to competing terminals further along the coast during the construction.",
    "Local fishermen, who had opposed the dredging from the start, said they would keep watching the "
    "water quality in the bay and would go back to court if the agreed limits were not respected.",
    "The terminal is expected to double the port's capacity and to bring about four hundred jobs to a "
    "region where unemployment has stayed well above the national average for more than a decade.",
]

ARTICLE_HTML = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
    "<title>Harbour terminal to open next spring - Coast Herald</title>"
    '<meta property="og:type" content="article">'
    '<meta property="og:title" content="Harbour terminal to open next spring">'
    '<meta name="author" content="Jane Doe">'
    '<meta property="article:published_time" content="2020-03-02T10:00:00+00:00">'
    '</head><body><header><a href="/">Coast Herald</a></header><article>'
    "<h1>Harbour terminal to open next spring</h1>"
    + "".join(f"<p>{p}</p>" for p in ARTICLE_PARAGRAPHS)
    + "</article><footer>Coast Herald 2020</footer></body></html>"
).encode("utf-8")


def _chunked(body: bytes, sizes: tuple[int, ...]) -> bytes:
    out, start = b"", 0
    for size in sizes:
        piece = body[start : start + size]
        if not piece:
            break
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
        start += size
    rest = body[start:]
    if rest:
        out += b"%x\r\n" % len(rest) + rest + b"\r\n"
    return out + b"0\r\n\r\n"


def _with_length(head: bytes, body: bytes) -> bytes:
    return head + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body


GZIPPED_ARTICLE = gzip.compress(ARTICLE_HTML, mtime=0)

#: path (with query) -> the exact response bytes
RESPONSES: dict[str, bytes] = {
    "/robots.txt": _with_length(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain", b"User-agent: *\nDisallow: /private/\n"
    ),
    "/article?id=7&lang=en": (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\n"
        b"Set-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; Path=/\r\nX-Served-By:   raw-site  \r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(ARTICLE_HTML, (100, 7, 400))
    ),
    "/gzipped": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: " + str(len(GZIPPED_ARTICLE)).encode() + b"\r\n\r\n" + GZIPPED_ARTICLE
    ),
    "/gzipped-chunked": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(GZIPPED_ARTICLE, (50, 50))
    ),
    "/moved": b"HTTP/1.1 301 Moved Permanently\r\nLocation: /gzipped\r\nContent-Length: 0\r\n\r\n",
    "/missing": _with_length(
        b"HTTP/1.1 404 Page Went Missing\r\nContent-Type: text/html", b"<html>no such page</html>"
    ),
    "/doc.pdf": _with_length(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n%%EOF\n"
    ),
    "/teapot": b"HTTP/1.1 418 I'm a teapot\r\nContent-Length: 5\r\n\r\nshort",
    "/private/secret": b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecret",
    # One page, three framings: one payload (WARC 1.1 section 6.3.2), three blocks.
    "/same/length": _with_length(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8", ARTICLE_HTML),
    "/same/chunks-1000": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n"
        + _chunked(ARTICLE_HTML, (1000,) * 10)
    ),
    "/same/chunks-4096": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n"
        + _chunked(ARTICLE_HTML, (4096,) * 10)
    ),
}


#: The article's head (its Content-Length the whole body's) and the first half of its
#: body; the server closes the connection after it, as a dropped connection would.
CUT_ARTICLE = _with_length(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8", ARTICLE_HTML)[
    : -(len(ARTICLE_HTML) // 2)
]
#: A long page (the article's paragraphs many times over), chunked: no Content-Length.
LONG_PAGE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n"
             + _chunked(ARTICLE_HTML * 100, (4096,) * 40))
#: Responses after which the server closes the connection.
CLOSING = {CUT_ARTICLE}

#: path -> responses served once each, in order, before falling back to RESPONSES
SEQUENCES: dict[str, list[bytes]] = {
    "/flaky": [
        _with_length(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1", b"busy"),
    ],
    "/cut-once": [CUT_ARTICLE],
}
RESPONSES["/flaky"] = RESPONSES["/article?id=7&lang=en"]
RESPONSES["/long"] = LONG_PAGE
#: The article in the codings warcio 1.8 cannot decode, and a body that claims br but is not.
RESPONSES["/brotli"] = _with_length(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                                    b"Content-Encoding: br", brotli.compress(ARTICLE_HTML))
RESPONSES["/zstd"] = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: zstd\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n"
                      + _chunked(zstandard.ZstdCompressor().compress(ARTICLE_HTML), (60, 60)))
RESPONSES["/not-brotli"] = _with_length(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                                        b"Content-Encoding: br", b"<html>plain, whatever the header says</html>")
RESPONSES["/cut-once"] = _with_length(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8", ARTICLE_HTML)


def body_of(path: str) -> bytes:
    """The message body of a canned response, as it goes over the wire."""
    return RESPONSES[path].split(b"\r\n\r\n", 1)[1]


def entity_body_of(path: str) -> bytes:
    """The body with its transfer coding removed (WARC 1.1's payload), de-chunked by
    Resiliparse: a decoder independent of the archive's own."""
    from resiliparse.parse.http import iterate_http_chunks

    head, body = RESPONSES[path].split(b"\r\n\r\n", 1)
    if b"transfer-encoding: chunked" not in head.lower():
        return body
    return b"".join(iterate_http_chunks(io.BytesIO(body)))


@dataclass
class RawSite:
    """Serves :data:`RESPONSES` on 127.0.0.1; keeps each connection alive."""

    received: list[bytes] = field(default_factory=list)  # raw request heads, in order
    arrivals: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, path)
    delay: float = 0.0  # seconds to wait before answering robots.txt
    tls: ssl.SSLContext | None = None  # serve HTTPS with this context
    _sock: socket.socket | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _sequences: dict[str, list[bytes]] = field(default_factory=dict)

    def start(self) -> str:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._running = True
        thread = threading.Thread(target=self._serve, daemon=True)
        thread.start()
        self._threads.append(thread)
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._sock.getsockname()[1]}"

    def stop(self) -> None:
        self._running = False
        for thread in self._threads:
            thread.join(timeout=2)
        if self._sock is not None:
            self._sock.close()

    def paths(self) -> list[str]:
        return [head.split(b" ", 2)[1].decode() for head in self.received]

    def _next_response(self, path: str) -> bytes:
        queue = self._sequences.setdefault(path, list(SEQUENCES.get(path, [])))
        if queue:
            return queue.pop(0)
        return RESPONSES.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")

    def _serve(self) -> None:
        assert self._sock is not None
        while self._running:
            try:
                conn, _ = self._sock.accept()
                if self.tls is not None:
                    conn.settimeout(5)
                    conn = self.tls.wrap_socket(conn, server_side=True)
            except (TimeoutError, OSError):
                continue
            thread = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            thread.start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        buffer = b""
        with conn:
            while self._running:
                try:
                    data = conn.recv(65536)
                except (TimeoutError, OSError):
                    return
                if not data:
                    return
                buffer += data
                while b"\r\n\r\n" in buffer:
                    head, buffer = buffer.split(b"\r\n\r\n", 1)
                    self.received.append(head + b"\r\n\r\n")
                    path = head.split(b" ", 2)[1].decode()
                    self.arrivals.append((time.monotonic(), path))
                    if path == "/robots.txt" and self.delay:
                        time.sleep(self.delay)
                    if path == "/slow":
                        time.sleep(30)  # a page that never comes in time: the crawl is killed meanwhile
                    response = self._next_response(path)
                    # Several writes, so chunks really arrive in pieces.
                    try:
                        for start in range(0, len(response), 300):
                            conn.sendall(response[start : start + 300])
                    except OSError:  # the client hung up (a download cancelled over its size limit)
                        return
                    if response in CLOSING:
                        return


def self_signed_context(folder: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context
