"""A name server that answers only the names it is told (the rest it takes and never answers:
a server that is down), and a loopback site whose pages name hosts on it.

Both serve on 127.0.0.1 from threads, for crawls run in a subprocess (``ARCHIVE_DNS_SERVERS``
points the crawl's resolver at the name server).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast

from twisted.names import dns

__all__ = ["DeadNameSite", "NameServer"]

#: A 1x1 PNG, the site's every image.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


class NameServer:
    """DNS over UDP on 127.0.0.1: A queries for a name of ``answers`` get its IPv4 address,
    AAAA queries for it an empty answer; queries for any other name are received, recorded
    and never answered."""

    def __init__(self, answers: dict[str, str] | None = None):
        self.answers = dict(answers or {})
        self.queries: list[tuple[str, str]] = []  # (name, record type) of each query received, in order
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port: int = self._sock.getsockname()[1]
        self._running = False
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        """``127.0.0.1:<port>``, as ``ARCHIVE_DNS_SERVERS`` takes it."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> NameServer:
        self._running = True
        self._thread.start()
        return self

    def stop(self) -> None:
        self._running = False
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        self._sock.close()

    def __enter__(self) -> NameServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _serve(self) -> None:
        while self._running:
            try:
                data, client = self._sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            query = dns.Message()
            query.fromStr(data)
            question = query.queries[0]
            name = question.name.name.decode().lower()
            self.queries.append((name, dns.QUERY_TYPES.get(question.type, str(question.type))))
            if name not in self.answers:
                continue  # a server that is down: the query is never answered
            reply = dns.Message(id=query.id, answer=1, recDes=query.recDes, recAv=1)
            reply.queries = query.queries
            if question.type == dns.A:
                reply.answers = [dns.RRHeader(name=name, type=dns.A, ttl=300,
                                              payload=cast(Any, dns.Record_A(self.answers[name], ttl=300)))]
            self._sock.sendto(reply.toStr(), client)


class DeadNameSite:
    """A news site on 127.0.0.1: ``/page/<n>`` is an article whose images are one of its own
    (``/img/<n>.png``), one on each of ``live_hosts`` (names the name server answers with
    127.0.0.1, same port) and one on each of ``dead_hosts`` (or on ``dead_per_page`` of them,
    taken in turn, so new dead names keep coming as the crawl goes). Every request is recorded
    as (monotonic time, Host header, path)."""

    def __init__(self, dead_hosts: Sequence[str], live_hosts: Sequence[str] = (), dead_per_page: int | None = None):
        self.dead_hosts = list(dead_hosts)
        self.live_hosts = list(live_hosts)
        self.dead_per_page = len(self.dead_hosts) if dead_per_page is None else dead_per_page
        self.requests: list[tuple[float, str, str]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                site.requests.append((time.monotonic(), self.headers.get("Host", ""), self.path))
                if self.path.startswith("/page/"):
                    body, kind = site.page(self.path.rsplit("/", 1)[1]).encode(), "text/html; charset=utf-8"
                elif self.path.startswith("/img/"):
                    body, kind = PIXEL, "image/png"
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    def page(self, number: str) -> str:
        images = [f"/img/{number}.png"]
        images += [f"http://{host}:{self.port}/img/{number}.png" for host in self.live_hosts]
        first = int(number) * self.dead_per_page if number.isdigit() else 0
        images += [f"http://{self.dead_hosts[(first + k) % len(self.dead_hosts)]}/img/{number}.png"
                   for k in range(min(self.dead_per_page, len(self.dead_hosts)))]
        tags = "".join(f'<img src="{src}" alt="">' for src in images)
        text = " ".join(f"Paragraph {i} of article {number} tells the news of the day at length." for i in range(8))
        return (f"<!doctype html><html><head><title>Article {number}</title></head><body><article>"
                f"<h1>Article {number}</h1>{tags}<p>{text}</p><p>{text}</p></article></body></html>")

    def start(self) -> DeadNameSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> DeadNameSite:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
