"""What earlier crawls of an archive fetched, per URL: the crawl history of incremental crawls.

:mod:`scraper.history.base` holds the interface (:class:`CrawlHistory`) and what it stores;
:mod:`scraper.history.sqlite` the embedded store kept with the archive;
:mod:`scraper.history.redis` the store on the Redis a crawl's processes share;
:mod:`scraper.history.rebuild` makes one again from an archive's indexes and text rows;
:mod:`scraper.history.sitetemplate` keeps what crawls learned of each site's template.
Knows nothing of Scrapy, Twisted or storage.
"""
