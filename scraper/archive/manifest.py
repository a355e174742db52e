"""The crawl's manifest: its file name and the entry it lists for each finished file.

A crawl folder is complete when it has ``manifest.json``, written last (see the README's
archive layout): every other file is listed there with its size and SHA-256.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scraper.files import file_sha256

__all__ = ["MANIFEST_NAME", "CompletedFile", "completed_file"]

MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class CompletedFile:
    """A finished file of the crawl, as the manifest lists it."""

    path: Path
    relpath: str  # relative to the crawl folder, with forward slashes
    size: int
    sha256: str

    def manifest_entry(self) -> dict[str, Any]:
        return {"path": self.relpath, "size": self.size, "sha256": self.sha256}


def completed_file(crawl_dir: Path, path: Path) -> CompletedFile:
    """Describe a finished file made outside a segment writer (an index, a package)."""
    return CompletedFile(path, path.relative_to(crawl_dir).as_posix(), path.stat().st_size, file_sha256(path))
