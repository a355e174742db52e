"""``scrapy history URL...``: what the crawl history of an archive knows about URLs; ``--rebuild``.

Thin glue around :mod:`scraper.history`. The archive is ``ARCHIVE_URI`` (or ``--archive``);
an ``s3://`` archive's history is read from a copy downloaded from the bucket.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from scraper.history.base import HISTORY_NAME, HistoryError

if TYPE_CHECKING:
    import argparse

    from scraper.history.sqlite import SqliteHistory

__all__ = ["Command", "describe"]


def describe(history: SqliteHistory, url: str) -> str:
    """What ``history`` holds about ``url``, one capture a line, oldest first."""
    captures = history.captures(url)
    if not captures:
        return f"{url}\n  never captured"
    confirmed = {run.crawl_id: done for run, done in history.crawls()}
    lines = [url]
    for seen_by, capture in captures:
        state = "" if confirmed.get(seen_by) else " (crawl not confirmed complete)"
        if capture.checked_at != capture.fetched_at:
            lines.append(f"  {capture.checked_at}  crawl {seen_by}{state}: fetched again, unchanged")
            continue
        lines.append(f"  {capture.fetched_at}  crawl {seen_by}{state}: status {capture.status}, "
                     f"{capture.payload_bytes} bytes, {capture.payload_digest}")
        lines.append(f"      record {capture.warc_record_id} in {capture.warc_filename} "
                     f"at offset {capture.warc_offset}")
        validators = ", ".join(f"{name} {value}" for name, value in
                               (("ETag", capture.etag), ("Last-Modified", capture.last_modified)) if value)
        if validators:
            lines.append(f"      {validators}")
        if capture.text_version is not None:
            lines.append(f"      article text version {capture.text_version} (row of {capture.text_record_id})")
    return "\n".join(lines)


class Command(ScrapyCommand):
    requires_project = False
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, object]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "[URL ...] [--archive URI] [--rebuild]"

    def short_desc(self) -> str:
        return "Show what the crawl history knows about URLs, or rebuild it from the archive"

    def long_desc(self) -> str:
        return (
            "Print every capture the crawl history (crawl-history.sqlite beside the crawl folders) holds for "
            "each URL: when, status, payload digest, where the record is, validators, text version. With "
            "--rebuild, make the history again from the archive's CDXJ indexes and text rows (a damaged file "
            "is kept beside it as crawl-history.sqlite.damaged-<time>); local archives only."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--archive", metavar="URI", help="the archive (default: the ARCHIVE_URI setting)")
        parser.add_argument("--rebuild", action="store_true", help="rebuild the history from the archive")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        uri = opts.archive or str(self.settings.get("ARCHIVE_URI") or "./archive")
        if opts.rebuild:
            self.rebuild(uri)
        if not args:
            if not opts.rebuild:
                raise UsageError("give URLs to look up, or --rebuild")
            return
        from scraper.history.sqlite import SqliteHistory

        with tempfile.TemporaryDirectory(prefix="history-") as scratch:
            path = self.history_path(uri, Path(scratch))
            try:
                history = SqliteHistory(path, read_only=True)
            except HistoryError as error:
                raise UsageError(str(error)) from None
            try:
                print("\n".join(describe(history, url) for url in args))
            finally:
                history.close()

    def history_path(self, uri: str, scratch: Path) -> Path:
        if uri.startswith("s3://"):
            from scraper.incremental import S3HistoryCopy

            assert self.settings is not None
            remote = S3HistoryCopy.from_settings(self.settings, uri)
            if not remote.download(scratch / HISTORY_NAME):
                raise UsageError(f"no crawl history in {remote.where(remote.key)}")
            return scratch / HISTORY_NAME
        from scraper.storage.local import FileStorage

        return FileStorage.from_uri(uri).root / HISTORY_NAME

    def rebuild(self, uri: str) -> None:
        if uri.startswith("s3://"):
            raise UsageError("--rebuild reads a local archive: copy the crawls down first (or see `scrapy verify`)")
        from scraper.history.rebuild import rebuild_history
        from scraper.history.sqlite import SqliteHistory, history_lock
        from scraper.storage.local import FileStorage

        root = FileStorage.from_uri(uri).root
        path = root / HISTORY_NAME
        fresh = path.with_name(path.name + ".rebuilding")
        try:
            with history_lock(path, "scrapy history --rebuild"):  # no crawl may use it meanwhile
                for leftover in (fresh, *_companions(fresh)):
                    leftover.unlink(missing_ok=True)
                history = SqliteHistory(fresh, check=False)
                try:
                    counts = rebuild_history(root, history)
                finally:
                    history.close()
                stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
                for old in (path, *_companions(path)):
                    if old.exists():
                        old.replace(old.with_name(f"{old.name}.damaged-{stamp}"))
                fresh.replace(path)
                fresh.with_name(fresh.name + ".lock").unlink(missing_ok=True)
        except HistoryError as error:
            raise UsageError(str(error)) from None
        print(f"Rebuilt {path}: {counts['crawls']} crawls, {counts['captures']} captures, "
              f"{counts['revisits']} revisits, {counts['texts']} text rows")


def _companions(path: Path) -> tuple[Path, Path]:
    """SQLite's write-ahead log and shared-memory files beside ``path``."""
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
