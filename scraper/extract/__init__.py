"""HTML to article: the extractor, its metadata and article decision, line rules, site template, discovery.

Pure functions of a page and options; nothing here knows of Scrapy, Twisted, WARC or
storage. :mod:`scraper.extract.model` is the light part the crawl's process may import.
"""
