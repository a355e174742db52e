"""A page cannot send the crawler to a private address: not by redirect, not by requisite.

ARCHIVE_BLOCK_PRIVATE_ADDRESSES is checked on the address a connection reached, so the
test serves the start URL on 127.0.0.1 and a "victim" on 127.0.0.2, the address the
start page's redirects and images point to (by name, as a decimal number, IPv4-mapped).
"""

from __future__ import annotations

import pytest

from scraper.downloadhandlers import AddressGuard
from tests.support.crawl import CrawlResult, run_crawl
from tests.support.hostile import HostileServer

STARTS = ["/h/redirect-loopback", "/h/redirect-decimal", "/h/redirect-mapped", "/h/private-requisites"]


def crawl_with_victim(tmp_path, settings: dict[str, str]) -> tuple[HostileServer, HostileServer, CrawlResult]:
    start = HostileServer()
    base = start.start()
    victim = HostileServer(host="127.0.0.2")
    victim.port = start.port  # the pages name the start server's port
    victim.start()
    try:
        result = run_crawl(tmp_path / "archive", {"urls": ",".join(base + path for path in STARTS)},
                           {"DOWNLOAD_TIMEOUT": "2", "RETRY_TIMES": "0", **settings})
    finally:
        start.stop()
        victim.stop()
    assert result.returncode == 0, result.log
    return start, victim, result


def hosts_asked(server: HostileServer) -> set[str]:
    return {line.split(b":", 1)[1].strip().decode() for head in server.request_heads
            for line in head.split(b"\r\n") if line.lower().startswith(b"host:")}


def test_redirects_and_requisites_to_private_addresses_are_not_fetched(tmp_path) -> None:
    start, victim, result = crawl_with_victim(tmp_path, {})
    assert victim.request_heads == []  # 127.0.0.2 and ::ffff:127.0.0.2: not one byte
    assert hosts_asked(start) == {f"127.0.0.1:{start.port}"}  # 2130706433 is 127.0.0.1 by another name
    port = start.port
    blocked = {line.split("Not fetched: ", 1)[1].split(" ", 1)[0] for line in result.log.splitlines()
               if "ARCHIVE_BLOCK_PRIVATE_ADDRESSES)" in line}
    loopback = {f"http://{host}:{port}{path}" for host in ("127.0.0.2", "2130706433", "[::ffff:127.0.0.2]")
                for path in ("/robots.txt", "/h/ok")}  # the image on 127.0.0.2 is the same URL as a redirect's
    assert loopback <= blocked
    # 169.254.169.254 and 10.1.2.3 are blocked too where something answers there (else they time out)
    assert blocked <= loopback | {"http://169.254.169.254/robots.txt", "http://169.254.169.254/latest/meta-data/x.png",
                                  "http://10.1.2.3/robots.txt", "http://10.1.2.3/x.js"}
    assert result.manifest["stats"]["archive/blocked/private_address"] == len(blocked)
    assert "Traceback" not in result.log


def test_the_guard_can_be_switched_off(tmp_path) -> None:
    start, victim, _ = crawl_with_victim(tmp_path, {"ARCHIVE_BLOCK_PRIVATE_ADDRESSES": "0"})
    assert "/h/ok" in victim.paths()
    assert f"2130706433:{start.port}" in hosts_asked(start)


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.216.34", True), ("2606:2800:220:1:248:1893:25c8:1946", True),
    ("127.0.0.1", False), ("127.0.0.2", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("::1", False), ("fe80::1", False),
    ("fd00::1", False), ("::ffff:127.0.0.2", False), ("::ffff:169.254.169.254", False), ("::ffff:93.184.216.34", True),
])
def test_which_addresses_are_public(address, public) -> None:
    assert AddressGuard().permits("example.org", address) is public
    assert AddressGuard(allowed_hosts=frozenset({"example.org"})).permits("Example.ORG", address)
