"""The extraction worker process: its job loop and its job, kept light for the crawl's side.

The crawl's main process imports this module, never the extractor (trafilatura, lxml
trees, the language model): jobs and results cross the process boundary as plain values,
so the crawler stays small and fetches while the workers extract. The worker's loop
(:func:`worker_main`) imports no Twisted either; the crawl's end of each worker's socket
is :class:`scraper.workers.ExtractionPool`.
"""

from __future__ import annotations

import pickle
import signal
import socket
import struct
from importlib.metadata import version
from typing import Any

from scraper import __version__

__all__ = ["FRAME_HEADER", "MAX_MESSAGE", "extract_page", "extractor_name", "read_message", "worker_main"]

MAX_MESSAGE = 1 << 30
#: A message on a worker's socket: this header (the length of the pickle that follows), then
#: the pickle. Int32StringReceiver's framing, which the crawl's side reads with.
FRAME_HEADER = struct.Struct("!I")


def extractor_name() -> str:
    """Names and versions of what produced the text, stored with every row."""
    return f"scraper/{__version__} trafilatura/{version('trafilatura')}"


def extract_page(
    html: str,
    url: str,
    options: dict[str, Any],
    site_boilerplate: frozenset[str],
    discover: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run in a worker, on one parse of the page.

    Returns ``{"article": ..., "requisites": [...], "links": [...]}``: the article as a
    dict (plus its ``fingerprints``) or None, and the page's requisites and links when
    ``discover`` asks for them (``{"requisites": bool, "links": bool, "encoding": str}``,
    see :mod:`scraper.discovery`); they are found before the extractor prunes the tree.
    """
    from scraper.extraction import ExtractionOptions, extract_article, parse_page

    found: dict[str, Any] = {"article": None, "requisites": [], "links": []}
    tree = parse_page(html)
    if tree is None:
        return found
    if discover and (discover.get("requisites") or discover.get("links")):
        from scraper.discovery import base_url, link_urls, requisite_urls

        encoding = str(discover.get("encoding") or "utf-8")
        base = base_url(html, url, encoding)
        if discover.get("requisites"):
            found["requisites"] = requisite_urls(tree, base)
        if discover.get("links"):
            found["links"] = link_urls(tree, base, url, encoding)
    article = extract_article(tree, url, ExtractionOptions(**options), site_boilerplate)
    if article is not None:
        found["article"] = article.as_dict()
        found["article"]["fingerprints"] = article.fingerprints
    return found


# -- the process's loop ------------------------------------------------------------------


def _receive_into(sock: socket.socket, view: memoryview) -> bool:
    """Fill ``view`` from ``sock``; False if the socket closed first."""
    while view:
        received = sock.recv_into(view)
        if not received:
            return False
        view = view[received:]
    return True


def read_message(sock: socket.socket) -> bytearray | None:
    """One whole message from ``sock``: its frame header, then that many bytes. None at the end."""
    header = bytearray(FRAME_HEADER.size)
    if not _receive_into(sock, memoryview(header)):
        return None
    message = bytearray(FRAME_HEADER.unpack(header)[0])
    if not _receive_into(sock, memoryview(message)):
        return None
    return message


def _run(message: memoryview) -> bytes:
    """One job: its answer, pickled."""
    function, args = pickle.loads(message)
    try:
        answer: tuple[bool, Any] = (True, function(*args))
    except Exception as error:
        answer = (False, error)
    try:
        return pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as error:  # an exception or result that does not pickle
        return pickle.dumps((False, RuntimeError(f"unpicklable answer: {error!r}")))


def worker_main(sock: socket.socket) -> None:
    """Run jobs from ``sock`` until it closes: ``(function, args)`` in, ``(ok, value)`` out."""
    # Ctrl-C reaches the whole process group; the crawl shuts down gracefully and still
    # needs its workers for the pages in hand. It closes the socket when done.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    header = bytearray(FRAME_HEADER.size)
    buffer = bytearray(1 << 20)  # reused: a page's job is read into it, not into a new object
    while _receive_into(sock, memoryview(header)):
        size = FRAME_HEADER.unpack(header)[0]
        if size > len(buffer):
            buffer = bytearray(size)
        message = memoryview(buffer)[:size]
        if not _receive_into(sock, message):
            return
        payload = _run(message)  # nothing of the job outlives this call
        message.release()
        sock.sendall(FRAME_HEADER.pack(len(payload)) + payload)
