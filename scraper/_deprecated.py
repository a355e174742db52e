"""The module paths of release 0.1, importable for one more release with a DeprecationWarning.

Settings name classes by dotted path (``ARCHIVE_STORAGES``, ``ARCHIVE_DERIVERS``,
``DOWNLOAD_HANDLERS``), so a project whose settings still say ``scraper.s3.S3Storage``
keeps working after the move to subpackages, and is told the new path. The old module
name is an alias of the new module (one object, not a copy); an old module whose contents
were later split over several (:data:`SPLIT_MODULES`) is a module that looks each name up
in them, in order, so that 0.1's public names still import from it. Remove in 0.3.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

__all__ = ["MOVED_MODULES", "SPLIT_MODULES", "install"]

#: Old module path -> where it lives now.
MOVED_MODULES = {
    "scraper.warc": "scraper.archive.warc",
    "scraper.wet": "scraper.archive.wet",
    "scraper.indexing": "scraper.archive.cdxj",
    "scraper.wacz": "scraper.archive.wacz",
    "scraper.verify": "scraper.archive.verify",
    "scraper.s3": "scraper.storage.s3",
    "scraper.wire": "scraper.downloadhandlers",
    "scraper.language": "scraper.extract.language",
    "scraper.discovery": "scraper.extract.discovery",
    "scraper.forkserver": "scraper.workers.forkserver",
    "scraper.reextract": "scraper.tools.reextract",
}


#: Old module path -> the modules its public names live in now (the first that has a name wins).
SPLIT_MODULES = {
    "scraper.extraction": ("scraper.extract.extractor", "scraper.extract.metadata", "scraper.extract.signals",
                           "scraper.extract.model"),
    "scraper.boilerplate": ("scraper.extract.boilerplate", "scraper.extract.lines"),
}


class _SplitModule(ModuleType):
    """An old module split over ``parts``: each attribute is looked up in them, in order."""

    def __init__(self, name: str, parts: tuple[ModuleType, ...]):
        super().__init__(name)
        self._parts = parts

    def __getattr__(self, attribute: str) -> object:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        for part in self._parts:
            if hasattr(part, attribute):
                return getattr(part, attribute)
        raise AttributeError(f"module {self.__name__!r} has no attribute {attribute!r}")


class _SplitLoader(importlib.abc.Loader):
    def __init__(self, new_names: tuple[str, ...]):
        self.new_names = new_names

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(f"{spec.name} is deprecated: import from {', '.join(self.new_names)}", DeprecationWarning,
                      stacklevel=2)
        return _SplitModule(spec.name, tuple(importlib.import_module(name) for name in self.new_names))

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the parts are imported already."""


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
        if new_name is not None:
            return importlib.machinery.ModuleSpec(fullname, _AliasLoader(new_name))
        parts = SPLIT_MODULES.get(fullname)
        if parts is not None:
            return importlib.machinery.ModuleSpec(fullname, _SplitLoader(parts))
        return None


def install() -> None:
    """Put the finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, _MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.append(_MovedModuleFinder())
