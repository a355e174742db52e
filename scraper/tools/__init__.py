"""Tools run over archives outside a crawl: re-extraction with the current extractor."""
