"""Fixtures shared by the tests, made from the helpers in ``tests/support/`` (import those directly)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.rawsite import RawSite
from tests.support.redisserver import RedisServer, find_redis_server
from tests.support.s3server import WeedServer


@pytest.fixture
def raw_site() -> Iterator[tuple[RawSite, str]]:
    """The raw test site, serving on 127.0.0.1, and its base URL."""
    site = RawSite()
    base = site.start()
    yield site, base
    site.stop()


@pytest.fixture(scope="module")
def weed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WeedServer]:
    """A SeaweedFS S3 server with one bucket, shared by the tests of a module."""
    with WeedServer(tmp_path_factory.mktemp("weed") / "data") as server:
        yield server


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own on 127.0.0.1 (nothing kept on disk), stopped after it.

    Tests that restart it with its data build :class:`RedisServer` with ``appendonly=True``."""
    if find_redis_server() is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with RedisServer(tmp_path / "redis") as server:
        yield server
