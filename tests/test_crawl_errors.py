"""Bad input stops a crawl before it fetches anything, with a clear message."""

from __future__ import annotations

from tests.support.crawl import run_crawl


def test_a_completed_crawl_id_is_not_overwritten(tmp_path, raw_site) -> None:
    site, base = raw_site
    first = run_crawl(tmp_path / "archive", {"urls": base + "/teapot"})
    manifest = (first.crawl_dir / "manifest.json").read_bytes()
    fetched = len(site.received)
    second = run_crawl(tmp_path / "archive", {"urls": base + "/teapot"})
    assert first.returncode == 0, first.log
    assert second.returncode != 0
    assert "crawl test-crawl is already complete" in second.log
    assert len(site.received) == fetched  # the second crawl fetched nothing
    assert (first.crawl_dir / "manifest.json").read_bytes() == manifest


def test_a_crawl_with_nothing_to_fetch_says_so(tmp_path) -> None:
    result = run_crawl(tmp_path / "archive", {})
    assert result.returncode != 0
    assert "nothing to crawl: give urls=, urls_file=, sitemaps= or feeds=" in result.log
