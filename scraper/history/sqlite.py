"""The crawl history in one SQLite file (the standard library's ``sqlite3``), kept with the archive.

A row per URL and crawl that fetched it, and a row per crawl. Records wait in memory and
are written in batches by :meth:`SqliteHistory.flush` (one transaction; WAL journal, so
a crash loses at most the last batch and never leaves the file unreadable). The file is
locked while a crawl uses it (``flock`` on ``<file>.lock``): a second crawl is refused
with a message naming the first.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple, fields
from datetime import datetime, timezone
from pathlib import Path

from scraper.files import LockHeld, take_lock
from scraper.history.base import Capture, CrawlRun, HistoryCorrupt, HistoryError, HistoryLocked

__all__ = ["SCHEMA_VERSION", "SqliteHistory", "history_lock"]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_COLUMNS = tuple(f.name for f in fields(Capture))
_SELECT = ", ".join(_COLUMNS)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS captures (
    url TEXT NOT NULL,
    seen_by TEXT NOT NULL,          -- the crawl that fetched the URL (crawl_id: where the payload is)
    status INTEGER NOT NULL,
    fetched_at TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    crawl_id TEXT NOT NULL,
    warc_filename TEXT NOT NULL,
    warc_offset INTEGER NOT NULL,
    warc_record_id TEXT NOT NULL,
    payload_digest TEXT NOT NULL,
    payload_bytes INTEGER NOT NULL,
    etag TEXT,
    last_modified TEXT,
    text_fingerprint TEXT,
    text_version INTEGER,
    text_record_id TEXT,
    PRIMARY KEY (url, seen_by)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS crawls (
    crawl_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    finish_reason TEXT,
    confirmed INTEGER NOT NULL DEFAULT 0
);
PRAGMA user_version = {SCHEMA_VERSION};
"""
_UPSERT = (
    f"INSERT OR REPLACE INTO captures (seen_by, {_SELECT}) VALUES (?, {', '.join('?' for _ in _COLUMNS)})"
)
_VISIBLE = "seen_by IN (SELECT crawl_id FROM crawls WHERE confirmed = 1 OR crawl_id = ?)"


