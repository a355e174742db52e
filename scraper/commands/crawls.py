"""``scrapy crawls [ARCHIVE] [--json]``: every crawl of an archive with its state; exit 1 if the latest failed.

Thin glue around :mod:`scraper.tools.crawls`, which defines the states. The archive is the
argument (a folder, ``file://`` or ``s3://`` URI) or ``ARCHIVE_URI``; S3 credentials, the
spool and the frontier of shared crawls (``ARCHIVE_FRONTIER``) come from the settings, as for
a crawl.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.utils.log import configure_logging

from scraper.tools import crawls

if TYPE_CHECKING:
    import argparse

__all__ = ["Command"]


class Command(ScrapyCommand):
    requires_project = False
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "[options] [ARCHIVE]"

    def short_desc(self) -> str:
        return "List the crawls of an archive with their state; exit 1 if the latest failed"

    def long_desc(self) -> str:
        return (
            "List every crawl of an archive (ARCHIVE_URI, or the folder or s3://bucket/prefix given): its state "
            "(complete, running, resumable, waiting for upload, incomplete, failed), start and end times, pages, "
            "articles and bytes. Exits 1 if the latest crawl failed: its finish_reason is not 'finished', its "
            "failure stats are above 0, or it has no manifest and no live process. With ARCHIVE_FRONTIER, a "
            "shared crawl without manifest is shown as Redis holds it: each worker's state (dead once its "
            "heartbeat expired), the requests queued and leased."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--json", action="store_true", help="print JSON for machines")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if len(args) > 1:
            raise UsageError("give at most one archive")
        configure_logging(self.settings)
        self.exitcode = crawls.main([*args, *(["--json"] if opts.json else [])], settings=self.settings)
        sys.stdout.flush()
