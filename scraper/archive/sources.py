"""What a researcher hands our readers: a crawl folder, a WARC or ARC file, a folder of them, a WACZ.

Finds the WARC/ARC files in any of these and opens each, on disk or inside a WACZ
package's ``archive/`` (read in place: a WACZ stores its WARCs uncompressed in the zip,
so they can be read at any offset). It reads no record; :mod:`scraper.archive.reader` does.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from scraper.archive.cdxj import is_warc_name, warc_stem
from scraper.archive.manifest import MANIFEST_NAME

__all__ = ["CRAWL", "FOLDER", "WACZ", "WARC_FILE", "ArchiveFile", "archive_files", "source_kind", "wacz_warcs"]

#: The kinds of source, as the summaries name them.
CRAWL = "crawl folder"
FOLDER = "folder of WARC/ARC files"
WARC_FILE = "WARC/ARC file"
WACZ = "WACZ package"


@dataclass(frozen=True)
class ArchiveFile:
    """One WARC or ARC file to read: a file on disk, or ``member`` of the WACZ package at ``path``."""

    path: Path
    member: str = ""

    @property
    def name(self) -> str:
        """The file's own name, as text rows and CDXJ lines name it (``filename``)."""
        return PurePosixPath(self.member).name if self.member else self.path.name

    def label(self, root: Path | None = None) -> str:
        """Where it is, for people: relative to ``root`` if given, a WACZ member after its package."""
        where = self.path.relative_to(root).as_posix() if root is not None and self.path != root else self.path.name
        return f"{where}/{self.member}" if self.member else where

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The file's bytes, seekable (a WACZ member is read inside the package, not copied out)."""
        if not self.member:
            with open(self.path, "rb") as f:
                yield f
            return
        with zipfile.ZipFile(self.path) as package, package.open(self.member) as f:
            yield f


def wacz_warcs(path: Path) -> list[ArchiveFile]:
    """The WARC/ARC files in a WACZ package's ``archive/``, in name order.

    Raises ``zipfile.BadZipFile`` (or ``OSError``) for a file that is no zip package.
    """
    with zipfile.ZipFile(path) as package:
        names = sorted(name for name in package.namelist()
                       if name.startswith("archive/") and is_warc_name(PurePosixPath(name).name))
    return [ArchiveFile(path, name) for name in names]


def source_kind(source: Path) -> str:
    """Which kind of source ``source`` is: :data:`CRAWL`, :data:`FOLDER`, :data:`WARC_FILE` or :data:`WACZ`.

    A folder with a ``manifest.json`` or a ``warc/`` folder is a crawl. Raises
    ``FileNotFoundError`` if there is nothing at ``source``.
    """
    if source.is_file():
        return WACZ if source.name.endswith(".wacz") else WARC_FILE
    if not source.is_dir():
        raise FileNotFoundError(f"no WARC, ARC or WACZ file or folder at {source}")
    if (source / MANIFEST_NAME).is_file() or (source / "warc").is_dir():
        return CRAWL
    return FOLDER


def archive_files(source: Path) -> list[ArchiveFile]:
    """Every WARC/ARC file of ``source``: a crawl's ``warc/``, a file, a WACZ's ``archive/``,
    or all under a folder (WACZ packages' WARCs included), in path order.

    Raises ``FileNotFoundError`` if nothing is there, ``ValueError`` if two files share a
    name (text rows name their WARC by file name alone).
    """
    kind = source_kind(source)
    if kind == WACZ:
        return wacz_warcs(source)
    if kind == WARC_FILE:
        return [ArchiveFile(source)]
    folder = source / "warc" if kind == CRAWL else source
    found: list[ArchiveFile] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if is_warc_name(path.name):
            found.append(ArchiveFile(path))
        elif kind == FOLDER and path.name.endswith(".wacz"):
            found += wacz_warcs(path)
    stems = Counter(warc_stem(f.name) for f in found)
    twins = sorted(stem for stem, count in stems.items() if count > 1)
    if twins:
        raise ValueError(f"WARC files with the same name in different places of {source}: {', '.join(twins)}")
    return found
