"""Helpers the tests share, one job a module; ``tests/conftest.py`` only turns them into fixtures.

- :mod:`tests.support.crawl`: run ``scrapy crawl`` (and the other commands) as a user does, read the result;
- :mod:`tests.support.rawsite`: a site that answers with canned bytes, exactly;
- :mod:`tests.support.hostile`: a hostile site: odd, malformed and abusive responses, bounded;
- :mod:`tests.support.warcs`: read WARC records and text rows back, follow a row to its record;
- :mod:`tests.support.warcio_check`: ``warcio check`` with its one known disagreement set apart;
- :mod:`tests.support.s3server`: a real S3 server (SeaweedFS ``weed mini``);
- :mod:`tests.support.replay`: pywb's venv and servers started as processes;
- :mod:`tests.support.processes`: the crawl's child processes, found in ``/proc``;
- :mod:`tests.support.pipelines`: item pipelines a crawl loads by name.

Test files import from here, never from ``conftest`` or from one another.
"""
