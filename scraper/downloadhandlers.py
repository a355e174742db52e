"""An HTTP/1.1 download handler that keeps the exact bytes of every exchange.

Scrapy hands its middlewares a parsed response: chunking removed by Twisted, header
names re-cased, the reason phrase dropped. This handler records what went over the
connection (after TLS, before any HTTP parsing) so the WARC can hold it verbatim, and
leaves it in ``request.meta["archive_wire"]``. It knows nothing of WARC.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _ScrapyAgent,
)
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Response
    from twisted.internet.defer import Deferred
    from twisted.internet.interfaces import IAddress
    from twisted.web._newclient import HTTP11ClientProtocol
    from twisted.web._newclient import Request as TxRequest
    from twisted.web.client import Response as TxResponse
    from twisted.web.iweb import IResponse

logger = logging.getLogger(__name__)

__all__ = ["TRUNCATED_META_KEY", "WIRE_META_KEY", "WireCapture", "WireCaptureDownloadHandler", "truncation_reason"]

#: request.meta key under which the handler leaves the :class:`WireCapture`.
WIRE_META_KEY = "archive_wire"
#: request.meta key set beside it when the download failed after the response's head
#: arrived: why the capture is incomplete (a ``WARC-Truncated`` value).
TRUNCATED_META_KEY = "archive_truncated"


@dataclass
class WireCapture:
    """The bytes of one HTTP exchange as they crossed the connection."""

    request_chunks: list[bytes] = field(default_factory=list)
    response_chunks: list[bytes] = field(default_factory=list)
    ip_address: str | None = None

    @property
    def request_bytes(self) -> bytes:
        return b"".join(self.request_chunks)

    @property
    def response_bytes(self) -> bytes:
        return b"".join(self.response_chunks)


class _TeeTransport:
    """Passes everything to the real transport and copies what is written."""

    def __init__(self, transport: Any, protocol: RecordingHTTP11ClientProtocol):
        self._transport = transport
        self._protocol = protocol

    def write(self, data: bytes) -> None:
        self._protocol.record_sent(data)
        self._transport.write(data)

    def writeSequence(self, seq: list[bytes]) -> None:
        for data in seq:
            self._protocol.record_sent(data)
        self._transport.writeSequence(seq)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class RecordingHTTP11ClientProtocol(_LenientHTTP11ClientProtocol):
    """Scrapy's HTTP/1.1 client protocol, recording the bytes of each exchange.

    A persistent connection carries one exchange at a time (no pipelining), so the
    bytes between one request and the next belong to the current exchange.
    """

    _capture: WireCapture | None = None

    def makeConnection(self, transport: Any) -> None:
        if hasattr(transport, "setTcpNoDelay"):
            transport.setTcpNoDelay(True)
        super().makeConnection(_TeeTransport(transport, self))

    def record_sent(self, data: bytes) -> None:
        if self._capture is not None:
            self._capture.request_chunks.append(bytes(data))

    def request(self, request: TxRequest) -> Deferred[IResponse]:
        capture = self._capture = WireCapture()
        transport: Any = self.transport
        host = getattr(transport.getPeer(), "host", None) if transport is not None else None
        if host:
            try:
                capture.ip_address = str(ipaddress.ip_address(host))
            except ValueError:
                capture.ip_address = None
        d: Deferred[IResponse] = super().request(request)

        def attach(response: IResponse) -> IResponse:
            response._archive_wire = capture
            return response

        d.addCallback(attach)
        return d

    def dataReceived(self, bytes: bytes) -> None:
        # Recorded before parsing: the parser may finish the response, and Scrapy
        # build its Response, inside this very call.
        if self._capture is not None:
            self._capture.response_chunks.append(bytes)
        super().dataReceived(bytes)


class _RecordingClientFactory(_LenientHTTP11ClientFactory):
    def buildProtocol(self, addr: IAddress | None) -> HTTP11ClientProtocol:
        return RecordingHTTP11ClientProtocol(self._quiescentCallback)


class _RecordingAgent(_ScrapyAgent):
    wire: WireCapture | None = None

    def _cb_bodyready(self, txresponse: TxResponse, request: Request) -> Any:
        # Taken as soon as the head is in, for a body that arrives whole and for one that does not.
        self.wire = getattr(txresponse, "_archive_wire", None)
        return super()._cb_bodyready(txresponse, request)


def truncation_reason(error: BaseException, maxsize: int) -> str:
    """Why a response whose head arrived is incomplete, as ``WARC-Truncated`` says it."""
    if isinstance(error, DownloadTimeoutError):
        return "time"
    if isinstance(error, (ResponseDataLossError, DownloadFailedError)):
        return "disconnect"
    if isinstance(error, DownloadCancelledError) and maxsize:
        return "length"  # Scrapy cancels a download that is or says it will be over DOWNLOAD_MAXSIZE
    return "unspecified"


class WireCaptureDownloadHandler(HTTP11DownloadHandler):
    """``http``/``https`` handler that leaves a :class:`WireCapture` in request.meta."""

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        self._pool._factory = _RecordingClientFactory
        # A finished download frees its slot before its connection is back in the pool;
        # with the pool capped at the concurrency the next request often opens a new
        # connection. Room for twice as many keeps them reused.
        self._pool.maxPersistentPerHost = 2 * self._pool.maxPersistentPerHost

    async def download_request(self, request: Request) -> Response:
        agent = _RecordingAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=self._default_maxsize,
            warnsize=self._default_warnsize,
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with wrap_twisted_exceptions():
                response = await maybe_deferred_to_future(agent.download_request(request))
        except Exception as error:
            if isinstance(error, ResponseDataLossError) and not self._fail_on_dataloss_warned:
                self._fail_on_dataloss_warned = True
                logger.warning(get_dataloss_msg(request.url))
            wire = agent.wire
            if wire is not None and b"\r\n\r\n" in wire.response_bytes:  # the head came whole
                maxsize = request.meta.get("download_maxsize", self._default_maxsize)
                request.meta[WIRE_META_KEY] = wire
                request.meta[TRUNCATED_META_KEY] = truncation_reason(error, maxsize)
            raise
        if agent.wire is not None:
            request.meta[WIRE_META_KEY] = agent.wire
        return response
