"""A bundled static news site built from the seed texts, and a test server for it.

``python -m sample_site.build`` writes ``sample_site/site/`` (two variants of one site plus
``expected.json``); ``sample_site.server.SampleSite`` serves one variant on 127.0.0.1 with
full control of the bytes on the wire (gzip, chunked, redirects, odd status lines).
"""

from pathlib import Path

__all__ = ["DEFAULT_SITE_DIR", "VARIANTS"]

DEFAULT_SITE_DIR = Path(__file__).resolve().parent / "site"
VARIANTS = ("contained", "bare")
