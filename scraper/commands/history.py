"""``scrapy history URL...``: what the crawl history of an archive knows about URLs; ``--rebuild``.

Thin glue around :mod:`scraper.history`. The archive is ``ARCHIVE_URI`` (or ``--archive``);
an ``s3://`` archive's history is read from a copy downloaded from the bucket; with
``ARCHIVE_FRONTIER`` set, from that Redis.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from scraper.archive.manifest import MANIFEST_NAME
from scraper.history.base import HISTORY_NAME, HistoryError

if TYPE_CHECKING:
    import argparse

    from scraper.history.redis import RedisHistory
    from scraper.history.sqlite import SqliteHistory

__all__ = ["Command", "describe", "download_for_rebuild", "rebuild_in_place"]


def describe(history: SqliteHistory | RedisHistory, url: str) -> str:
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
            "Print every capture the crawl history (crawl-history.sqlite beside the crawl folders, or on the "
            "Redis of ARCHIVE_FRONTIER) holds for each URL: when, status, payload digest, where the record is, "
            "validators, text version. With "
            "--rebuild, make the history again from the archive's CDXJ indexes and text rows (a damaged file "
            "is kept beside it as crawl-history.sqlite.damaged-<time>); for an s3:// archive, from what the "
            "bucket holds (the indexed records read by ranged GETs), and stored back there."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--archive", metavar="URI", help="the archive (default: the ARCHIVE_URI setting)")
        parser.add_argument("--rebuild", action="store_true", help="rebuild the history from the archive")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        uri = opts.archive or str(self.settings.get("ARCHIVE_URI") or "./archive")
        frontier = str(self.settings.get("ARCHIVE_FRONTIER") or "")
        if opts.rebuild:
            if frontier:
                raise UsageError("--rebuild makes the SQLite history; the one on Redis (ARCHIVE_FRONTIER) "
                                 "is not rebuilt from the archive")
            self.rebuild(uri)
        if not args:
            if not opts.rebuild:
                raise UsageError("give URLs to look up, or --rebuild")
            return
        from scraper.history.redis import RedisHistory
        from scraper.history.sqlite import SqliteHistory

        with tempfile.TemporaryDirectory(prefix="history-") as scratch:
            history: SqliteHistory | RedisHistory
            try:
                if frontier:
                    from scraper.incremental import archive_name

                    history = RedisHistory.from_url(frontier, archive_name(uri), read_only=True)
                else:
                    history = SqliteHistory(self.history_path(uri, Path(scratch)), read_only=True)
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
        try:
            if uri.startswith("s3://"):
                where, counts = self.rebuild_in_bucket(uri)
            else:
                from scraper.storage.local import FileStorage

                path = FileStorage.from_uri(uri).root / HISTORY_NAME
                counts = rebuild_in_place(path)
                where = str(path)
        except HistoryError as error:
            raise UsageError(str(error)) from None
        print(f"Rebuilt {where}: {counts['crawls']} crawls, {counts['captures']} captures, "
              f"{counts['revisits']} revisits, {counts['texts']} text rows")

    def rebuild_in_bucket(self, uri: str) -> tuple[str, dict[str, int]]:
        """The history of an s3:// archive made again from what the bucket holds, and stored
        there (the damaged object kept as ``crawl-history.sqlite.damaged-<time>``)."""
        from scraper.incremental import S3HistoryCopy

        assert self.settings is not None
        remote = S3HistoryCopy.from_settings(self.settings, uri)
        remote.lock("scrapy history --rebuild")  # no crawl may use it meanwhile
        try:
            with tempfile.TemporaryDirectory(prefix="history-rebuild-") as scratch:
                root = Path(scratch)
                download_for_rebuild(remote.client, remote.bucket, remote.prefix, root)
                counts = rebuild_in_place(root / HISTORY_NAME)
                if remote.download(root / "damaged"):
                    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
                    remote.client.copy_object(Bucket=remote.bucket, Key=f"{remote.key}.damaged-{stamp}",
                                              CopySource={"Bucket": remote.bucket, "Key": remote.key})
                remote.upload(root / HISTORY_NAME)
        finally:
            remote.unlock()
        return remote.where(remote.key), counts


def rebuild_in_place(path: Path) -> dict[str, int]:
    """Make the history at ``path`` again from the crawl folders beside it; a file already
    there is kept beside it as ``<name>.damaged-<time>``. Returns the rebuild's counts."""
    from scraper.history.rebuild import rebuild_history
    from scraper.history.sqlite import SqliteHistory, history_lock

    fresh = path.with_name(path.name + ".rebuilding")
    with history_lock(path, "scrapy history --rebuild"):  # no crawl may use it meanwhile
        for leftover in (fresh, *_companions(fresh)):
            leftover.unlink(missing_ok=True)
        history = SqliteHistory(fresh, check=False)
        try:
            counts = rebuild_history(path.parent, history)
        finally:
            history.close()
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        for old in (path, *_companions(path)):
            if old.exists():
                old.replace(old.with_name(f"{old.name}.damaged-{stamp}"))
        fresh.replace(path)
        fresh.with_name(fresh.name + ".lock").unlink(missing_ok=True)
    return counts


def download_for_rebuild(client: Any, bucket: str, prefix: str, root: Path) -> int:
    """What a rebuild reads of an s3:// archive, into ``root/<crawl_id>/``: each complete
    crawl's manifest, CDXJ indexes and text rows, and each indexed record (a ranged GET)
    at its offset in a sparse copy of its WARC. Returns the records fetched."""
    base = f"{prefix}/" if prefix else ""
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base):
        keys += [entry["Key"] for entry in page.get("Contents", [])]
    complete = {key[len(base):].split("/")[0] for key in keys if key[len(base):].count("/") == 1
                and key.endswith("/" + MANIFEST_NAME)}
    records = 0
    for key in keys:
        parts = key[len(base):].split("/")
        if parts[0] not in complete or len(parts) < 2:
            continue
        wanted = parts[1] == MANIFEST_NAME or (len(parts) == 3 and (
            (parts[1] == "indexes" and parts[2].endswith(".cdxj")) or
            (parts[1] == "text" and parts[2].endswith(".jsonl.gz"))))
        if not wanted:
            continue
        target = root.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        client.download_file(bucket, key, str(target))
        if parts[1] != "indexes":
            continue
        for line in target.read_text(encoding="utf-8").splitlines():
            fields = json.loads(line.split(" ", 2)[2])
            offset, length = int(fields["offset"]), int(fields["length"])
            warc_key = f"{base}{parts[0]}/warc/{fields['filename']}"
            body = client.get_object(Bucket=bucket, Key=warc_key, Range=f"bytes={offset}-{offset + length - 1}")
            warc_path = root / parts[0] / "warc" / fields["filename"]
            warc_path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(warc_path, os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                os.pwrite(fd, body["Body"].read(), offset)  # the rest of the file stays a hole
            finally:
                os.close(fd)
            records += 1
    return records


def _companions(path: Path) -> tuple[Path, Path]:
    """SQLite's write-ahead log and shared-memory files beside ``path``."""
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
