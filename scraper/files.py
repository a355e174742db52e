"""Durable file writes, file digests and lock files: the one rule every file of ours is written by.

A file is written under its name plus :data:`OPEN_SUFFIX`, flushed to the disk
(``fsync``), renamed to its name, and its folder synced, so that a reader or a crash
sees either no file or the whole file, never half of one. Used by every layer (archive,
storage, extraction's site template); it knows nothing of what the files hold.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "OPEN_SUFFIX", "LockHeld", "atomic_file", "file_sha256", "fsync_folder", "open_path", "take_lock",
    "write_atomically",
]

#: A file still being written has this suffix; it is renamed when complete.
OPEN_SUFFIX = ".open"
READ_BLOCK = 1 << 20


def open_path(path: Path) -> Path:
    """Where ``path`` is written while it is incomplete."""
    return path.with_name(path.name + OPEN_SUFFIX)


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX: the folder's entry must reach the disk too)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def atomic_file(path: Path, *, text: bool = False) -> Iterator[IO[Any]]:
    """Open ``path`` under its ``.open`` name for writing; on a clean exit, sync and rename it in.

    Binary, or UTF-8 text with ``text=True``. If the block raises, the ``.open`` file is
    removed and ``path`` is left as it was. Raises what ``open``, ``fsync`` and
    ``os.replace`` raise (``OSError``: a full disk, no permission).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = open_path(path)
    try:
        with open(scratch, "w" if text else "wb", encoding="utf-8" if text else None) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(scratch, path)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` by the rule above: no reader ever sees it half-written."""
    with atomic_file(path) as f:
        f.write(data)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as lowercase hex (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(READ_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


class LockHeld(BlockingIOError):
    """Another process holds the lock file ``path``; ``holder`` is what it wrote in it ("" if nothing)."""

    def __init__(self, path: Path, holder: str):
        super().__init__(f"{path} is held by {holder or 'another process'}")
        self.path = path
        self.holder = holder


def take_lock(path: Path, holder: str = "") -> int:
    """An exclusive ``flock`` on the file ``path`` (created if missing), taken without
    waiting, with ``holder`` written inside for whoever is refused (empty: the file is left
    as it is). Returns the descriptor: closing it, or the process ending however it ends,
    lets go. Raises :class:`LockHeld` if another process holds it.

    Hand-written: the standard library has ``fcntl.flock`` but no lock that tells the
    refused process who holds it, which is what our refusal messages say."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        held_by = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
        os.close(fd)
        raise LockHeld(path, held_by) from None
    if holder:
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder.encode("utf-8"), 0)
    return fd
