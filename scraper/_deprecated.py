"""The module paths of release 0.1, importable for one more release with a DeprecationWarning.

Settings name classes by dotted path (``ARCHIVE_STORAGES``, ``ARCHIVE_DERIVERS``,
``DOWNLOAD_HANDLERS``), so a project whose settings still say ``scraper.s3.S3Storage``
keeps working after the move to subpackages, and is told the new path. The old module
name is an alias of the new module (one object, not a copy). Remove in 0.3.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

__all__ = ["MOVED_MODULES", "install"]

#: Old module path -> where it lives now.
MOVED_MODULES = {
    "scraper.warc": "scraper.archive.warc",
    "scraper.wet": "scraper.archive.wet",
    "scraper.indexing": "scraper.archive.cdxj",
    "scraper.wacz": "scraper.archive.wacz",
    "scraper.verify": "scraper.archive.verify",
    "scraper.s3": "scraper.storage.s3",
    "scraper.wire": "scraper.downloadhandlers",
    "scraper.extraction": "scraper.extract.extractor",
    "scraper.boilerplate": "scraper.extract.boilerplate",
    "scraper.language": "scraper.extract.language",
    "scraper.discovery": "scraper.extract.discovery",
    "scraper.forkserver": "scraper.workers.forkserver",
    "scraper.reextract": "scraper.tools.reextract",
}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, new_name: str):
        self.new_name = new_name

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(f"{spec.name} is deprecated: import {self.new_name}", DeprecationWarning, stacklevel=2)
        return importlib.import_module(self.new_name)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module is the new one, already imported."""


class _MovedModuleFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        new_name = MOVED_MODULES.get(fullname)
        if new_name is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(new_name))


def install() -> None:
    """Put the finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, _MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.append(_MovedModuleFinder())
