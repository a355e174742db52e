"""Tools run over archives outside a crawl: re-extraction, the crawls of an archive and their metrics."""
