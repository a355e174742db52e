"""The archive's formats: WARC records and segments, text rows, CDXJ, WET, WACZ, and checking them.

Nothing here knows of Scrapy, Twisted or where files are stored: it writes into and
reads from local paths.
"""
