"""A worker process's side of its socket: length-prefixed pickles in, answers out.

The crawl's main process imports this module, never the extractor (trafilatura, lxml
trees, the language model): jobs and results cross the process boundary as plain values,
so the crawler stays small and fetches while the workers extract. The worker's loop
(:func:`worker_main`) imports no Twisted either; the crawl's end of each worker's socket
is :class:`scraper.workers.pool.ExtractionPool`.
"""

from __future__ import annotations

import pickle
import signal
import socket
import struct
from typing import Any

__all__ = ["FRAME_HEADER", "MAX_MESSAGE", "read_message", "worker_main"]

MAX_MESSAGE = 1 << 30
#: A message on a worker's socket: this header (the length of the pickle that follows), then
#: the pickle. Int32StringReceiver's framing, which the crawl's side reads with.
FRAME_HEADER = struct.Struct("!I")


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
    # Ctrl-C reaches the whole process group, and so does systemd's SIGTERM; the crawl
    # shuts down gracefully and still needs its workers for the pages in hand. It closes
    # the socket when done.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
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
        try:
            sock.sendall(FRAME_HEADER.pack(len(payload)) + payload)
        except BrokenPipeError:  # the crawl is gone (a forced stop): nobody to answer
            return
