"""What earlier crawls of an archive fetched, per URL: the crawl history of incremental crawls.

:mod:`scraper.history.base` holds the interface (:class:`CrawlHistory`) and what it stores;
:mod:`scraper.history.sqlite` the embedded store kept with the archive;
:mod:`scraper.history.rebuild` makes one again from an archive's indexes and text rows.
Knows nothing of Scrapy, Twisted or storage.
"""
