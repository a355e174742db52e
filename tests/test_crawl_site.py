"""The main job on the sample news site: discover, archive everything, keep the articles.

The site is built from the seed documents (sample_site/); expected.json says which
pages are articles and what their paragraphs are.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from sample_site import DEFAULT_SITE_DIR
from sample_site.server import SampleSite
from tests.support.crawl import ROOT, CrawlResult, run_crawl
from tests.support.warcio_check import warcio_check_faults
from tests.support.warcs import records

EXPECTED = json.loads((DEFAULT_SITE_DIR / "expected.json").read_text(encoding="utf-8"))
ARTICLES = EXPECTED["variants"]["contained"]["articles"]
PAGES = EXPECTED["variants"]["contained"]["pages"]


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def site_crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[SampleSite, str, CrawlResult]:
    site = SampleSite(DEFAULT_SITE_DIR / "contained")
    base = site.start()
    try:
        arguments = {"urls": base + "/", "follow": "2", "sitemaps": "robots", "feeds": base + "/feed.xml"}
        result = run_crawl(tmp_path_factory.mktemp("archive"), arguments, {"ARCHIVE_PROGRESS_INTERVAL": "0.2"})
    finally:
        site.stop()
    assert result.returncode == 0, result.log
    return site, base, result


def test_every_article_gets_one_row(site_crawl) -> None:
    _, base, result = site_crawl
    rows = result.text_rows()
    urls = [row["url"] for row in rows]
    assert sorted(urls) == sorted(base + path for path in ARTICLES)  # once each, nothing else


def test_pages_in_other_encodings_give_correct_text(site_crawl) -> None:
    _, base, result = site_crawl
    rows = {row["url"]: row for row in result.text_rows()}
    for path, article in ARTICLES.items():
        if article["charset"] == "utf-8":
            continue
        text = normalise(rows[base + path]["text"])
        for paragraph in article["paragraphs"]:
            assert normalise(paragraph) in text, (article["charset"], paragraph[:40])
        assert rows[base + path]["language"] == article["language"]


def test_everything_fetched_is_archived_and_robots_obeyed(site_crawl) -> None:
    site, base, result = site_crawl
    fetched = set(site.requested_paths())
    assert not [p for p in fetched if p.startswith("/private/")]
    archived = {r.rec_headers.get_header("WARC-Target-URI") for r in records(result.warc_files(), "response")}
    assert {base + p for p in fetched} == archived
    # pages of every kind came in: sitemaps, feeds, the PDF, images, the stylesheet, redirects
    for path, page in PAGES.items():
        if page["robots_allowed"] and page["type"] != "private":
            assert base + path in archived, path
    assert base + "/latest/" in archived  # a 301, archived as such
    # every page's links and requisites were found by the extraction workers, none on the reactor
    assert "archive/discovery/on_reactor" not in result.manifest["stats"]


def test_links_are_still_followed_when_the_text_pipeline_never_sees_a_page(site_crawl, tmp_path) -> None:
    """A pipeline before ours drops every candidate: the spider finds links itself, and
    fetches exactly what the full crawl fetched."""
    full_site, _, _ = site_crawl
    site = SampleSite(DEFAULT_SITE_DIR / "contained")
    base = site.start()
    try:
        arguments = {"urls": base + "/", "follow": "2", "sitemaps": "robots", "feeds": base + "/feed.xml"}
        pipelines = json.dumps(
            {"tests.support.pipelines.DropCandidatesPipeline": 100, "scraper.pipelines.ArticleTextPipeline": 300}
        )
        result = run_crawl(tmp_path / "archive", arguments, {"ITEM_PIPELINES": pipelines})
    finally:
        site.stop()
    assert result.returncode == 0, result.log
    assert set(site.requested_paths()) == set(full_site.requested_paths())
    assert result.manifest["stats"]["archive/discovery/on_reactor"] > 0
    assert result.text_rows() == []


def test_progress_and_summary_are_logged(site_crawl) -> None:
    _, _, result = site_crawl
    assert re.search(r"Archived \d+ pages \(\d+ pages/min\), \d+ articles, [\d.]+ MB", result.log)
    assert re.search(r"Crawl test-crawl archived: \d+ pages, 6 articles; 1 WARC files", result.log)


def test_warcio_check_passes_on_every_file(site_crawl) -> None:
    """All but warcio's framing digests of chunked payloads (tests/support/warcio_check.py says why)."""
    _, _, result = site_crawl
    assert warcio_check_faults(result.warc_files()) == []


@pytest.mark.parametrize(
    "arguments",
    [
        {"sitemaps": "{base}/sitemap.xml"},
        {"feeds": "{base}/feed.xml"},
        {"urls": "{base}/atom.xml"},  # a start URL that is a feed is read as one
    ],
    ids=["sitemap-index", "rss", "atom-as-start-url"],
)
def test_discovery_without_link_following(tmp_path, arguments) -> None:
    site = SampleSite(DEFAULT_SITE_DIR / "contained")
    base = site.start()
    try:
        filled = {name: value.format(base=base) for name, value in arguments.items()}
        result = run_crawl(tmp_path / "archive", {**filled, "requisites": "0"})
    finally:
        site.stop()
    assert result.returncode == 0, result.log
    assert sorted(row["url"] for row in result.text_rows()) == sorted(base + path for path in ARTICLES)


def test_index_written_with_the_warc_equals_cdxj_indexers(site_crawl, tmp_path) -> None:
    """The crawl indexes records as it writes them; cdxj-indexer reading the file back agrees."""
    from scraper.archive.cdxj import write_cdxj

    _, _, result = site_crawl
    assert "archive/indexes/lines" not in result.manifest["stats"]  # no WARC was read back to index it
    for warc_path in result.warc_files():
        ours = result.crawl_dir / "indexes" / warc_path.name.replace(".warc.gz", ".cdxj")
        write_cdxj(warc_path, tmp_path / "theirs.cdxj")
        assert ours.read_bytes() == (tmp_path / "theirs.cdxj").read_bytes()
        assert b'"referrer": ' in ours.read_bytes()  # pages reached by links carry their Referer


def test_the_crawl_process_leaves_the_extractor_to_its_workers() -> None:
    """What ``scrapy crawl`` loads (every command module, the archive, pipeline, spider)
    must not import trafilatura: only the workers pay for it, in time and memory."""
    probe = (
        "import sys\n"
        "from scrapy.cmdline import _get_commands_dict\n"
        "from scrapy.utils.project import get_project_settings\n"
        "settings = get_project_settings()\n"
        "_get_commands_dict(settings, inproject=True)\n"
        "import scraper.extensions, scraper.middlewares, scraper.pipelines\n"
        "import scraper.archive.cdxj, scraper.archive.wacz, scraper.archive.wet, spiders.articles\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('trafilatura', 'htmldate', 'justext')))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
