"""An HTTP/1.1 download handler that keeps the exact bytes of every exchange.

Scrapy hands its middlewares a parsed response: chunking removed by Twisted, header
names re-cased, the reason phrase dropped. This handler records what went over the
connection (after TLS, before any HTTP parsing) so the WARC can hold it verbatim, and
leaves it in ``request.meta["archive_wire"]``. It knows nothing of WARC.

A response Twisted's parser refuses once its head is in (a status that is no number,
two Content-Lengths, a header name with a NUL, a line over the parser's limit) is still
read to its end, as far as that can be told, and handed over as a :class:`WireCapture`
with the parser's complaint: the bytes a server sent are kept even when no
:class:`~scrapy.http.Response` can be made of them.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _LenientHTTPClientParser,
    _ScrapyAgent,
    _TunnelingAgent,
)
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import fail
from twisted.python.failure import Failure
from twisted.web._newclient import ParseError

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

__all__ = [
    "MALFORMED_META_KEY",
    "TRUNCATED_META_KEY",
    "WIRE_META_KEY",
    "AddressGuard",
    "BlockedAddressError",
    "WireCapture",
    "WireCaptureDownloadHandler",
    "truncation_reason",
]

#: request.meta key under which the handler leaves the :class:`WireCapture`.
WIRE_META_KEY = "archive_wire"
#: request.meta key set beside it when the download failed after the response's head
#: arrived: why the capture is incomplete (a ``WARC-Truncated`` value).
TRUNCATED_META_KEY = "archive_truncated"
#: request.meta key set beside it when the parser refused a response whose head arrived:
#: the parser's complaint, one line.
MALFORMED_META_KEY = "archive_malformed"

#: Seconds of silence after which a refused response of unknown length is taken as ended.
#: Its server keeps the connection open, so nothing else would end it but the download timeout.
SALVAGE_IDLE_SECONDS = 1.0

_CONTENT_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*([^\r\n]*?)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)


#: The start of anything a server might mean as a status line: a printable token and a space.
_STATUS_LINE_START = re.compile(rb"[\x21-\x7e]{1,64} ")


def head_end(data: bytes) -> int | None:
    """Offset just past a response head's blank line (CRLF or bare LF endings), or None
    when no whole head is there (or what is there does not start like a status line)."""
    if not _STATUS_LINE_START.match(data):
        return None
    ends = [i + n for i, n in ((data.find(b"\r\n\r\n"), 4), (data.find(b"\n\n"), 2)) if i >= 0]
    return min(ends) if ends else None


def expected_end(data: bytes) -> int | None:
    """Where a response ends by its head's Content-Length, read leniently (every value
    the same number), or None when that cannot be told."""
    end = head_end(data)
    if end is None:
        return None
    values = {value.strip() for match in _CONTENT_LENGTH.finditer(data[:end]) for value in match[1].split(b",")}
    if len(values) != 1:
        return None
    value = values.pop()
    return end + int(value) if value.isdigit() else None


@dataclass
class WireCapture:
    """The bytes of one HTTP exchange as they crossed the connection."""

    request_chunks: list[bytes] = field(default_factory=list)
    response_chunks: list[bytes] = field(default_factory=list)
    ip_address: str | None = None
    #: Why the parser refused the response, when it did (one line); the bytes are still all here.
    malformed: str | None = None
    #: For a refused response: why it may be incomplete (a ``WARC-Truncated`` value), or None.
    truncated: str | None = None

    @property
    def request_bytes(self) -> bytes:
        return b"".join(self.request_chunks)

    @property
    def response_bytes(self) -> bytes:
        return b"".join(self.response_chunks)


class BlockedAddressError(IgnoreRequest):
    """The connection reached an address that is not public (``ARCHIVE_BLOCK_PRIVATE_ADDRESSES``)."""

    def __init__(self, host: str, address: str):
        super().__init__(f"{host} is at {address}, not a public address")
        self.host = host
        self.address = address


@dataclass
class AddressGuard:
    """Which addresses a connection may reach: every public one, and any address for the
    hosts in ``allowed_hosts`` (names or IP literals, as in URLs, lower case).

    Checked on the address the connection actually reached, after DNS, so a public name
    that resolves to 127.0.0.1, a redirect to 169.254.169.254 and a decimal IP alike are
    caught. Not public: loopback, private (RFC 1918, fc00::/7), link-local (cloud metadata),
    shared (100.64/10), reserved, multicast, unspecified; an IPv4-mapped IPv6 address
    counts as its IPv4 address."""

    enabled: bool = True
    allowed_hosts: frozenset[str] = frozenset()

    def permits(self, host: str, address: str) -> bool:
        if not self.enabled or host.lower().strip("[]") in self.allowed_hosts:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:  # not an IP connection (a UNIX socket): nothing to check
            return True
        mapped = getattr(ip, "ipv4_mapped", None)
        return (mapped or ip).is_global


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


class _ArchiveParser(_LenientHTTPClientParser):
    """Scrapy's lenient parser; a line over its limit is an error like any other, so the
    protocol reads the rest of the response instead of dropping the connection."""

    def lineLengthExceeded(self, line: bytes) -> None:
        raise ParseError(f"line longer than {self.MAX_LENGTH} bytes", line[:80])


def _one_line(failure: Failure) -> str:
    """The parser's complaint, without the bytes it quotes at length."""
    error = failure.value
    detail = error.args[0] if isinstance(error, ParseError) and error.args else str(error)
    return f"{type(error).__name__}: {str(detail)[:200]}"


