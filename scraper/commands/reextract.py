"""``scrapy reextract SRC DEST``: the current extractor over archived WARCs, fetching nothing.

Thin glue around :func:`scraper.tools.reextract.reextract`; extraction options, the page
size cap and the per-page deadline come from the same settings as the crawl's
(``ARCHIVE_MIN_TEXT_CHARS``, ``ARCHIVE_MAX_EXTRACT_BYTES``, ``ARCHIVE_EXTRACT_TIMEOUT``).
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.utils.log import configure_logging

if TYPE_CHECKING:
    import argparse

__all__ = ["Command"]

logger = logging.getLogger(__name__)


class Command(ScrapyCommand):
    requires_project = False
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "INFO"}

    def syntax(self) -> str:
        return "SRC DEST"

    def short_desc(self) -> str:
        return "Extract text again from archived WARCs into DEST/text and DEST/wet"

    def long_desc(self) -> str:
        return (
            "Run the current extractor over the WARCs of SRC (a crawl folder, a WARC or ARC file, a WACZ package, "
            "or a folder of them, from this crawler or from wget, Heritrix, Browsertrix) and write "
            "DEST/text/<stem>.jsonl.gz, DEST/wet/<stem>.warc.wet.gz and DEST/manifest.json. Nothing is fetched."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--workers", type=int, default=None,
                            help="extraction processes (default: ARCHIVE_EXTRACT_WORKERS, 0 = one per core)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if len(args) != 2:
            raise UsageError("give SRC and DEST")
        # Imported here, not at the top: Scrapy imports every command module to list them,
        # and the crawl's process must not load the extractor (its workers do).
        from scraper.archive.warc import check_gzip_level
        from scraper.extract.model import ExtractionOptions
        from scraper.tools.reextract import find_warcs, reextract
        from scraper.workers.client import WorkerDied

        configure_logging(self.settings)
        source, dest = Path(args[0]), Path(args[1])
        try:
            if not find_warcs(source):
                raise UsageError(f"no WARC files in {source}")
        except (FileNotFoundError, ValueError, zipfile.BadZipFile) as error:
            raise UsageError(str(error)) from None
        if (dest / "manifest.json").exists():
            raise UsageError(f"{dest} already holds a re-extraction (manifest.json): give another DEST")
        options = ExtractionOptions(min_text_chars=self.settings.getint("ARCHIVE_MIN_TEXT_CHARS"))
        workers = opts.workers if opts.workers is not None else self.settings.getint("ARCHIVE_EXTRACT_WORKERS")
        try:
            result = reextract(source, dest, options=options, workers=workers,
                               gzip_level=check_gzip_level(self.settings.getint("ARCHIVE_GZIP_LEVEL")),
                               extract_timeout=self.settings.getfloat("ARCHIVE_EXTRACT_TIMEOUT"),
                               max_extract_bytes=self.settings.getint("ARCHIVE_MAX_EXTRACT_BYTES"))
        except WorkerDied as error:  # the extractor itself cannot run: no use going on
            logger.error("Re-extraction stopped: %s. Files written so far are left .open; no manifest.", error)
            self.exitcode = 1
            return
        counts = result.counts
        logger.info(
            "Re-extracted %d articles from %d HTML records of %d WARC files in %.1f s (%.1f pages/s) -> %s",
            counts["articles"], counts["html_records"], counts["warc_files"], result.seconds,
            result.pages_per_second, dest,
        )
        skipped = {name: n for name, n in sorted(counts.items())
                   if name not in ("articles", "html_records", "warc_files", "records")}
        logger.info("Records: %d read; %s", counts["records"], ", ".join(f"{k} {v}" for k, v in skipped.items()))
