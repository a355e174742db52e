"""``scrapy finish CRAWL_ID``: end a crawl shared on Redis whose workers all stopped or died.

It joins the crawl as one more worker with no start URLs: the leases of dead workers go
back to the queue, what the frontier still holds is fetched, and, the frontier empty, this
worker is the last one out: it seals what dead workers left open, and writes the WACZ and
the manifest over every worker's files. A crawl whose seeding never ended (its seeding
worker died) is finished with what was queued, with a warning. Exits as ``scrapy crawl``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import UsageError

from scraper.commands.crawl import Command as CrawlCommand

if TYPE_CHECKING:
    import argparse

__all__ = ["Command"]


class Command(CrawlCommand):
    def syntax(self) -> str:
        return "[options] CRAWL_ID"

    def short_desc(self) -> str:
        return "Finish a crawl shared on Redis (ARCHIVE_FRONTIER) whose workers all stopped"

    def long_desc(self) -> str:
        return __doc__ or ""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give the crawl id: scrapy finish CRAWL_ID -s ARCHIVE_FRONTIER=redis://...")
        assert self.settings is not None
        if not self.settings.get("ARCHIVE_FRONTIER"):
            raise UsageError("scrapy finish works on a shared crawl: set ARCHIVE_FRONTIER=redis://host:port/db")
        self.settings.set("ARCHIVE_CRAWL_ID", args[0], priority="cmdline")
        opts.spargs["finish"] = "1"
        super().run(["articles"], opts)
