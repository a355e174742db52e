"""Names whose DNS never answers cost one deadline each and hold up nothing else.

A page whose requisites named hosts on a dead name server used to stall every host, even
127.0.0.1: Scrapy's resolver looks names up in the reactor's threads, which the dead names
held. These tests run a real name server on 127.0.0.1 that answers one name and takes every
other query without replying, and point the crawl's resolver at it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest
from twisted.internet.testing import MemoryReactorClock

from scraper.resolver import ArchiveResolver, ip_literal, parse_server, retry_delays
from tests.support.crawl import ROOT, project_env, run_crawl
from tests.support.dns import DeadNameSite, NameServer
from tests.support.warcs import records

DEAD_HOSTS = [f"dead-{n}.test" for n in range(20)]
PAGES = 15


class Receiver:
    """An IResolutionReceiver that keeps what it is told."""

    def __init__(self) -> None:
        self.addresses: list[tuple[str, str, int]] = []
        self.complete = False

    def resolutionBegan(self, resolution: Any) -> None:
        pass

    def addressResolved(self, address: Any) -> None:
        self.addresses.append((type(address).__name__, address.host, address.port))

    def resolutionComplete(self) -> None:
        self.complete = True


@pytest.mark.parametrize(("host", "expected"), [
    ("127.0.0.1", [("IPv4Address", "127.0.0.1", 80)]),
    ("[::1]", [("IPv6Address", "::1", 80)]),
    ("2001:DB8::1", [("IPv6Address", "2001:db8::1", 80)]),
    ("2130706433", [("IPv4Address", "127.0.0.1", 80)]),  # decimal, as the C library reads it
    ("0x7f.1", [("IPv4Address", "127.0.0.1", 80)]),
    ("LocalHost.", [("IPv4Address", "127.0.0.1", 80), ("IPv6Address", "::1", 80)]),  # RFC 6761
    ("shop.localhost", [("IPv4Address", "127.0.0.1", 80), ("IPv6Address", "::1", 80)]),
])
def test_ip_literals_and_localhost_are_answered_at_once_without_a_lookup(host: str, expected: list[Any]) -> None:
    with NameServer() as server:  # down: a lookup would never end
        resolver = ArchiveResolver(MemoryReactorClock(), timeout=5, failure_ttl=60, cache_size=100,
                                   servers=[parse_server(server.address)])
        events: list[str] = []
        resolver.listeners.append(events.append)
        receiver = Receiver()
        resolver.resolveHostName(cast(Any, receiver), host, 80)
        assert receiver.complete and receiver.addresses == expected  # before the reactor ran at all
        assert events == []  # no lookup


def test_names_that_only_look_numeric_are_names_and_servers_are_addresses() -> None:
    assert ip_literal("1.2.3.4.5") is None
    assert ip_literal("123.example") is None
    assert ip_literal("256.1.1.1") is None
    assert parse_server("10.0.0.2") == ("10.0.0.2", 53)
    assert parse_server("10.0.0.2:5353") == ("10.0.0.2", 5353)
    assert parse_server("[2001:db8::53]:54") == ("2001:db8::53", 54)
    assert parse_server("2001:db8::53") == ("2001:db8::53", 53)
    with pytest.raises(ValueError, match="not an IP address"):
        parse_server("ns1.example.org")
    assert retry_delays(10) == (1, 3, 6)  # each try of a query waits longer, all within the deadline
    assert retry_delays(0.5) == (0.5,)


RESOLVER_SCRIPT = """
import json, sys
from twisted.internet import task
from twisted.internet.defer import Deferred, ensureDeferred, gatherResults
from scraper.resolver import ArchiveResolver, parse_server

class Receiver:
    def __init__(self, name, finished):
        self.name, self.addresses, self.done = name, [], Deferred()
        self.done.addCallback(lambda _: finished.append([self.name, self.addresses]))
    def resolutionBegan(self, resolution): pass
    def addressResolved(self, address): self.addresses.append(address.host)
    def resolutionComplete(self): self.done.callback(None)

