"""``scrapy upload``: finish the crawls waiting in the S3 spool, files first, manifests last.

Each crawl goes to the bucket and prefix recorded in its spool state file; credentials and
endpoint come from the settings and the environment, as for a crawl. Exits 1 if anything is
still waiting afterwards.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.commands import ScrapyCommand
from scrapy.utils.log import configure_logging

from scraper.storage.s3 import SpoolUploader, quiet_aws_debug_logs, spool_dir_from_settings

if TYPE_CHECKING:
    import argparse

__all__ = ["Command"]

logger = logging.getLogger(__name__)


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[options] [crawl_id ...]"

    def short_desc(self) -> str:
        return "Upload the crawls waiting in the S3 spool (all, or those named), manifests last"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--spool", metavar="DIR", help="spool folder (default: ARCHIVE_SPOOL_DIR)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        configure_logging(self.settings)
        quiet_aws_debug_logs()
        spool_dir = Path(opts.spool).expanduser().resolve() if opts.spool else spool_dir_from_settings(self.settings)
        uploader = SpoolUploader.from_settings(self.settings)
        try:
            results = uploader.upload_spool(spool_dir, args)
        finally:
            uploader.close()
        unknown = [crawl_id for crawl_id in args if crawl_id not in results]
        for crawl_id in unknown:
            logger.error("No crawl %s waiting in the spool %s", crawl_id, spool_dir)
        waiting = sorted(crawl_id for crawl_id, complete in results.items() if not complete)
        logger.info(
            "Spool %s: %d crawls completed, %d still waiting%s",
            spool_dir, len(results) - len(waiting), len(waiting), f" ({', '.join(waiting)})" if waiting else "",
        )
        self.exitcode = 1 if waiting or unknown else 0
