"""Item pipelines the crawl tests plug in by name (the crawl runs in its own process)."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem

from scraper.items import ArticleCandidate


class DropCandidatesPipeline:
    """Drops every article candidate before the text pipeline sees it."""

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleCandidate):
            raise DropItem("dropped by the test pipeline")
        return item
