"""The crawl's DNS resolver: IP literals answered at once, every lookup under a deadline, a
name that fails looked up once for a while, however many requests name it.

Installed through Scrapy's ``TWISTED_DNS_RESOLVER``. Scrapy's own resolvers ask the C library
in threads of the reactor's pool: a lookup that never gets an answer holds its thread after
the request gave up, so a page whose requisites name a few dead hosts fills the pool and every
other request waits, ``127.0.0.1`` included. Here nothing blocks: names go to the name servers
of ``/etc/resolv.conf`` (or ``ARCHIVE_DNS_SERVERS``) over UDP through Twisted's own DNS client,
after ``localhost`` (RFC 6761) and ``/etc/hosts``. It does not use the rest of the C library's
name service (nsswitch modules such as mDNS or LDAP, the ``search`` list): crawled URLs name
hosts fully.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from twisted.internet import defer
from twisted.internet import error as internet_error
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IHostResolution, IResolutionReceiver
from twisted.names import client, dns
from twisted.names import error as dns_error
from twisted.names.hosts import searchFileForAll
from twisted.python.failure import Failure
from twisted.python.filepath import FilePath
from zope.interface import implementer

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.interfaces import IAddress

__all__ = ["ArchiveResolver", "DnsPrefetchMiddleware", "ResolverStats", "ip_literal", "parse_server", "retry_delays"]

logger = logging.getLogger(__name__)

HOSTS_FILE = "/etc/hosts"
RESOLV_CONF = "/etc/resolv.conf"
#: Seconds an answer is kept at least and at most, whatever its TTL: a crawl asks for its few
#: hosts thousands of times, and a CDN's TTL of seconds would cost a lookup every few pages;
#: the ceiling lets a host that moved be found again within a long crawl.
MIN_ANSWER_TTL = 60.0
MAX_ANSWER_TTL = 6 * 3600.0
#: Names whose failure is remembered at least, whatever DNSCACHE_SIZE.
MIN_FAILURES_KEPT = 1000
#: Seconds the AAAA answer may lag a positive A answer before the addresses found are used
#: (RFC 8305 section 3, "Resolution Delay"): a name server that drops AAAA queries must not
#: cost every lookup its whole deadline.
RESOLUTION_DELAY = 0.05

# Forms of an IPv4 address the C library's inet_aton (and the WHATWG URL parser) read: one to
# four decimal, octal (0...) or hex (0x...) parts, "2130706433" being 127.0.0.1.
_IPV4_NUMBERS = re.compile(r"(?:(?:0x[0-9a-f]*|[0-9]+)\.){0,3}(?:0x[0-9a-f]*|[0-9]+)\.?", re.IGNORECASE)
# Errors that say a name has no address or could not be looked up: counted, not raised.
_LOOKUP_ERRORS = (dns_error.DomainError, defer.TimeoutError, TimeoutError, defer.CancelledError,
                  internet_error.ConnectionRefusedError, OSError)
_TIMEOUTS = (defer.TimeoutError, TimeoutError, defer.CancelledError)


def ip_literal(host: str) -> str | None:
    """The IP address ``host`` spells (``"127.0.0.1"``, ``"::1"``, ``"[::1]"``, decimal
    ``"2130706433"``), in its standard text form; None for a name."""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if _IPV4_NUMBERS.fullmatch(host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host.rstrip(".")))
        except OSError:  # a part out of range: a name the DNS will not know either
            return None
    return None


def retry_delays(deadline: float) -> tuple[float, ...]:
    """Seconds to wait for each try of a DNS query (Twisted's client resends it after each),
    growing threefold from one second as Twisted's default (1, 3, 11, 45), summing to ``deadline``."""
    delays: list[float] = []
    delay = 1.0
    while sum(delays) + delay < deadline:
        delays.append(delay)
        delay *= 3
    delays.append(deadline - sum(delays))
    return tuple(delays)


def parse_server(server: str) -> tuple[str, int]:
    """``"10.0.0.2"``, ``"10.0.0.2:5353"`` or ``"[::1]:53"`` as (address, port); port 53 if none.

    Raises ValueError for anything but an IP address (a name server named by a name could
    not be looked up)."""
    text = server.strip()
    if text.startswith("["):  # [IPv6]:port
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else rest or "53"
    elif text.count(":") == 1:  # IPv4:port
        host, port = text.split(":")
    else:  # IPv4 or a bare IPv6 address
        host, port = text, "53"
    address = ip_literal(host)
    if address is None or not port.isdigit():
        raise ValueError(f"ARCHIVE_DNS_SERVERS: {server!r} is not an IP address with an optional :port")
    return address, int(port)


@implementer(IHostResolution)
@dataclass
class _Resolution:
    name: str

    def cancel(self) -> None:
        """Nothing to stop: the lookup, shared with other requests, ends by its deadline."""


@dataclass
class _CacheEntry:
    addresses: tuple[str, ...]  # empty: the name failed (``reason`` says how)
    expires: float  # reactor seconds
    reason: str = ""


@implementer(IHostnameResolver)
class ArchiveResolver:
    """An ``IHostnameResolver`` for Scrapy's ``TWISTED_DNS_RESOLVER``.

    - IP literals (IPv4, IPv6, bracketed, the numeric IPv4 forms inet_aton reads) and
      ``localhost`` (RFC 6761: 127.0.0.1 and ::1) are answered at once, without a lookup.
    - Other names: ``/etc/hosts``, then A and AAAA queries to the name servers, the whole
      lookup under ``timeout`` seconds (Scrapy's ``DNS_TIMEOUT``), IPv4 addresses first.
    - One lookup per name at a time: requests for a name being looked up wait for the same
      answer, so a dead name holds nothing but its own requests, and the downloader's
      ``CONCURRENT_REQUESTS`` bounds how many lookups run at once.
    - Answers are cached for their TTL (between :data:`MIN_ANSWER_TTL` and
      :data:`MAX_ANSWER_TTL`); a name that timed out, does not exist or failed is answered
      with no address for ``failure_ttl`` seconds (RFC 9520 asks for 1 s to 5 min). Both
      share one least-recently-used cache of ``cache_size`` names (0: answers not cached).

    A request whose host has no address fails with Twisted's ``DNSLookupError``. Each lookup
    and its outcome is told to ``listeners`` (callables taking an event name: ``lookups``,
    ``timeouts``, ``not_found``, ``failures``, ``cached_failures``), which
    :class:`ResolverStats` counts in the crawl's stats.
    """

    def __init__(self, reactor: Any, *, timeout: float, failure_ttl: float, cache_size: int,
                 servers: Sequence[tuple[str, int]] = (), hosts_file: str = HOSTS_FILE,
                 resolv_conf: str = RESOLV_CONF):
        if timeout <= 0:
            raise ValueError(f"DNS_TIMEOUT must be positive, not {timeout}")
        self.reactor = reactor
        self.timeout = timeout
        self.failure_ttl = failure_ttl
        self.cache_size = cache_size
        self.hosts_file = FilePath(hosts_file)
        self.listeners: list[Callable[[str], None]] = []
        self._cache: OrderedDict[str, _CacheEntry] = OrderedDict()
        self._waiting: dict[str, list[Callable[[tuple[str, ...]], None]]] = {}  # name: its waiting requests
        self._delays = retry_delays(timeout)
        self._dns = client.Resolver(resolv=None if servers else resolv_conf, servers=list(servers) or None,
                                    reactor=reactor)

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> ArchiveResolver:
        """Built by Scrapy with the crawler *process* (its settings only) and the reactor."""
        settings = crawler.settings
        return cls(
            reactor,
            timeout=settings.getfloat("DNS_TIMEOUT"),
            failure_ttl=settings.getfloat("ARCHIVE_DNS_FAILURE_TTL"),
            cache_size=settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0,
            servers=[parse_server(server) for server in settings.getlist("ARCHIVE_DNS_SERVERS")],
        )

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    # -- IHostnameResolver ---------------------------------------------------------------

    def resolveHostName(
        self, resolutionReceiver: IResolutionReceiver, hostName: str, portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None, transportSemantics: str = "TCP",
    ) -> IHostResolution:
        """Tell ``resolutionReceiver`` the addresses of ``hostName``: at once for an IP literal,
        ``localhost`` or a cached name, else when its lookup ends (by ``timeout`` at the latest)."""
        receiver: Any = resolutionReceiver  # zope interfaces' methods confuse mypy
        semantics: Any = transportSemantics
        resolution = _Resolution(hostName)
        receiver.resolutionBegan(resolution)

        def deliver(addresses: tuple[str, ...]) -> None:
            for address in addresses:
                family = IPv6Address if ":" in address else IPv4Address
                if addressTypes is None or family in addressTypes:
                    receiver.addressResolved(family(semantics, address, portNumber))
            receiver.resolutionComplete()

        name = hostName.lower().rstrip(".")
        literal = ip_literal(name)
        if literal is not None:
            deliver((literal,))
        elif name == "localhost" or name.endswith(".localhost"):
            deliver(("127.0.0.1", "::1"))
        elif (entry := self._cached(name)) is not None:
            if not entry.addresses:
                self._tell("cached_failures")
            deliver(entry.addresses)
        elif name in self._waiting:
            self._waiting[name].append(deliver)
        else:
            self._waiting[name] = [deliver]
            self._look_up(name)
        return cast(IHostResolution, resolution)

    def prefetch(self, host: str) -> None:
        """Start looking ``host`` up now, if it needs a lookup, cached and in flight aside:
        its requests will find the answer (or the failure) waiting."""
        name = host.lower().rstrip(".")
        if ip_literal(name) is not None or name == "localhost" or name.endswith(".localhost") \
                or name in self._waiting or self._cached(name) is not None:
            return
        self._waiting[name] = []
        self._look_up(name)

    # -- lookups -------------------------------------------------------------------------

    def _look_up(self, name: str) -> None:
        self._tell("lookups")
        found = searchFileForAll(self.hosts_file, name.encode())
        if found:
            lookup: defer.Deferred[tuple[tuple[str, ...], float]] = defer.succeed(
                (tuple(sorted(found, key=lambda a: ":" in a)), MIN_ANSWER_TTL))
        else:
            lookup = self._query(name)
            lookup.addTimeout(self.timeout, self.reactor)
        lookup.addCallbacks(self._found, self._failed, callbackArgs=(name,), errbackArgs=(name,))

    def _query(self, name: str) -> defer.Deferred[tuple[tuple[str, ...], float]]:
        """A and AAAA of ``name`` from the name servers: (IPv4 then IPv6 addresses, smallest
        TTL). Fails with the A query's error if neither gave an address."""
        v4 = self._dns.lookupAddress(name, timeout=self._delays)
        v6 = self._dns.lookupIPV6Address(name, timeout=self._delays)
        outcomes: dict[int, tuple[list[str], float] | Failure] = {}

        def cancel(_: object) -> None:
            v4.cancel()
            v6.cancel()

        answer: defer.Deferred[tuple[tuple[str, ...], float]] = defer.Deferred(cancel)

        def finish() -> None:
            if answer.called:
                return
            found = [outcome for outcome in (outcomes.get(dns.A), outcomes.get(dns.AAAA))
                     if isinstance(outcome, tuple) and outcome[0]]
            if found:
                answer.callback((tuple(a for addresses, _ in found for a in addresses), min(t for _, t in found)))
            elif failures := [o for o in (outcomes.get(dns.A), outcomes.get(dns.AAAA)) if isinstance(o, Failure)]:
                answer.errback(failures[0])
            else:
                answer.errback(dns_error.DNSNameError(f"{name} has no A or AAAA record"))

        def settled(outcome: Any, record_type: int) -> None:
            found = outcome if isinstance(outcome, Failure) else _addresses(outcome, record_type)
            outcomes[record_type] = found
            if len(outcomes) == 2:
                finish()
            elif record_type == dns.A and isinstance(found, tuple) and found[0]:
                self.reactor.callLater(RESOLUTION_DELAY, finish)

        v4.addBoth(settled, dns.A)
        v6.addBoth(settled, dns.AAAA)
        return answer

    def _found(self, answer: tuple[tuple[str, ...], float], name: str) -> None:
        addresses, ttl = answer
        self._remember(name, _CacheEntry(addresses, self.reactor.seconds() + min(max(ttl, MIN_ANSWER_TTL),
                                                                               MAX_ANSWER_TTL)))
        for deliver in self._waiting.pop(name, []):
            deliver(addresses)

    def _failed(self, failure: Failure, name: str) -> None:
        if failure.check(*_TIMEOUTS):
            event, reason = "timeouts", f"no answer within {self.timeout:g} s"
        elif failure.check(dns_error.DNSNameError):
            event, reason = "not_found", "no such name"
        elif failure.check(*_LOOKUP_ERRORS):
            event, reason = "failures", f"{type(failure.value).__name__}: {failure.getErrorMessage()}"
        else:  # a bug: its traceback, and the requests waiting still fail rather than hang
            logger.error("DNS lookup of %s failed:\n%s", name, failure.getTraceback())
            event, reason = "failures", repr(failure.value)
        self._tell(event)
        waiting = self._waiting.pop(name, [])
        logger.warning("DNS lookup of %s failed (%s): %d request(s) fail; the name is not looked up again for %g s",
                       name, reason, len(waiting), self.failure_ttl)
        if self.failure_ttl > 0:
            self._remember(name, _CacheEntry((), self.reactor.seconds() + self.failure_ttl, reason))
        for deliver in waiting:
            deliver(())

    # -- cache ---------------------------------------------------------------------------

    def _cached(self, name: str) -> _CacheEntry | None:
        entry = self._cache.get(name)
        if entry is None:
            return None
        if entry.expires <= self.reactor.seconds():
            del self._cache[name]
            return None
        self._cache.move_to_end(name)
        return entry

    def _remember(self, name: str, entry: _CacheEntry) -> None:
        # Failures are kept even with DNSCACHE_ENABLED off: forgetting them is what let one
        # dead name cost a timeout per request.
        limit = self.cache_size if entry.addresses else max(self.cache_size, MIN_FAILURES_KEPT)
        if limit <= 0:
            return
        self._cache[name] = entry
        self._cache.move_to_end(name)
        while len(self._cache) > limit:
            self._cache.popitem(last=False)

    def _tell(self, event: str) -> None:
        for listener in self.listeners:
            listener(event)


def _addresses(answer: tuple[list[dns.RRHeader], Any, Any], record_type: int) -> tuple[list[str], float]:
    """The addresses of ``record_type`` in a DNS answer section (a recursive server's answer
    holds the CNAMEs followed and the target's records), and their smallest TTL."""
    records: list[Any] = [record for record in answer[0] if record.type == record_type]
    if record_type == dns.A:
        addresses = [record.payload.dottedQuad() for record in records]
    else:
        addresses = [socket.inet_ntop(socket.AF_INET6, record.payload.address) for record in records]
    return addresses, min((float(record.ttl) for record in records), default=0.0)


class ResolverStats:
    """Counts the events of the crawl's :class:`ArchiveResolver` as ``archive/dns/<event>``
    stats. Not configured when another resolver is installed."""

    def __init__(self, resolver: ArchiveResolver, stats: Any):
        self.resolver = resolver
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ResolverStats:
        from twisted.internet import reactor

        resolver = getattr(reactor, "nameResolver", None)
        if not isinstance(resolver, ArchiveResolver):
            raise NotConfigured("the crawl's DNS resolver is not scraper.resolver.ArchiveResolver")
        extension = cls(resolver, crawler.stats)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_started(self) -> None:
        self.resolver.listeners.append(self.count)

    def engine_stopped(self) -> None:
        if self.count in self.resolver.listeners:
            self.resolver.listeners.remove(self.count)

    def count(self, event: str) -> None:
        self.stats.inc_value(f"archive/dns/{event}")


class DnsPrefetchMiddleware:
    """A spider middleware that starts the DNS lookup of each request's host when the spider
    yields it, as Heritrix resolves a host before fetching from it.

    A request waiting for its host's lookup holds one of the downloader's
    ``CONCURRENT_REQUESTS`` (and a request waiting for its host's robots.txt, whose lookup
    it is, holds one too): a page naming many dead hosts would fill them all for
    ``DNS_TIMEOUT``. Looked up while its requests wait in the scheduler, a dead name has
    failed (and is remembered) before most of them reach the downloader. Requests through a
    proxy are left alone: the proxy resolves their hosts. Not configured when another
    resolver is installed.
    """

    def __init__(self, resolver: ArchiveResolver):
        self.resolver = resolver

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DnsPrefetchMiddleware:
        from twisted.internet import reactor

        resolver = getattr(reactor, "nameResolver", None)
        if not isinstance(resolver, ArchiveResolver):
            raise NotConfigured("the crawl's DNS resolver is not scraper.resolver.ArchiveResolver")
        return cls(resolver)

    def _prefetch(self, output: Any) -> None:
        if isinstance(output, Request) and "proxy" not in output.meta:
            host = urlsplit(output.url).hostname
            if host:
                self.resolver.prefetch(host)

    def process_spider_output(self, response: Any, result: Iterable[Any]) -> Iterator[Any]:
        for output in result:
            self._prefetch(output)
            yield output

    async def process_spider_output_async(self, response: Any, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in result:
            self._prefetch(output)
            yield output