class SqliteHistory:
    """:class:`~scraper.history.base.CrawlHistory` in a SQLite file.

    Thread-safe: lookups and records on the reactor thread, :meth:`flush` in another.
    ``owner`` (the crawl id) is written into the lock file, for the message a second
    crawl gets. ``check``: run SQLite's ``quick_check`` on opening (reads the whole file once).
    ``read_only``: to look, not to record (``scrapy history``): no lock, the file must exist.
    """

    def __init__(self, path: Path | str, *, owner: str = "", check: bool = True, read_only: bool = False):
        self.path = Path(path)
        self.where = str(self.path)  # for log lines, as every store has it
        self._lock_fd: int | None = None
        if read_only:
            if not self.path.is_file():
                raise HistoryError(f"no crawl history at {self.path}")
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock_fd = _lock(self.path, owner)
        self._mutex = threading.Lock()
        self._pending: dict[str, Capture] = {}
        self._running = ""
        try:
            if read_only:
                self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                           check_same_thread=False, isolation_level=None)
                self._open(check, create=False)
            else:
                self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
                self._open(check)
        except sqlite3.DatabaseError as error:
            self._release()
            raise HistoryCorrupt(
                f"the crawl history {self.path} cannot be read ({error}). Rebuild it from the archive's "
                f"indexes and text rows with `scrapy history --rebuild` (the damaged file is kept beside "
                f"it), or run this crawl without it: -s ARCHIVE_HISTORY=False"
            ) from error
        except BaseException:
            self._release()
            raise

    def _open(self, check: bool, *, create: bool = True) -> None:
        db = self._db
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise HistoryError(f"the crawl history {self.path} was written by a newer version (schema {version})")
        if check:
            result = db.execute("PRAGMA quick_check").fetchone()[0]
            if result != "ok":
                raise sqlite3.DatabaseError(result)
        if not create:
            db.execute("SELECT count(*) FROM captures JOIN crawls ON crawls.crawl_id = seen_by").fetchone()
            return
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")  # WAL: a crash loses the last batch, never the file
        db.executescript(_SCHEMA)

    # -- the interface -----------------------------------------------------------------

    def lookup(self, url: str) -> Capture | None:
        with self._mutex:
            capture = self._pending.get(url)
            if capture is not None:
                return capture
            row = self._db.execute(
                f"SELECT {_SELECT} FROM captures WHERE url = ? AND {_VISIBLE} ORDER BY checked_at DESC LIMIT 1",
                (url, self._running),
            ).fetchone()
        return Capture(*row) if row is not None else None

    def captures(self, url: str) -> list[tuple[str, Capture]]:
        """Every capture of ``url`` kept, oldest first, with the crawl that made each
        (confirmed crawls or not)."""
        with self._mutex:
            rows = self._db.execute(
                f"SELECT seen_by, {_SELECT} FROM captures WHERE url = ? ORDER BY checked_at", (url,)
            ).fetchall()
        return [(row[0], Capture(*row[1:])) for row in rows]

    def record(self, capture: Capture) -> None:
        with self._mutex:
            if not self._running:
                raise HistoryError("no crawl is running: call crawl_started first")
            self._pending[capture.url] = capture

    @property
    def pending(self) -> int:
        """Records not yet flushed."""
        return len(self._pending)

    def crawl_started(self, run: CrawlRun) -> None:
        self._write_run(run)
        self._running = run.crawl_id

    def crawl_finished(self, run: CrawlRun) -> None:
        self.flush()
        self._write_run(run)
        self._running = ""

    def _write_run(self, run: CrawlRun) -> None:
        with self._mutex:
            self._db.execute(
                "INSERT INTO crawls (crawl_id, started_at, finished_at, finish_reason) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (crawl_id) DO UPDATE SET finished_at = excluded.finished_at, "
                "finish_reason = excluded.finish_reason",
                astuple(run),
            )

    def unconfirmed(self) -> list[str]:
        with self._mutex:
            rows = self._db.execute(
                "SELECT crawl_id FROM crawls WHERE confirmed = 0 AND crawl_id != ? ORDER BY started_at",
                (self._running,),
            ).fetchall()
        return [row[0] for row in rows]

    def confirm(self, crawl_id: str, complete: bool) -> None:
        with self._mutex:
            self._db.execute("BEGIN")
            if complete:
                self._db.execute("UPDATE crawls SET confirmed = 1 WHERE crawl_id = ?", (crawl_id,))
            else:
                self._db.execute("DELETE FROM captures WHERE seen_by = ?", (crawl_id,))
                self._db.execute("DELETE FROM crawls WHERE crawl_id = ?", (crawl_id,))
            self._db.execute("COMMIT")

    def last_crawl(self) -> CrawlRun | None:
        with self._mutex:
            row = self._db.execute(
                "SELECT crawl_id, started_at, finished_at, finish_reason FROM crawls "
                "WHERE confirmed = 1 ORDER BY started_at DESC LIMIT 1"
            ).fetchone()
        return CrawlRun(*row) if row is not None else None

    def crawls(self) -> list[tuple[CrawlRun, bool]]:
        """Every crawl the history knows, oldest first, and whether it is confirmed."""
        with self._mutex:
            rows = self._db.execute(
                "SELECT crawl_id, started_at, finished_at, finish_reason, confirmed FROM crawls ORDER BY started_at"
            ).fetchall()
        return [(CrawlRun(*row[:4]), bool(row[4])) for row in rows]

    def flush(self) -> None:
        # Under the lock: a batch of a thousand rows is a few milliseconds, and lookups
        # meanwhile would share the connection's open transaction.
        with self._mutex:
            if not self._pending:
                return
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    _UPSERT, ((self._running, *astuple(capture)) for capture in self._pending.values())
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._pending = {}

    def close(self) -> None:
        try:
            if self._lock_fd is not None:  # not read-only
                self.flush()
                # Fold the write-ahead log into the file: it then travels alone (to S3, say).
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.close()
        finally:
            self._release()

    def _release(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None


@contextmanager
def history_lock(path: Path, owner: str) -> Iterator[None]:
    """Hold the lock of the history at ``path`` (as a crawl using it does), to replace the file."""
    fd = _lock(path, owner)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _lock(path: Path, owner: str) -> int:
    """An exclusive ``flock`` on ``<path>.lock``, with who holds it written inside."""
    who = {"crawl_id": owner, "pid": os.getpid(), "host": socket.gethostname(),
           "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    try:
        return take_lock(path.with_name(path.name + ".lock"), json.dumps(who))
    except LockHeld as held:
        raise HistoryLocked(
            f"the crawl history {path} is in use by another crawl ({held.holder or 'unknown'}). Two crawls of one "
            f"archive cannot share it: wait for that crawl to end, give this one another ARCHIVE_URI, or run it "
            f"without the history (-s ARCHIVE_HISTORY=False)"
        ) from None