async def main(reactor):
    resolver = ArchiveResolver(reactor, timeout=1, failure_ttl=600, cache_size=100,
                               servers=[parse_server(sys.argv[1])])
    events = []
    resolver.listeners.append(events.append)
    finished = []
    receivers = [Receiver(name, finished) for name in ["dead.test"] * 50 + ["alive.test", "127.0.0.1"]]
    for receiver in receivers:
        resolver.resolveHostName(receiver, receiver.name, 80)
    await gatherResults([receiver.done for receiver in receivers])
    again = Receiver("dead.test", finished)
    resolver.resolveHostName(again, "dead.test", 80)
    print(json.dumps({"finished": finished, "again_at_once": again.done.called, "events": events}))

task.react(lambda reactor: ensureDeferred(main(reactor)))
"""


def test_a_dead_name_is_looked_up_once_and_holds_up_no_other_name() -> None:
    with NameServer({"alive.test": "127.0.0.1"}) as server:
        done = subprocess.run([sys.executable, "-c", RESOLVER_SCRIPT, server.address], cwd=ROOT, env=project_env(),
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    finished = [name for name, _ in report["finished"]]
    # The IP literal at once, the live name as soon as it was answered, the 50 waits for the
    # dead one after them: none waited behind it.
    assert finished[:2] == ["127.0.0.1", "alive.test"]
    assert finished[2:] == ["dead.test"] * 51
    assert [addresses for name, addresses in report["finished"] if name == "alive.test"] == [["127.0.0.1"]]
    assert all(addresses == [] for name, addresses in report["finished"] if name == "dead.test")
    # 50 requests, one query of each type; asked again, the name fails at once from the cache.
    assert server.queries.count(("dead.test", "A")) == 1
    assert server.queries.count(("dead.test", "AAAA")) == 1
    assert report["again_at_once"] is True
    assert sorted(report["events"]) == ["cached_failures", "lookups", "lookups", "timeouts"]
    assert "DNS lookup of dead.test failed (no answer within 1 s): 50 request(s) fail" in done.stderr


@pytest.mark.parametrize("robots", ["1", "0"])
def test_a_loopback_crawl_whose_pages_name_dead_hosts_archives_every_page(tmp_path: Path, robots: str) -> None:
    """Pages on 127.0.0.1 and on localhost, each with images on 20 names whose name server
    never answers and on one it answers: every page and live image is archived, each dead
    name costs one lookup however many requests name it, and the crawl ends."""
    with NameServer({"alive.test": "127.0.0.1"}) as server, DeadNameSite(DEAD_HOSTS, ["alive.test"]) as site:
        page_urls = [f"http://{host}:{site.port}/page/{n}" for host in ("127.0.0.1", "localhost") for n in range(PAGES)]
        urls_file = tmp_path / "urls.txt"
        urls_file.write_text("\n".join(page_urls) + "\n")
        result = run_crawl(tmp_path / "archive", {"urls_file": str(urls_file)}, {
            "ARCHIVE_DNS_SERVERS": server.address,
            "DNS_TIMEOUT": "1",
            "ARCHIVE_DNS_FAILURE_TTL": "600",  # longer than the crawl: each dead name fails once
            "ARCHIVE_PRIVATE_ADDRESS_HOSTS": "alive.test",  # a requisite host at 127.0.0.1
            "ROBOTSTXT_OBEY": robots,
            "RETRY_TIMES": "1",
        })
    assert result.returncode == 0, result.log
    stats = result.manifest["stats"]
    assert stats["finish_reason"] == "finished"
    archived = {record.rec_headers["WARC-Target-URI"] for record in records(result.warc_files(), "response")}
    live_images = {f"http://{host}:{site.port}/img/{n}.png" for host in ("127.0.0.1", "localhost", "alive.test")
                   for n in range(PAGES)}
    assert set(page_urls) | live_images <= archived
    assert not any(".test/" in url and "alive.test" not in url for url in archived)
    # One lookup and one timeout per dead name, one query of each type sent for it, however
    # many requests (robots.txt, 15 images, their retries) named it.
    assert stats["archive/dns/lookups"] == len(DEAD_HOSTS) + 1  # and alive.test; no IP, no localhost
    assert stats["archive/dns/timeouts"] == len(DEAD_HOSTS)
    for host in DEAD_HOSTS:
        assert server.queries.count((host, "A")) == 1, host
    asked_dead = PAGES * len(DEAD_HOSTS) if robots == "0" else len(DEAD_HOSTS)  # images, or robots.txt that bars them
    assert stats["downloader/exception_type_count/scrapy.exceptions.CannotResolveHostError"] == 2 * asked_dead
    assert stats["archive/dns/cached_failures"] > 0
