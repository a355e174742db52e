"""Where finished crawl files go: a storage per ``ARCHIVE_URI`` scheme, a local folder or S3.

Storage moves the archive's files and knows nothing of WARC or Scrapy.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    """``scraper.storage.FileStorage``, the 0.1 path, still resolves (deprecated; remove in 0.3)."""
    if name == "FileStorage":
        import warnings

        from scraper.storage.local import FileStorage

        warnings.warn("scraper.storage.FileStorage is deprecated: use scraper.storage.local.FileStorage",
                      DeprecationWarning, stacklevel=2)
        return FileStorage
    raise AttributeError(name)
