"""Access and rights per text row: paywall state, TDMRep, robots directives, licence."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scraper.extract.extractor import extract_article
from scraper.extract.model import ExtractionOptions
from scraper.extract.rights import MAX_TDMREP_BYTES, TDMREP_PATH, merge_rights, read_tdmrep_file
from scraper.settings import ARCHIVE_GZIP_LEVEL, ARCHIVE_MIN_TEXT_CHARS
from scraper.tools.reextract import reextract
from tests.support.crawl import CrawlResult, crawl_raw_site, run_crawl
from tests.support.rawsite import ARTICLE_HTML, RawSite, _with_length
from tests.support.warcs import read_text_rows, records

URL = "https://news.example/2024/05/01/library-hours/"
FIRST = "The council met on Tuesday to discuss the new opening hours of the city library and its branches. " * 3
SECOND = "Members agreed that the library should stay open later on weekdays, as the budget allows it this year. " * 3

OPTIONS = ExtractionOptions(min_text_chars=ARCHIVE_MIN_TEXT_CHARS)


def page(body: str, head: str = "") -> str:
    """An article page: a title, then ``body`` in an <article>."""
    return (f"<html><head><title>Library hours | City News</title>{head}</head>"
            f"<body><article><h1>Library hours</h1>{body}</article></body></html>")


def _article_of(head: str = "", body: str = "") -> tuple[str, dict]:
    article = extract_article(page(f"<p>{FIRST}</p><p>{SECOND}</p>{body}", head=head), URL, OPTIONS)
    assert article is not None
    return article.access, article.rights


def _ld(data: dict) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


@pytest.mark.parametrize(
    ("head", "body", "access"),
    [
        ("", "", "unknown"),
        (_ld({"@type": "NewsArticle", "isAccessibleForFree": True}), "", "free"),
        (_ld({"@type": "NewsArticle", "isAccessibleForFree": "False"}), "", "paywalled"),
        (_ld({"@graph": [{"@type": "NewsArticle", "hasPart": {"@type": "WebPageElement",
              "isAccessibleForFree": False, "cssSelector": ".paid"}}]}), "", "paywalled"),
        ('<meta property="article:content_tier" content="metered">', "", "paywalled"),
        ("", '<div class="paywall-prompt">Subscribe to read on</div>', "paywalled"),
        ("", '<div id="regwall" style="display:none"></div>', "paywalled"),
    ],
)
def test_access_is_read_from_the_pages_declarations_and_paywall_markers(head: str, body: str, access: str) -> None:
    assert _article_of(head, body)[0] == access


def test_rights_come_from_the_meta_tags_and_the_licence_link() -> None:
    head = (
        '<meta name="tdm-reservation" content="1"><meta name="tdm-policy" content="/tdm-policy.json">'
        '<meta name="robots" content="index, NoArchive, noai"><link rel="license" href="/licence">'
    )
    assert _article_of(head)[1] == {
        "tdm_reservation": 1, "tdm_policy": "https://news.example/tdm-policy.json",
        "robots": ["index", "noai", "noarchive"], "license": "https://news.example/licence",
    }


def test_a_json_ld_licence_counts_when_no_link_names_one() -> None:
    rights = _article_of(_ld({"@type": "Article", "license": "https://creativecommons.org/licenses/by/4.0/"}))[1]
    assert rights["license"] == "https://creativecommons.org/licenses/by/4.0/"


SITE_FILE = read_tdmrep_file(
    200, b'[{"location": "/2024/*", "tdm-reservation": 1, "tdm-policy": "/tdm-policy.json"}]',
    "https://news.example/.well-known/tdmrep.json",
)


@pytest.mark.parametrize(
    ("meta", "headers", "expected"),
    [
        # TDMRep's "Processing priority": the file, then the HTTP header fields, then the HTML meta tags ...
        (None, {}, (1, "https://news.example/tdm-policy.json")),
        (None, {"TDM-Reservation": "0"}, (0, "https://news.example/tdm-policy.json")),
        (0, {"tdm-reservation": "1", "tdm-policy": "https://news.example/h"}, (0, "https://news.example/h")),
        # ... and a value left unsaid never resets one said before.
        (None, {"tdm-reservation": "maybe"}, (1, "https://news.example/tdm-policy.json")),
    ],
)
def test_tdmrep_values_follow_the_specs_priority(meta: int | None, headers: dict, expected: tuple) -> None:
    page_rights = {"tdm_reservation": meta, "tdm_policy": None, "robots": [], "license": None}
    rights = merge_rights(page_rights, headers, url=URL, site=SITE_FILE)
    assert (rights["tdm_reservation"], rights["tdm_policy"], rights["tdm_file"]) == (*expected, "found")


def test_robots_directives_of_the_page_and_the_headers_add_up() -> None:
    page_rights = {"tdm_reservation": None, "tdm_policy": None, "robots": ["noindex"], "license": None}
    headers = {"x-robots-tag": "googlebot: noarchive, noimageai"}
    assert merge_rights(page_rights, headers) == {
        "tdm_reservation": None, "tdm_policy": None, "tdm_file": None,
        "robots": ["noarchive", "noimageai", "noindex"], "license": None,
    }


RULES = (b'[{"location": "/news/*/live$", "tdm-reservation": 0},'
         b' {"location": "/news/", "tdm-reservation": 1},'
         b' {"location": "/*.pdf$", "tdm-reservation": 1},'
         b' {"location": "/caf%C3%A9/", "tdm-reservation": 1},'
         b' {"location": "/price-%24", "tdm-reservation": 1}]')


@pytest.mark.parametrize(
    ("path", "reservation"),
    [
        ("/news/2024/live", 0),  # the first rule that matches wins
        ("/news/2024/live/more", 1),  # "$" ends the pattern
        ("/News/2024", None),  # case sensitive
        ("/%6Eews/x", 1),  # an escaped unreserved character is the character
        ("/files/a.pdf", 1),
        ("/files/a.pdf?download=1", None),  # the query is part of what is matched
        ("/café/menu", 1),
        ("/price-$", 1),
        ("/sport/", None),  # no rule: unset
    ],
)
def test_tdmrep_locations_match_as_robots_txt_patterns(path: str, reservation: int | None) -> None:
    site = read_tdmrep_file(200, RULES, "https://news.example/.well-known/tdmrep.json")
    rule = site.rule_for("https://news.example" + path)
    assert (rule.reservation if rule else None) == reservation


@pytest.mark.parametrize(
    ("status", "body", "file", "rules", "problems"),
    [
        (404, b"<html>Not found</html>", "absent", 0, 0),
        (200, b'{"location": "/", "tdm-reservation": 1}', "invalid", 0, 1),
        (200, b'[{"location": "/", "tdm-reservation": 1', "invalid", 0, 1),
        (200, b"[" * 100_000, "invalid", 0, 1),
        (200, b'[{"location": "/", "tdm-reservation": 1}]' + b" " * MAX_TDMREP_BYTES, "invalid", 0, 1),
        (200, b'[1, {"tdm-reservation": 1}, {"location": "/a", "tdm-reservation": "yes"},'
              b' {"location": "/", "tdm-reservation": 0, "tdm-policy": 7}]', "found", 2, 4),
        (200, b"[]", "found", 0, 0),
    ],
)
def test_a_bad_tdmrep_file_is_read_as_far_as_it_goes(status: int, body: bytes, file: str, rules: int,
                                                      problems: int) -> None:
    site = read_tdmrep_file(status, body, "https://news.example/.well-known/tdmrep.json")
    assert (site.status, len(site.rules), len(site.problems)) == (file, rules, problems)


# --------------------------------------------------------------------------- ARCHIVE_HONOR_NOARCHIVE in a crawl

_HTML_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8"
NOARCHIVE_PAGES = {
    "/kept": _with_length(_HTML_HEAD, ARTICLE_HTML),
    "/noarchive-meta": _with_length(
        _HTML_HEAD, ARTICLE_HTML.replace(b"</head>", b'<meta name="robots" content="noarchive, nofollow"></head>')
    ),
    "/noarchive-header": _with_length(_HTML_HEAD + b"\r\nX-Robots-Tag: noarchive", ARTICLE_HTML),
}


@dataclass
class NoarchiveSite(RawSite):
    """The raw test site with an article page plain, one saying noarchive in a meta tag, one in a header."""

    def _next_response(self, path: str) -> bytes:
        return NOARCHIVE_PAGES.get(path) or super()._next_response(path)


@pytest.mark.parametrize("honor", [True, False])
def test_honor_noarchive_skips_the_row_and_keeps_the_records(tmp_path: Path, honor: bool) -> None:
    _, base, result = crawl_raw_site(
        tmp_path, list(NOARCHIVE_PAGES), settings={"ARCHIVE_HONOR_NOARCHIVE": "1" if honor else "0"},
        site=NoarchiveSite(),
    )
    rows = {row["url"]: row for row in result.text_rows()}
    responses = {r.rec_headers.get_header("WARC-Target-URI") for r in records(result.warc_files(), "response")}
    assert {base + path for path in NOARCHIVE_PAGES} <= responses  # every page archived byte for byte
    stats = result.manifest["stats"]
    if honor:
        assert set(rows) == {base + "/kept"}
        assert stats["archive/text/noarchive"] == 2
    else:
        assert set(rows) == {base + path for path in NOARCHIVE_PAGES}
        assert "archive/text/noarchive" not in stats
        assert rows[base + "/kept"]["rights"]["robots"] == []
        assert rows[base + "/noarchive-meta"]["rights"]["robots"] == ["noarchive", "nofollow"]
        assert rows[base + "/noarchive-header"]["rights"]["robots"] == ["noarchive"]


# --------------------------------------------------------------------------- a site's tdmrep.json in a crawl

_JSON_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json"
_ARTICLE = _with_length(_HTML_HEAD, ARTICLE_HTML)
RESERVED = _with_length(_JSON_HEAD,
                        b'[{"location": "/news/*", "tdm-reservation": 1, "tdm-policy": "/tdm-policy.json"}]')


#: The project's default, which the other test crawls switch off.
WELL_KNOWN_ON = {"ARCHIVE_TDMREP_WELL_KNOWN": "1"}


@dataclass
class TdmSite(RawSite):
    """The raw test site serving ``pages`` (path -> response bytes) first; its tdmrep.json
    answers ``answer_delay`` seconds late, so articles arrive before it."""

    pages: dict[str, bytes] = field(default_factory=dict)
    answer_delay: float = 0.0

    def _next_response(self, path: str) -> bytes:
        if path == TDMREP_PATH and self.answer_delay:
            time.sleep(self.answer_delay)
        return self.pages.get(path) or super()._next_response(path)


@pytest.fixture(scope="module")
def tdm_crawl(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, TdmSite], dict[str, str], CrawlResult]]:
    """Four sites crawled at once: one reserving /news/* in its tdmrep.json, one without the
    file, one whose robots.txt disallows /.well-known/, one with a broken file; and a fifth
    that only serves an image the first one's pages show."""
    images = TdmSite(pages={"/logo.png": _with_length(b"HTTP/1.1 200 OK\r\nContent-Type: image/png", b"\x89PNG")})
    image_base = images.start()
    with_image = ARTICLE_HTML.replace(b"</article>", f'<img src="{image_base}/logo.png"></article>'.encode())
    sites = {
        "reserved": TdmSite(answer_delay=1.0, pages={
            TDMREP_PATH: RESERVED,
            "/news/harbour": _with_length(_HTML_HEAD, with_image),
            "/news/meta-says-free": _with_length(_HTML_HEAD, ARTICLE_HTML.replace(
                b"</head>", b'<meta name="tdm-reservation" content="0"></head>')),
            "/news/header-says-free": _with_length(_HTML_HEAD + b"\r\ntdm-reservation: 0", ARTICLE_HTML),
            "/about/harbour": _ARTICLE,
        }),
        "no file": TdmSite(pages={"/news/harbour": _ARTICLE}),
        "disallowed": TdmSite(pages={
            "/robots.txt": _with_length(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain",
                                        b"User-agent: *\nDisallow: /.well-known/\n"),
            "/news/harbour": _ARTICLE,
        }),
        "broken": TdmSite(pages={TDMREP_PATH: _with_length(_JSON_HEAD, b'[{"location": "/news/*", "tdm-res'),
                                 "/news/harbour": _ARTICLE}),
    }
    bases = {name: site.start() for name, site in sites.items()}
    pages = [bases[name] + path for name, site in sites.items() for path in site.pages if path.startswith("/news/")]
    pages.append(bases["reserved"] + "/about/harbour")
    try:
        # One article text on four pages of a host: it would be learned as the host's template
        # (ARCHIVE_BOILERPLATE_MIN_PAGES) and the page extracted last would lose it.
        result = run_crawl(tmp_path_factory.mktemp("archive"), {"urls": ",".join(pages)},
                           {**WELL_KNOWN_ON, "ARCHIVE_BOILERPLATE_MIN_PAGES": "100"})
    finally:
        for site in (*sites.values(), images):
            site.stop()
    if result.returncode != 0:
        pytest.fail(f"the crawl exited with {result.returncode}:\n{result.log}")
    yield {**sites, "images": images}, bases, result


def test_each_rows_rights_carry_its_sites_tdmrep_file(tdm_crawl) -> None:
    _, bases, result = tdm_crawl
    rights = {row["url"]: row["rights"] for row in result.text_rows()}  # rows checked against the schema
    said = {url: (r["tdm_reservation"], r["tdm_policy"], r["tdm_file"]) for url, r in rights.items()}
    reserved, policy = bases["reserved"], bases["reserved"] + "/tdm-policy.json"
    assert said == {
        reserved + "/news/harbour": (1, policy, "found"),
        reserved + "/news/meta-says-free": (0, policy, "found"),  # the page's meta tag has the last word
        reserved + "/news/header-says-free": (0, policy, "found"),  # the header's is over the file's
        reserved + "/about/harbour": (None, None, "found"),  # no rule for /about/
        bases["no file"] + "/news/harbour": (None, None, "absent"),
        bases["disallowed"] + "/news/harbour": (None, None, None),
        bases["broken"] + "/news/harbour": (None, None, "invalid"),
    }


def test_the_file_is_fetched_once_per_site_robots_txt_permitting_and_archived(tdm_crawl) -> None:
    sites, bases, result = tdm_crawl
    assert {name: site.paths().count(TDMREP_PATH) for name, site in sites.items()} == {
        "reserved": 1, "no file": 1, "disallowed": 0, "broken": 1, "images": 0,
    }
    assert "/logo.png" in sites["images"].paths()  # a host only images came from has no say over rows
    archived = {r.rec_headers.get_header("WARC-Target-URI"): r.http_headers.get_statuscode()
                for r in records(result.warc_files(), "response")}
    assert {name: archived.get(bases[name] + TDMREP_PATH) for name in ("reserved", "no file", "disallowed", "broken")
            } == {"reserved": "200", "no file": "404", "disallowed": None, "broken": "200"}
    stats = result.manifest["stats"]
    assert [stats.get(f"archive/rights/tdmrep_{kind}") for kind in ("found", "absent", "invalid", "not_fetched")
            ] == [1, 1, 1, 1]


def test_reextraction_finds_the_archived_file(tdm_crawl, tmp_path: Path) -> None:
    _, _, result = tdm_crawl
    reextract(result.crawl_dir, tmp_path / "again", options=OPTIONS, workers=1, gzip_level=ARCHIVE_GZIP_LEVEL)
    again = {row["url"]: row["rights"] for row in read_text_rows(tmp_path / "again")}
    assert again == {row["url"]: row["rights"] for row in result.text_rows()}


def test_the_file_is_not_fetched_when_switched_off(tmp_path: Path) -> None:
    site = TdmSite(pages={TDMREP_PATH: RESERVED, "/news/harbour": _ARTICLE})
    _, _, result = crawl_raw_site(tmp_path, ["/news/harbour"], settings={"ARCHIVE_TDMREP_WELL_KNOWN": "0"}, site=site)
    assert TDMREP_PATH not in site.paths()
    assert [row["rights"]["tdm_file"] for row in result.text_rows()] == [None]