class RecordingHTTP11ClientProtocol(_LenientHTTP11ClientProtocol):
    """Scrapy's HTTP/1.1 client protocol, recording the bytes of each exchange.

    A persistent connection carries one exchange at a time (no pipelining), so the
    bytes between one request and the next belong to the current exchange. When the
    parser fails after the response's head arrived, the protocol stops parsing and goes
    on reading (salvage): until the server closes, the head's Content-Length is reached,
    :data:`SALVAGE_IDLE_SECONDS` pass in silence or ``maxsize`` bytes are in; then the
    request fails with the parser's error and the capture holds every byte.
    """

    _capture: WireCapture | None = None
    guard: AddressGuard | None = None  # set by the factory
    _salvage: Failure | None = None
    _salvage_end: int | None = None
    _salvage_idle: Any = None  # an IDelayedCall
    maxsize = 0

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
        target = request._parsedURI.host.decode("ascii", "replace") if request._parsedURI is not None else ""
        if self.guard is not None and capture.ip_address and not self.guard.permits(target, capture.ip_address):
            # Connected, nothing sent: the connection goes, the request fails without a byte written.
            self._capture = None
            assert transport is not None
            transport.loseConnection()
            return fail(BlockedAddressError(target, capture.ip_address))
        d: Deferred[IResponse] = super().request(request)
        assert self._parser is not None
        self._parser.__class__ = _ArchiveParser

        def attach(response: IResponse) -> IResponse:
            response._archive_wire = capture
            return response

        def tag(failure: Failure) -> Failure:
            # The handler finds the bytes of a refused response on the error.
            setattr(failure.value, "_archive_wire", capture)  # noqa: B010 (an exception of Twisted's)
            return failure

        d.addCallbacks(attach, tag)
        return d

    def dataReceived(self, bytes: bytes) -> None:
        # Recorded before parsing: the parser may finish the response, and Scrapy
        # build its Response, inside this very call.
        capture = self._capture
        if capture is not None:
            capture.response_chunks.append(bytes)
        if self._salvage is not None:
            self._salvage_more()
            return
        if self._parser is None:  # a quiescent connection: Twisted's own handling
            super().dataReceived(bytes)
            return
        try:
            self._parser.dataReceived(bytes)
        except BaseException:
            failure = Failure()
            if capture is not None:  # the head may still be arriving (a line over the limit)
                self._start_salvage(failure)
            else:
                self._giveUp(failure)

    # -- salvage: the rest of a response the parser refused --------------------------------

    def _start_salvage(self, failure: Failure) -> None:
        assert self._capture is not None
        self._salvage = failure
        self._capture.malformed = _one_line(failure)
        transport: Any = self.transport
        transport.resumeProducing()  # the parser may have paused it for a body
        self._salvage_more()

    def _salvage_more(self) -> None:
        from twisted.internet import reactor

        assert self._capture is not None
        received = sum(len(chunk) for chunk in self._capture.response_chunks)
        if self._salvage_end is None:  # the head may be arriving still
            self._salvage_end = expected_end(self._capture.response_bytes)
        if self._salvage_end is not None and received >= self._salvage_end:
            self._end_salvage(None)
        elif self.maxsize and received > self.maxsize:
            self._end_salvage("length")
        elif self._salvage_idle is not None and self._salvage_idle.active():
            self._salvage_idle.reset(SALVAGE_IDLE_SECONDS)
        else:
            clock: Any = reactor  # zope's interface methods lack self: mypy misreads them
            self._salvage_idle = clock.callLater(SALVAGE_IDLE_SECONDS, self._end_salvage, "unspecified")

    def _end_salvage(self, truncated: str | None) -> None:
        failure, self._salvage = self._salvage, None
        if failure is None:  # already ended
            return
        if self._salvage_idle is not None and self._salvage_idle.active():
            self._salvage_idle.cancel()
        if self._capture is not None:
            self._capture.truncated = truncated
        # The connection cannot carry another exchange: where the next one would start is unknown.
        self._giveUp(failure)

    def connectionLost(self, reason: Failure) -> None:  # type: ignore[override]
        if self._salvage is not None:
            self._end_salvage(None)  # the server closed: that was the whole response
        super().connectionLost(reason)


