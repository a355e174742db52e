"""``scrapy verify PATH_OR_S3_URI``: check an archive, name every damaged file.

Thin glue around :func:`scraper.archive.verify.verify_path` (a crawl folder, a WARC or ARC
file, a folder of them, a WACZ). A crawl in S3 is downloaded to a temporary folder first,
with the client the S3 storage builds from the ``AWS_*`` settings.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.utils.log import configure_logging

from scraper.storage.s3 import S3ClientOptions, S3Destination

if TYPE_CHECKING:
    import argparse

    from scraper.archive.verify import VerifyReport

__all__ = ["Command", "download_revisit_originals", "download_s3_crawl"]


def download_s3_crawl(client: Any, uri: str, dest: Path) -> Path:
    """Copy every object under ``s3://bucket/prefix/<crawl_id>`` into ``dest/<crawl_id>``."""
    where = S3Destination.from_uri(uri)
    if not where.prefix:
        raise UsageError(f"{where.uri()}: give s3://BUCKET/PREFIX/CRAWL_ID")
    crawl_dir = dest / where.prefix.rsplit("/", 1)[-1]
    found = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=where.bucket, Prefix=where.prefix + "/"):
        for entry in page.get("Contents", []):
            relpath = entry["Key"][len(where.prefix) + 1 :]
            if not relpath or relpath.endswith("/"):
                continue
            target = crawl_dir / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(where.bucket, entry["Key"], str(target))
            found += 1
    if not found:
        raise UsageError(f"{where.uri()}: no objects under that prefix")
    return crawl_dir


def download_revisit_originals(client: Any, uri: str, crawl_dir: Path) -> int:
    """Beside ``crawl_dir``, what ``verify_crawl`` reads of the archive's other crawls to find
    the originals of the crawl's revisit records: their CDXJ indexes, and each original
    record written at its offset into a sparse copy of its WARC. Returns the records fetched."""
    wanted: set[str] = set()
    for index in (crawl_dir / "indexes").glob("*.cdxj"):
        for line in index.read_text(encoding="utf-8").splitlines():
            fields = json.loads(line.split(" ", 2)[2])
            if fields.get("mime") == "warc/revisit":
                wanted.add(fields["url"])
    if not wanted:
        return 0
    where = S3Destination.from_uri(uri)
    archive_prefix = where.prefix.rsplit("/", 1)[0] if "/" in where.prefix else ""
    fetched = 0
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=where.bucket, Prefix=archive_prefix)
    for page in pages:
        for entry in page.get("Contents", []):
            parts = entry["Key"][len(archive_prefix):].strip("/").split("/")
            if len(parts) != 3 or parts[1] != "indexes" or parts[0] == crawl_dir.name or not parts[2].endswith(".cdxj"):
                continue
            other = crawl_dir.parent / parts[0]
            lines = client.get_object(Bucket=where.bucket, Key=entry["Key"])["Body"].read().decode("utf-8")
            (other / "indexes").mkdir(parents=True, exist_ok=True)
            (other / "indexes" / parts[2]).write_text(lines, encoding="utf-8")
            for line in lines.splitlines():
                fields = json.loads(line.split(" ", 2)[2])
                if fields.get("url") not in wanted or fields.get("mime") == "warc/revisit":
                    continue
                offset, length = int(fields["offset"]), int(fields["length"])
                key = "/".join(p for p in (archive_prefix, parts[0], "warc", fields["filename"]) if p)
                record = client.get_object(Bucket=where.bucket, Key=key, Range=f"bytes={offset}-{offset + length - 1}")
                (other / "warc").mkdir(parents=True, exist_ok=True)
                fd = os.open(other / "warc" / fields["filename"], os.O_WRONLY | os.O_CREAT, 0o644)
                try:
                    os.pwrite(fd, record["Body"].read(), offset)  # the rest of the file stays a hole
                finally:
                    os.close(fd)
                fetched += 1
    return fetched


class Command(ScrapyCommand):
    requires_project = False
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "PATH_OR_S3_URI"

    def short_desc(self) -> str:
        return "Check a crawl, a WARC/ARC file, a folder of them or a WACZ: digests, hashes, pointers"

    def long_desc(self) -> str:
        return (
            "Check a finished crawl folder (or s3://bucket/prefix/crawl_id), a WARC or ARC file, a folder of them, "
            "or a WACZ package: every WARC parses to its end with matching block and payload digests; in a crawl, "
            "every file has the manifest's size and SHA-256, and every text row, CDXJ line and WET record points "
            "at the response it names; in a WACZ, every entry has its datapackage.json hash and every index line "
            "points at a record. A crawl a stop or kill left incomplete (its .open files) is read up to each open "
            "file's last whole record; its summary starts INCOMPLETE, and a torn last record is noted, not a fault "
            "(`scrapy crawl` with the same crawl id resumes it). The summary says which kind was checked. "
            "Exits 1 naming each damaged file."
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if len(args) != 1:
            raise UsageError("give one crawl folder, WARC/ARC file, folder of them, WACZ or s3:// URI")
        # Imported here: Scrapy imports every command module, and this one's imports
        # (indexing, cdxj-indexer, surt) would delay every `scrapy crawl` start.
        from scraper.archive.verify import verify_crawl, verify_path

        configure_logging(self.settings)
        location = args[0]
        if location.startswith("s3://"):
            with tempfile.TemporaryDirectory(prefix="verify-") as spool:
                client = S3ClientOptions.from_settings(self.settings, location).make_client()
                crawl_dir = download_s3_crawl(client, location, Path(spool))
                download_revisit_originals(client, location, crawl_dir)
                report = verify_crawl(crawl_dir)
        else:
            try:
                report = verify_path(Path(location.removeprefix("file://")))
            except FileNotFoundError as error:
                raise UsageError(str(error)) from None
        self.print_report(report)

    def print_report(self, report: VerifyReport) -> None:
        print(report.summary())
        if not report.ok:
            for relpath in report.damaged_files():
                print(f"DAMAGED {relpath}", file=sys.stderr)
            self.exitcode = 1
