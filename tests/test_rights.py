"""Access and rights per text row: paywall state, TDMRep, robots directives, licence."""

from __future__ import annotations

import json

import pytest

from scraper.extract.extractor import extract_article
from scraper.extract.rights import merge_rights

URL = "https://news.example/2024/05/01/library-hours/"
FIRST = "The council met on Tuesday to discuss the new opening hours of the city library and its branches. " * 3
SECOND = "Members agreed that the library should stay open later on weekdays, as the budget allows it this year. " * 3


def page(body: str, head: str = "") -> str:
    """An article page: a title, then ``body`` in an <article>."""
    return (f"<html><head><title>Library hours | City News</title>{head}</head>"
            f"<body><article><h1>Library hours</h1>{body}</article></body></html>")


def _article_of(head: str = "", body: str = "") -> tuple[str, dict]:
    article = extract_article(page(f"<p>{FIRST}</p><p>{SECOND}</p>{body}", head=head), URL)
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


def test_the_http_headers_win_for_tdmrep_and_add_their_robots_directives() -> None:
    page_rights = {"tdm_reservation": 0, "tdm_policy": None, "robots": ["noindex"], "license": None}
    headers = {
        "TDM-Reservation": "1", "tdm-policy": "https://news.example/policy",
        "x-robots-tag": "googlebot: noarchive, noimageai",
    }
    assert merge_rights(page_rights, headers) == {
        "tdm_reservation": 1, "tdm_policy": "https://news.example/policy",
        "robots": ["noarchive", "noimageai", "noindex"], "license": None,
    }
    assert merge_rights(page_rights, {}) == {**page_rights, "robots": ["noindex"]}
