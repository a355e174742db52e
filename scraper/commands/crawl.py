"""``scrapy crawl`` whose exit code says whether the archive is complete where it should be.

Scrapy's own command exits 0 whenever the spider ran. This one also exits 1 when the
storage reports files it could not store (any of :data:`scraper.storage.base.FAILURE_STATS`
above zero) or the crawl was stopped before its end (it resumes when run again), and
keeps credentials given as settings out of Scrapy's "Overridden settings" log line.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from scraper.storage.base import FAILURE_STATS, ArchiveUri

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import BaseSettings

__all__ = ["Command", "RedactSecrets", "archive_failures", "secret_values"]

logger = logging.getLogger(__name__)

SECRET_SETTINGS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
REDACTED = "***"


def secret_values(settings: BaseSettings) -> list[str]:
    """Credentials present in the settings (AWS_* and user:password in ARCHIVE_URI)."""
    values = [settings.get(name) for name in SECRET_SETTINGS]
    uri = ArchiveUri.parse(str(settings.get("ARCHIVE_URI") or ""))
    values += [uri.username, uri.password]
    return [str(value) for value in values if value]


class RedactSecrets(logging.Filter):
    """Replaces the given secrets in the messages of the logger it is attached to."""

    def __init__(self, secrets: Iterable[str]):
        super().__init__()
        # Longest first, so a secret containing another one is replaced whole.
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            if any(secret in message for secret in self.secrets):
                for secret in self.secrets:
                    message = message.replace(secret, REDACTED)
                record.msg, record.args = message, None
        return True


#: What makes the command exit 1: the storage's failures, a crawl stopped before its end
#: (no manifest yet: a scheduler that retries the job resumes it), a write the archive
#: refused (full disk) and a derived file that could not be made.
EXIT_1_STATS = (*FAILURE_STATS, "archive/crawl/unfinished", "archive/warc/write_errors", "archive/derive/errors")


def archive_failures(stats: dict[str, object]) -> dict[str, object]:
    """The failure stats of a finished crawl that are above zero."""
    return {name: stats[name] for name in EXIT_1_STATS if isinstance(stats.get(name), int) and stats[name]}


def _freeze_heap(**_: object) -> None:
    gc.freeze()


class Command(ScrapyCrawlCommand):
    def long_desc(self) -> str:
        return (
            "Run a spider of the current project, by name. Exits 1 if the crawl could not start "
            "or if its archive is incomplete (files left in the spool, uploads that failed)."
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        # The first moment the crawl's settings are known, before the pipeline's imports
        # and before Scrapy installs its reactor and builds the crawler (a few tenths of a
        # second): the extraction server loads the extractor meanwhile, on another core.
        assert self.settings is not None
        if self.settings.getwithbase("ITEM_PIPELINES").get("scraper.pipelines.ArticleTextPipeline") is not None:
            from scraper.workers.forkserver import start_extraction_server

            start_extraction_server()
        # Scrapy's TLS modules, which every HTTP download handler imports, make their
        # deprecated aliases with inspect.stack(), which costs more the deeper the import
        # chain (the spider's imports reach them deep). Imported here, where the stack is
        # shallow, start-up costs less CPU.
        import scrapy.core.downloader.contextfactory  # noqa: F401

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) < 1:
            raise UsageError
        if len(args) > 1:
            raise UsageError("running 'scrapy crawl' with more than one spider is not supported")
        assert self.crawler_process is not None and self.settings is not None
        # Scrapy logs every overridden setting when the crawler starts, values included.
        logging.getLogger("scrapy.crawler").addFilter(RedactSecrets(secret_values(self.settings)))
        crawler = self._create_crawler(args[0])
        # What exists when the spider opens (modules, classes, settings, components) lives
        # as long as the crawl: out of the collector's full passes, which then walk only
        # what the crawl made since.
        crawler.signals.connect(_freeze_heap, signal=signals.spider_opened)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        # Everything is written, closed and synced. Leave the heap to the OS: the final
        # collections of interpreter shutdown would walk every object left, and the exit waits.
        gc.freeze()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        from scraper.extensions import ArchiveExtension  # loaded by the crawl already

        archive = crawler.get_extension(ArchiveExtension)
        if archive is not None and archive.archive is not None and not archive.closed:
            # A forced stop (a second Ctrl-C) ended the reactor before the spider's close.
            logger.error(
                "Crawl %s was forced to stop before its files were closed: they stay .open, readable to their "
                "last record; run the same command again to resume it. Exiting with status 1", archive.crawl_id,
            )
            self.exitcode = 1
            return
        failures = archive_failures(crawler.stats.get_stats() if crawler.stats is not None else {})
        if failures:
            logger.error(
                "The archive of this crawl is incomplete (%s): exiting with status 1",
                ", ".join(f"{name}={value}" for name, value in failures.items()),
            )
            self.exitcode = 1
