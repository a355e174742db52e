"""The shared frontier of a crawl run by many processes: a Redis request queue with leases,
per-host politeness slots, the crawl's workers and their files (:mod:`scraper.frontier.redis`).
Knows nothing of Scrapy or Twisted: requests are opaque bytes here.
"""
