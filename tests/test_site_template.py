"""The site template learned by crawls is kept for later crawls, in a file or on the shared Redis.

With ``ARCHIVE_FRONTIER`` the processes of a crawl learn one template together: what one
process saw on a site's pages helps the others drop the site's furniture, and two
processes saving at once add up their counts instead of overwriting each other's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scraper.extract.boilerplate import SiteBoilerplate
from scraper.history.redis import archive_namespace, connect
from scraper.history.sitetemplate import FileSiteTemplate, RedisSiteTemplate, SiteTemplateStore
from tests.support.redisserver import RedisServer

ARCHIVE = "file:///srv/archive"
FOOTER = "Sfooter-of-every-page"  # a short paragraph's fingerprint


def page(n: int, host: str = "news.example") -> tuple[str, list[str]]:
    """The URL of page ``n`` and its paragraph fingerprints: its own text and the footer."""
    return f"https://{host}/news/{n}.html", [f"Sown-text-{n}", FOOTER]


@pytest.fixture(params=["file", "redis"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    stores: list[SiteTemplateStore] = []

    def opener() -> SiteTemplateStore:
        store: SiteTemplateStore
        if request.param == "file":
            store = FileSiteTemplate(tmp_path / "site-boilerplate.json")
        else:
            store = RedisSiteTemplate(connect(server.url), archive_namespace(ARCHIVE))
        stores.append(store)
        return store

    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
    yield opener
    for store in stores:
        store.close()


def test_what_a_crawl_learned_is_there_for_the_next(open_store: Any) -> None:
    store = open_store()
    learned = store.load(SiteBoilerplate(min_pages=3, min_share=0.05))
    assert learned.hosts() == []
    for n in range(4):
        url, fingerprints = page(n)
        learned.observe(url, fingerprints)
        store.observed(url, fingerprints)
    assert learned.template_for(page(9)[0]) == {FOOTER}
    store.save(learned)
    later = open_store().load(SiteBoilerplate(min_pages=5))
    assert later.template_for(page(9)[0]) == {FOOTER}
    assert (later.min_pages, later.min_share) == (3, 0.05)  # the thresholds it was learned with


def test_the_processes_of_a_crawl_learn_the_template_together(redis_server: RedisServer) -> None:
    """Two processes each see two pages of a site: neither alone has seen the footer on the
    three pages that make it template; at their next exchange each learns what the other saw."""
    stores = [RedisSiteTemplate(connect(redis_server.url), archive_namespace(ARCHIVE)) for _ in range(2)]
    learned = [store.load(SiteBoilerplate(min_pages=3)) for store in stores]

    def see(index: int, numbers: list[int]) -> None:
        for n in numbers:
            url, fingerprints = page(n)
            learned[index].observe(url, fingerprints)
            stores[index].observed(url, fingerprints)
        for host, (pages, counts) in stores[index].exchange().items():
            learned[index].replace_host(host, pages, counts)

    see(0, [0, 1])
    assert learned[0].template_for(page(9)[0]) == frozenset()
    see(1, [2, 3])
    assert learned[1].template_for(page(9)[0]) == {FOOTER}  # four pages, two its own
    see(0, [4])
    assert learned[0].template_for(page(9)[0]) == {FOOTER}
    assert len(learned[0].to_json()["hosts"]["news.example"]["pages"]) == 5
    for store in stores:
        store.close()


def test_processes_saving_at_once_add_up_their_counts(redis_server: RedisServer) -> None:
    """Four processes save 500 pages each at the same moment, 100 of each the same pages as
    another's (a page handed again after a lease expired): every page counts once."""
    stores = [RedisSiteTemplate(connect(redis_server.url), archive_namespace(ARCHIVE), exchange_every=10**6)
              for _ in range(4)]
    learned = [store.load(SiteBoilerplate(min_pages=3)) for store in stores]
    for index, (store, template) in enumerate(zip(stores, learned, strict=True)):
        for n in range(index * 400, index * 400 + 500):
            url, fingerprints = page(n)
            template.observe(url, fingerprints)
            assert not store.observed(url, fingerprints)
    start = threading.Barrier(len(stores))

    def save(index: int) -> None:
        start.wait()
        stores[index].save(learned[index])

    threads = [threading.Thread(target=save, args=(index,)) for index in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    later = RedisSiteTemplate(connect(redis_server.url), archive_namespace(ARCHIVE))
    merged = later.load(SiteBoilerplate(min_pages=3)).to_json()["hosts"]["news.example"]
    assert len(merged["pages"]) == 3 * 400 + 500
    assert merged["counts"][FOOTER] == 3 * 400 + 500
    assert merged["counts"]["Sown-text-450"] == 1
    for store in (*stores, later):
        store.close()


def test_an_exchange_is_due_after_enough_pages(redis_server: RedisServer) -> None:
    store = RedisSiteTemplate(connect(redis_server.url), archive_namespace(ARCHIVE), exchange_every=3,
                              exchange_after=3600)
    store.load(SiteBoilerplate(min_pages=3))
    assert [store.observed(*page(n)) for n in range(3)] == [False, False, True]
    store.exchange()
    assert not store.observed(*page(3))
    store.close()
