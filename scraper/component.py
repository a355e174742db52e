"""What a component of the archive sees of the crawl that builds it: three small Protocols.

Storages and derivers are named in settings (``ARCHIVE_STORAGES``, ``ARCHIVE_DERIVERS``) and a
user may name their own, so they keep Scrapy's convention: ``from_crawler(crawler)`` reads the
component's own settings and passes plain values to ``__init__``. Only the class knows which
settings it reads, so the glue could not build them for it; typing ``from_crawler`` against
these Protocols instead of Scrapy's classes keeps ``scraper.archive``, ``scraper.storage`` and
``scraper.extract`` free of Scrapy, and a test can pass any object with the same methods.
Scrapy's ``Crawler``, ``Settings`` and ``StatsCollector`` satisfy them as they are.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["Crawler", "Settings", "Stats"]


class Settings(Protocol):
    """Settings read by name (as Scrapy's ``BaseSettings``); defaults are in scraper/settings.py."""

    def get(self, name: str, default: Any = None) -> Any: ...

    def getbool(self, name: str, default: bool = False) -> bool: ...

    def getint(self, name: str, default: int = 0) -> int: ...

    def getfloat(self, name: str, default: float = 0.0) -> float: ...

    def getlist(self, name: str, default: list[Any] | None = None) -> list[Any]: ...


class Stats(Protocol):
    """Crawl statistics (as Scrapy's ``StatsCollector``); keys are namespaced ``archive/...``."""

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...

    def set_value(self, key: str, value: Any) -> None: ...


class Crawler(Protocol):
    """The part of Scrapy's ``Crawler`` a component's ``from_crawler`` may use."""

    @property
    def settings(self) -> Settings: ...

    @property
    def stats(self) -> Stats: ...