class _RecordingClientFactory(_LenientHTTP11ClientFactory):
    maxsize = 0  # set per instance by the handler
    guard: AddressGuard | None = None

    def buildProtocol(self, addr: IAddress | None) -> HTTP11ClientProtocol:
        protocol = RecordingHTTP11ClientProtocol(self._quiescentCallback)
        protocol.maxsize = self.maxsize
        protocol.guard = self.guard
        return protocol


class _WireKeepingAgent:
    """Wraps a Twisted agent: a request that fails before Scrapy sees a response (the
    parser refused it, the download timed out) leaves its capture with ``keeper``."""

    def __init__(self, agent: Any, keeper: _RecordingAgent):
        self._agent = agent
        self._keeper = keeper

    def request(self, *args: Any, **kwargs: Any) -> Deferred[IResponse]:
        d: Deferred[IResponse] = self._agent.request(*args, **kwargs)
        d.addErrback(self._keeper.keep_wire)
        return d


def _wire_of(failure: Failure) -> WireCapture | None:
    """The capture tagged on a failure or on one of the failures Twisted wrapped in it."""
    wire = getattr(failure.value, "_archive_wire", None)
    if wire is not None:
        return wire
    for reason in getattr(failure.value, "reasons", ()):
        if isinstance(reason, Failure) and (wire := _wire_of(reason)) is not None:
            return wire
    return None


class _RecordingAgent(_ScrapyAgent):
    wire: WireCapture | None = None

    def _get_agent(self, request: Request, timeout: float) -> Any:
        agent = super()._get_agent(request, timeout)
        if isinstance(agent, _TunnelingAgent):  # Scrapy checks its type; its CONNECT exchange is not captured anyway
            return agent
        return _WireKeepingAgent(agent, self)

    def keep_wire(self, failure: Failure) -> Failure:
        if self.wire is None:
            self.wire = _wire_of(failure)
        return failure

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
    """``http``/``https`` handler that leaves a :class:`WireCapture` in request.meta.

    With ``ARCHIVE_BLOCK_PRIVATE_ADDRESSES`` on, a connection that reached an address
    that is not public (:class:`AddressGuard`) sends nothing and the request fails with
    :class:`BlockedAddressError`, counted in ``archive/blocked/private_address``, except
    for the hosts of the spider's start URLs (its ``start_hosts``) and those of
    ``ARCHIVE_PRIVATE_ADDRESS_HOSTS``. Through an HTTP proxy the address checked is the
    proxy's: name the proxy's host in ``ARCHIVE_PRIVATE_ADDRESS_HOSTS`` if it is private.
    """

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        maxsize = self._default_maxsize
        settings = crawler.settings
        self._guard = guard = AddressGuard(
            settings.getbool("ARCHIVE_BLOCK_PRIVATE_ADDRESSES", True),
            frozenset(host.lower() for host in settings.getlist("ARCHIVE_PRIVATE_ADDRESS_HOSTS")),
        )
        self._guard_hosts = guard.allowed_hosts
        self._guard_ready = False

        def factory(*args: Any) -> _RecordingClientFactory:
            built = _RecordingClientFactory(*args)
            built.maxsize = maxsize
            built.guard = guard
            return built

        self._pool._factory = factory  # type: ignore[assignment]
        # A finished download frees its slot before its connection is back in the pool;
        # with the pool capped at the concurrency the next request often opens a new
        # connection. Room for twice as many keeps them reused.
        self._pool.maxPersistentPerHost = 2 * self._pool.maxPersistentPerHost

    def _allow_start_hosts(self) -> None:
        """The spider's start hosts join the allowed ones, once: the spider exists by the first download."""
        self._guard_ready = True
        start_hosts = getattr(self._crawler.spider, "start_hosts", ())
        self._guard.allowed_hosts = self._guard_hosts | frozenset(host.lower() for host in start_hosts)

    async def download_request(self, request: Request) -> Response:
        if not self._guard_ready:
            self._allow_start_hosts()
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
        except BlockedAddressError as error:
            self._crawler.stats.inc_value("archive/blocked/private_address")
            logger.warning("Not fetched: %s (%s; ARCHIVE_BLOCK_PRIVATE_ADDRESSES)", request.url, error)
            raise
        except Exception as error:
            if isinstance(error, ResponseDataLossError) and not self._fail_on_dataloss_warned:
                self._fail_on_dataloss_warned = True
                logger.warning(get_dataloss_msg(request.url))
            wire = agent.wire
            if wire is not None and head_end(wire.response_bytes) is not None:  # the head came whole
                request.meta[WIRE_META_KEY] = wire
                if wire.malformed is not None:
                    request.meta[MALFORMED_META_KEY] = wire.malformed
                    if wire.truncated is not None:
                        request.meta[TRUNCATED_META_KEY] = wire.truncated
                else:
                    maxsize = request.meta.get("download_maxsize", self._default_maxsize)
                    request.meta[TRUNCATED_META_KEY] = truncation_reason(error, maxsize)
            raise
        if agent.wire is not None:
            request.meta[WIRE_META_KEY] = agent.wire
        return response
