"""The benchmark site (``benchmarks.site``) served on 127.0.0.1 from a thread, for tests
that crawl many real article pages."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from benchmarks.site import DEFAULT_CORPUS, BenchSite, BenchSiteServer

__all__ = ["serving_bench_site"]


@contextmanager
def serving_bench_site(pages: int) -> Iterator[tuple[BenchSite, str]]:
    """``pages`` article pages of the benchmark corpus, served until the block ends:
    the site and its base URL."""
    bench = BenchSite.from_corpus(DEFAULT_CORPUS, pages)
    server = BenchSiteServer(bench)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield bench, server.base_url
    finally:
        server.shutdown()
        server.server_close()
