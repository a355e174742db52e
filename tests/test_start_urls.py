"""Bad start URLs are reported where they were given and skipped; the good ones are crawled."""

from __future__ import annotations

from tests.support.crawl import run_crawl
from tests.support.hostile import HostileServer


def test_bad_lines_of_a_urls_file_are_reported_by_line_and_skipped(tmp_path) -> None:
    server = HostileServer()
    base = server.start()
    urls_file = tmp_path / "seeds.txt"
    urls_file.write_text(f"{base}/h/ok?1\nnot-a-url\n# a comment\n\nftp://example.org/\n{base}/h/ok?2\n")
    try:
        result = run_crawl(tmp_path / "archive", {"urls_file": str(urls_file), "urls": f"{base}/h/ok?a,b {base}/h/ok?3",
                                                  "requisites": "0"})
    finally:
        server.stop()
    assert result.returncode == 0, result.log
    # a comma inside a URL stays; spaces and commas before a scheme separate
    assert sorted(p for p in server.paths() if p.startswith("/h/")) == ["/h/ok?1", "/h/ok?2", "/h/ok?3", "/h/ok?a,b"]
    assert f"Skipping start URL 'not-a-url' ({urls_file} line 2): no scheme" in result.log
    assert f"Skipping start URL 'ftp://example.org/' ({urls_file} line 5): not an http(s) URL" in result.log
    assert result.manifest["stats"]["archive/start/bad_urls"] == 2
    assert result.manifest["finish_reason"] == "finished"


def test_a_crawl_with_no_valid_start_url_fails(tmp_path) -> None:
    result = run_crawl(tmp_path / "archive", {"urls": "not-a-url example.org/x"})
    assert result.returncode != 0
    assert "Skipping start URL 'example.org/x' (urls entry 2)" in result.log
    assert "nothing to crawl: none of the 2 start URLs given is valid" in result.log
