"""News article archiver: Scrapy spiders that write byte-faithful WARC and linked clean text."""

from scraper import _deprecated

__version__ = "0.1.0"

__all__ = ["__version__"]

_deprecated.install()
