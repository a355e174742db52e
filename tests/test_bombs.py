"""Decompression bombs are archived as they came and never inflated past the cap."""

from __future__ import annotations

from warcio.archiveiterator import ArchiveIterator

from tests.support.crawl import run_crawl
from tests.support.hostile import KINDS, HostileServer

BOMBS = ["gzip-bomb", "deflate-bomb", "sitemap-bomb"]


def test_bombs_are_archived_whole_and_read_no_further_than_the_cap(tmp_path) -> None:
    server = HostileServer(bomb_size=64 << 20)  # 64 MB of zeros, about 64 kB on the wire
    base = server.start()
    try:
        result = run_crawl(tmp_path / "archive", {"urls": " ".join(f"{base}/h/{kind}" for kind in [*BOMBS, "ok"]),
                                                  "requisites": "0"},
                           {"ARCHIVE_MAX_INFLATED_SIZE": str(8 << 20)})
    finally:
        server.stop()
    assert result.returncode == 0, result.log
    blocks = {}
    for path in result.warc_files():
        with open(path, "rb") as f:
            for record in ArchiveIterator(f, no_record_parse=True):
                if record.rec_type == "response":
                    blocks[record.rec_headers.get_header("WARC-Target-URI")] = record.raw_stream.read()
    for kind in BOMBS:
        assert blocks[f"{base}/h/{kind}"] == KINDS[kind].make(server), kind  # as it came, still compressed
    stats = result.manifest["stats"]
    assert stats["archive/text/skipped/inflated_too_large"] == len(BOMBS)
    assert "archive/discovery/sitemap_urls" not in stats  # the bomb's one URL is past the cap: not read
    assert [row["url"] for row in result.text_rows()] == [f"{base}/h/ok"]
    assert "Traceback" not in result.log
