"""A local folder as the archive's storage: files are written in place, the manifest renamed in last."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from scraper.archive.manifest import MANIFEST_NAME
from scraper.files import LockHeld, take_lock, write_atomically
from scraper.storage.base import ArchiveUri

if TYPE_CHECKING:
    from scraper.archive.manifest import CompletedFile
    from scraper.component import Crawler

__all__ = ["FileStorage"]

logger = logging.getLogger(__name__)


class FileStorage:
    """A local folder: files are written in place, the manifest is renamed in last."""

    def __init__(self, root: Path | str):
        self.root = Path(root).expanduser().resolve()
        self._locks: dict[str, int] = {}  # crawl id -> the descriptor holding its lock
        self._lock_paths: dict[str, Path] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, uri: ArchiveUri) -> FileStorage:
        """A plain path or ``file:///abs/path``; it reads no settings."""
        return cls(uri.path)

    @classmethod
    def from_uri(cls, uri: str) -> FileStorage:
        return cls(ArchiveUri.parse(uri).path)

    def crawl_folder(self, crawl_id: str) -> Path:
        return self.root / crawl_id

    def open_crawl(self, crawl_id: str, *, keep_files_until_published: bool, worker: str = "") -> Path:
        """Claim the crawl's folder for this process (a lock beside it, ``.<crawl_id>.lock``,
        or ``.<crawl_id>.<worker>.lock`` for one worker of a shared crawl; released when the
        process ends however it ends); files are written in place and never moved, so
        nothing is kept apart. Raises ``FileExistsError`` if another process holds it."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock_path = self._lock_path(crawl_id, worker)
        try:
            fd = take_lock(lock_path, str(os.getpid()))
        except LockHeld as held:
            raise FileExistsError(
                f"crawl {crawl_id} is running: {lock_path} is held by process {held.holder or 'another process'}; "
                "a second start with the same ARCHIVE_CRAWL_ID is refused"
            ) from None
        self._locks[crawl_id] = fd
        self._lock_paths[crawl_id] = lock_path
        return self.crawl_folder(crawl_id)

    def _lock_path(self, crawl_id: str, worker: str) -> Path:
        return self.root / (f".{crawl_id}.{worker}.lock" if worker else f".{crawl_id}.lock")

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise PermissionError(f"archive folder {self.root} is not writable")

    def is_complete(self, crawl_id: str) -> bool:
        """The crawl's folder has its manifest."""
        return (self.crawl_folder(crawl_id) / MANIFEST_NAME).exists()

    def file_completed(self, crawl_id: str, completed: CompletedFile) -> None:
        logger.debug("Completed %s (%d bytes)", completed.relpath, completed.size)

    def publish_manifest(self, crawl_id: str, manifest: bytes) -> None:
        write_atomically(self.crawl_folder(crawl_id) / MANIFEST_NAME, manifest)
        self.close_worker(crawl_id)

    def adopt_file(self, crawl_id: str, relpath: str, size: int, sha256: str) -> None:
        """Every worker writes into the one folder: the file must be there, of its size."""
        path = self.crawl_folder(crawl_id) / relpath
        if not path.is_file() or path.stat().st_size != size:
            raise FileNotFoundError(f"{path}: another worker's file of {size} bytes is not there")

    def fetch_file(self, crawl_id: str, relpath: str) -> Path:
        """Every worker writes into the one folder: the file is there."""
        return self.crawl_folder(crawl_id) / relpath

    def wait_stored(self, crawl_id: str) -> None:
        """Files are written in place: nothing to wait for."""

    def close_worker(self, crawl_id: str) -> None:
        """Files are in place already: the claim is let go."""
        fd = self._locks.pop(crawl_id, None)
        lock_path = self._lock_paths.pop(crawl_id, None)
        if fd is not None and lock_path is not None:
            lock_path.unlink(missing_ok=True)
            os.close(fd)

    def location(self, crawl_id: str) -> str:
        return str(self.crawl_folder(crawl_id))
