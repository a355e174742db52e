"""The benchmark tools keep working: the README's performance figures come from them.

They print figures and assert no times; these tests only run them small, so a change
to the archive's API cannot break ``make bench-profile`` unnoticed (it once did: the
per-step costs still asked for zlib's gzip levels after the archive moved to ISA-L's).
"""

from __future__ import annotations

import re

from benchmarks.profile import component_costs
from benchmarks.site import DEFAULT_CORPUS, BenchSite
from scraper.archive import warc


def test_the_profile_times_each_step_of_the_crawl_at_every_gzip_level_the_archive_accepts() -> None:
    pages = 3
    timings = component_costs(BenchSite.from_corpus(DEFAULT_CORPUS, pages), pages, passes=1)
    by_name = {name: (ms, note) for name, ms, note in timings}
    gzip_steps = [name for name in by_name if name.startswith("WARC: gzip at level")]
    assert gzip_steps == [f"WARC: gzip at level {level}" for level in warc.GZIP_LEVELS]
    assert re.fullmatch(rf"\d of {pages} pages are articles", by_name["extraction: extract_article (one process)"][1])
    assert {"decoding HTML: Scrapy's response.text", "WARC: records framed, payload and block digests",
            "WARC: write to the segment file, its sha256", "text rows: JSON + gzip member"} <= by_name.keys()
