"""Fault kinds reported against the extractor, each as a kind: small pages built the ways sites build them.

Every page is an article of two long paragraphs around the markup under test; the test
names what a reader of the text row relies on.
"""

from __future__ import annotations

import json

import pytest
from lxml.html import fromstring as html_fromstring

from scraper.extract.decision import is_listing_path
from scraper.extract.ensemble import vote_paragraphs
from scraper.extract.extractor import extract_article
from scraper.extract.model import Article, ExtractionOptions
from scraper.extract.paragraphs import page_paragraphs
from scraper.extract.rescues import body_start_paragraphs, continuation_paragraphs, witness_paragraphs
from scraper.settings import ARCHIVE_MIN_TEXT_CHARS

URL = "https://news.example/2024/05/01/library-hours/"
UNDATED_URL = "https://news.example/local/library-hours"
FIRST = "The council met on Tuesday to discuss the new opening hours of the city library and its branches. " * 3
SECOND = "Members agreed that the library should stay open later on weekdays, as the budget allows it this year. " * 3
THIRD = "The mayor said the change would cost little and that the branches would hire two more librarians. " * 3

OPTIONS = ExtractionOptions(min_text_chars=ARCHIVE_MIN_TEXT_CHARS)


def page(body: str, head: str = "", title: str = "Library hours open later | City News") -> str:
    """An article page: the title, then ``body`` in an <article>."""
    return (
        f"<html><head><title>{title}</title>{head}</head>"
        f"<body><nav><a href='/'>Home</a></nav><article><h1>Library hours open later</h1>{body}</article>"
        "<footer>Contact us</footer></body></html>"
    )


def extract(html: str, url: str = URL) -> Article:
    article = extract_article(html, url, OPTIONS)
    assert article is not None
    return article


def _rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("|")]


# --------------------------------------------------------------------------- lists and tables in table cells


@pytest.mark.parametrize(
    ("cell", "want"),
    [
        ("<ul><li>09:30 to 19:45</li></ul>", "| Monday | 09:30 to 19:45 |"),
        ("<ol><li>10:00 to 12:00</li><li>14:00 to 18:00</li></ol>", "| Monday | 10:00 to 12:00; 14:00 to 18:00 |"),
        ("<dl><dt>Morning</dt><dd>09:30</dd></dl>", "| Monday | Morning; 09:30 |"),
        ("<table><tr><td>09:30</td><td>19:45</td></tr></table>", "| Monday | 09:30 19:45 |"),
        ("Open: <ul><li>09:30</li></ul>", "| Monday | Open: 09:30 |"),
    ],
)
def test_a_list_or_table_in_a_table_cell_keeps_its_text(cell: str, want: str) -> None:
    table = f"<table><tr><th>Day</th><th>Hours</th></tr><tr><td>Monday</td><td>{cell}</td></tr></table>"
    article = extract(page(f"<p>{FIRST}</p>{table}<p>{SECOND}</p>"))
    assert want in _rows(article.text)


def test_a_table_is_one_readable_block_with_a_row_on_each_line() -> None:
    table = (
        "<table><tr><th>Branch</th><th>Opens</th><th>Closes</th></tr>"
        "<tr><td>Central</td><td>09:00</td><td>20:00</td></tr>"
        "<tr><td>Harbour</td><td>10:00</td><td>18:00</td></tr></table>"
    )
    article = extract(page(f"<p>{FIRST}</p>{table}<p>{SECOND}</p>"))
    blocks = article.text.split("\n\n")
    table_blocks = [b for b in blocks if b.startswith("|")]
    assert len(table_blocks) == 1
    lines = table_blocks[0].splitlines()
    assert "| Central | 09:00 | 20:00 |" in lines and "| Harbour | 10:00 | 18:00 |" in lines
    assert blocks[0] == FIRST.strip() and blocks[-1] == SECOND.strip()


def test_a_page_that_is_mostly_a_data_table_is_not_an_article() -> None:
    rows = "".join(f"<tr><td>Stop {n}</td><td>0{n % 10}:15</td><td>Platform {n % 4}</td></tr>" for n in range(40))
    html = (
        "<html><head><title>Timetable line 4</title></head><body><main><h1>Timetable</h1>"
        f"<p>Valid from June.</p><table>{rows}</table></main></body></html>"
    )
    assert extract_article(html, "https://transit.example/lines/4/timetable", OPTIONS) is None


def test_a_page_that_is_a_list_of_links_is_not_an_article() -> None:
    links = "".join(
        f"<p><a href='/reports/{n}'>Annual report of the harbour authority for the year {1990 + n}</a></p>"
        for n in range(30)
    )
    html = f"<html><head><title>Reports</title></head><body><main><h1>Reports</h1>{links}</main></body></html>"
    assert extract_article(html, "https://harbour.example/about/reports", OPTIONS) is None


# --------------------------------------------------------------------------- text directly in a div


@pytest.mark.parametrize(
    ("between", "line"),
    [
        ("<div>The library will be closed on public holidays.</div>", "The library will be closed on public holidays."),
        ("<div class='notice'>Update: the vote moved to <b>Thursday</b>.</div>", "Update: the vote moved to Thursday."),
        ("<span>The branches keep their summer hours.</span>", "The branches keep their summer hours."),
        ("The library will be closed on public holidays.", "The library will be closed on public holidays."),
    ],
)
def test_text_directly_in_a_div_between_paragraphs_is_kept(between: str, line: str) -> None:
    article = extract(page(f"<p>{FIRST}</p>{between}<p>{SECOND}</p>"))
    assert article.text.split("\n\n") == [FIRST.strip(), line, SECOND.strip()]


@pytest.mark.parametrize(
    "between",
    [
        "<div class='ad-slot'>Advertisement</div>",
        "<div class='share-buttons'>Share this article with your friends</div>",
        "<div>Read also: <a href='/x'>Council approves the budget</a></div>",
        "<div><a href='/x'>Council approves the budget for the coming year</a></div>",
    ],
)
def test_page_furniture_between_paragraphs_stays_out(between: str) -> None:
    article = extract(page(f"<p>{FIRST}</p>{between}<p>{SECOND}</p>"))
    assert article.text.split("\n\n") == [FIRST.strip(), SECOND.strip()]


# --------------------------------------------------------------------------- lead containers


LEAD = ["The library will open longer from June, the council decided on Tuesday.", "Readers had asked for years."]


@pytest.mark.parametrize(
    ("lead_class", "body_class"),
    [
        ("teaser-content", "article-body"),
        ("teaser", "entry-content"),
        ("lead", "article-body"),
        ("intro", "story-text"),
    ],
)
def test_lead_paragraphs_in_a_container_before_the_body_are_kept(lead_class: str, body_class: str) -> None:
    lead = "".join(f"<p>{p}</p>" for p in LEAD)
    body = f"<p>{FIRST}</p><p>{SECOND}</p><p>{THIRD}</p>"
    article = extract(page(f'<div class="{lead_class}">{lead}</div><div class="{body_class}">{body}</div>'))
    assert article.text.split("\n\n") == [*LEAD, FIRST.strip(), SECOND.strip(), THIRD.strip()]


def test_a_headline_block_before_the_body_is_not_taken_for_a_lead() -> None:
    dek = "<div class='article-header'><p>A subtitle under the headline, shown in large type.</p></div>"
    body = f"<div class='article-body'><p>{FIRST}</p><p>{SECOND}</p><p>{THIRD}</p></div>"
    article = extract(page(dek + body))
    assert "subtitle" not in article.text


# --------------------------------------------------------------------------- empty anchors before text


@pytest.mark.parametrize(
    "heading",
    [
        '<h2><span class="ez-toc-section" id="hours"></span>Why open later?<span class="toc-end"></span></h2>',
        '<h3><span id="why"></span>Why open later?</h3>',
        '<h2><i class="icon icon-question"></i> Why open later?</h2>',
        '<h2><strong></strong>Why open later?</h2>',
    ],
)
def test_a_subheading_after_an_empty_anchor_is_kept(heading: str) -> None:
    article = extract(page(f"<p>{FIRST}</p>{heading}<p>{SECOND}</p><p>{THIRD}</p>"))
    assert article.text.split("\n\n") == [FIRST.strip(), "Why open later?", SECOND.strip(), THIRD.strip()]


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("head", "body"),
    [
        ('<script>var consent = {"renewal": "2023-04-12", "expires": "2024-04-12"};</script>', ""),
        ('<script type="text/javascript">window.cfg={updated:"2021-11-03T10:00:00Z"}</script>', ""),
        ("<style>/* build 2022-02-02 */ .x{}</style>", ""),
        ("", '<span style="display:none">2022-01-02</span>'),
        ("", '<div hidden>Last updated 2022-01-02</div>'),
        ("", "<template><time datetime='2020-06-01'>1 June 2020</time></template>"),
    ],
)
def test_a_page_that_declares_no_date_gets_none_from_scripts_or_hidden_markup(head: str, body: str) -> None:
    article = extract(page(f"<p>{FIRST}</p>{body}<p>{SECOND}</p>", head=head), UNDATED_URL)
    assert article.published is None


def test_a_declared_date_and_a_visible_date_still_count() -> None:
    declared = '<meta property="article:published_time" content="2024-05-01T08:00:00+02:00">'
    declared_page = page(f"<p>{FIRST}</p><p>{SECOND}</p>", head=declared)
    assert extract(declared_page, UNDATED_URL).published == "2024-05-01T08:00:00+02:00"
    visible = extract(page(f"<p class='date'>Published 3 March 2021</p><p>{FIRST}</p><p>{SECOND}</p>"), UNDATED_URL)
    assert visible.published == "2021-03-03"


def test_an_article_declared_as_the_main_entity_of_a_web_page_is_read() -> None:
    ld = {"@type": "WebPage", "mainEntity": {"@type": "NewsArticle", "datePublished": "2024-05-01T08:00:00Z"}}
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    article = extract(page(f"<p>{FIRST}</p><p>{SECOND}</p>", head=head), UNDATED_URL)
    assert article.published == "2024-05-01T08:00:00+00:00"


# --------------------------------------------------------------------------- site name from the title


@pytest.mark.parametrize(
    ("title", "url", "site_name", "clean"),
    [
        ("Library hours open later | City News", "http://127.0.0.1:8080/2024/library/", "City News",
         "Library hours open later"),
        ("Library hours open later \u2013 Westbury Gazette", "http://localhost:5000/a/", "Westbury Gazette",
         "Library hours open later"),
        ("Courier Online - Library hours open later", "https://courier-online.example:8443/a/", "Courier Online",
         "Library hours open later"),
    ],
)
def test_site_name_comes_from_the_title_when_no_og_site_name(title: str, url: str, site_name: str, clean: str) -> None:
    article = extract(page(f"<p>{FIRST}</p><p>{SECOND}</p>", title=title), url)
    assert (article.site_name, article.title) == (site_name, clean)


def test_og_site_name_wins_over_the_title() -> None:
    head = '<meta property="og:site_name" content="The City News">'
    article = extract(page(f"<p>{FIRST}</p><p>{SECOND}</p>", head=head), "http://127.0.0.1:8080/a/")
    assert article.site_name == "The City News"


# --------------------------------------------------------------------------- the article decision


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example/themen/strom/umfrage-zur-strompreisbremse/",
        "https://news.example/de/thema/umwelt/woher-kommt-die-dicke-luft",
        "https://news.example/topics/climate/2021-11-19/what-the-summit-agreed",
        "https://blog.example/?p=2895",
        "https://blog.example/index.php?page_id=12",
        "https://news.example/page/about-the-project",
        "",  # no address known: no URL rule applies
    ],
)
def test_an_article_filed_under_a_listing_word_is_still_an_article(url: str) -> None:
    assert not is_listing_path(url)
    assert extract_article(page(f"<p>{FIRST}</p><p>{SECOND}</p>"), url, OPTIONS) is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example/",
        "https://news.example/tag/river/",
        "https://news.example/news/category/world/page/3/",
        "https://news.example/themen/laien",
        "https://news.example/search?q=library",
        "https://news.example/2024/page/2/",
    ],
)
def test_home_and_listing_urls_are_listings(url: str) -> None:
    assert is_listing_path(url)


@pytest.mark.parametrize(
    "title", ["Erfurt: Thorwirth überrascht auf 1.500 Meter-Distanz", "Top 500 companies of the year", "Runde 4.404"]
)
def test_a_number_in_a_headline_is_not_an_error_page(title: str) -> None:
    assert extract_article(page(f"<p>{FIRST}</p><p>{SECOND}</p>", title=title), URL, OPTIONS) is not None


@pytest.mark.parametrize("title", ["404 - Page not found", "Error 404", "Fehler 500", "410 Gone | City News"])
def test_an_error_title_is_no_article(title: str) -> None:
    assert extract_article(page(f"<p>{FIRST}</p><p>{SECOND}</p>", title=title), URL, OPTIONS) is None


def test_a_short_article_that_declares_itself_one_is_kept() -> None:
    head = '<meta property="og:type" content="article">'
    short = "The library opens an hour later on Mondays from June."
    article = extract_article(page(f"<p>{short}</p>", head=head), URL, OPTIONS)
    assert article is not None and short in article.text.split("\n\n")
    assert extract_article(page(f"<p>{short}</p>"), URL, OPTIONS) is None  # undeclared: under the floor


# --------------------------------------------------------------------------- the vote of the witness

BODY = [
    "The council met on Tuesday to discuss the new opening hours of the city library and its branches.",
    "Members agreed that the library should stay open later on weekdays, as the budget allows it this year.",
    "The mayor said the change would take effect in June, after the staff had been consulted about it.",
]


def test_the_vote_keeps_the_lead_and_a_line_between_confirmed_paragraphs() -> None:
    lead = "Readers asked for longer opening hours for years, and the city has finally found the money for them."
    subheading = "What changes in June"
    witness = "\n".join(BODY)  # readability's text: the body's container only
    paragraphs = [lead, BODY[0], BODY[1], subheading, BODY[2]]
    assert vote_paragraphs(paragraphs, witness) == paragraphs


@pytest.mark.parametrize(
    "first", ["Library hours extended | City News", "Share this article on social media", "Updated 3 June 2024"]
)
def test_the_vote_drops_a_headline_or_a_label_before_the_body(first: str) -> None:
    witness = "\n".join(BODY)
    assert vote_paragraphs([first, *BODY, "Read more: the budget for 2025"], witness) == BODY


def test_the_vote_keeps_a_short_run_between_confirmed_paragraphs_and_the_lists() -> None:
    witness = "\n".join(BODY)  # readability's text: no embedded post, no list
    embedded = ["The library is the best place in town to spend a rainy afternoon.", "\u2014 A reader (@reader) 3 June"]
    steps = ["- Bring your library card", "- Ask at the desk for an evening pass", "- Return books by 22:00"]
    paragraphs = [BODY[0], *embedded, BODY[1], *steps, BODY[2], *steps[:2]]
    assert vote_paragraphs(paragraphs, witness) == paragraphs


def test_the_vote_drops_a_long_run_and_what_trails_the_body() -> None:
    witness = "\n".join(BODY)
    promo = [f"Our newsletter, part {n}: the week's stories in your inbox" for n in range(4)]
    paragraphs = [BODY[0], *promo, BODY[1], BODY[2], "More from the city desk", "Sign up for our daily briefing"]
    assert vote_paragraphs(paragraphs, witness, keep_share=0.3) == BODY


def test_the_witnesss_lead_and_in_body_line_join_the_text_but_not_its_captions() -> None:
    lead = "Readers asked for longer opening hours for years, and the city has finally found the money for them."
    line = "The branches in the north of the city will follow in the autumn, once the new staff are hired."
    caption = "The reading room of the central library, which opened in 1911 and was rebuilt in 1998. (Photo: City)"
    tree = html_fromstring(
        f"<html><body><article><div class='intro'><p>{lead}</p></div><div class='body'><p>{BODY[0]}</p>"
        f"<figure><figcaption><p>{caption}</p></figcaption></figure>"
        f"<p>{BODY[1]}</p><p>{line}</p><p>{BODY[2]}</p></div></article></body></html>"
    )
    page_ps = page_paragraphs(tree)
    witness = "\n".join([lead, BODY[0], caption, BODY[1], line, BODY[2]])  # readability's text
    assert witness_paragraphs(BODY, witness, page_ps) == [lead, BODY[0], BODY[1], line, BODY[2]]


def test_the_bodys_first_paragraphs_the_witness_missed_are_kept_beside_it_but_not_a_promotion() -> None:
    start = [f"{BODY[0]} It was the first of {n} meetings on the matter this spring." for n in ("three", "four")]
    promo = "Our newsletter brings the week's stories about the city and its libraries to your inbox."
    tree = html_fromstring(
        f"<html><body><article><div class='promo-box'><p>{promo}</p></div>"
        f"<div class='section'><p>{start[0]}</p></div><div class='section'><p>{start[1]}</p></div>"
        f"<div class='section'><h2>In June</h2><p>{BODY[1]}</p><p>{BODY[2]}</p></div></article></body></html>"
    )
    candidates = [promo, *start, "In June", BODY[1], BODY[2]]
    kept = candidates[3:]  # what the vote kept: readability's text began at the subheading
    assert body_start_paragraphs(candidates, kept, page_paragraphs(tree)) == start


# --------------------------------------------------------------------------- a body split by an ad

REST = [
    "After the vote, the librarians said they would need two more staff members for the evening shifts.",
    "The union welcomed the plan but asked the council to publish the new rota before the summer break.",
]


def _split_body(later: str) -> str:
    """An article whose body's container is followed, after an ad, by ``later`` (holding REST)."""
    return (
        f"<html><body><article><div class='story-text'><p>{BODY[0]}</p><p>{BODY[1]}</p></div>"
        f"<div class='ad-slot'>Advertisement</div>{later}</article></body></html>"
    )


def test_the_rest_of_a_body_split_by_an_ad_is_kept() -> None:
    rest = "".join(f"<p>{p}</p>" for p in REST)
    tree = html_fromstring(_split_body(f"<div class='story-text'>{rest}</div>"))
    assert continuation_paragraphs(tree, BODY[:2], page_paragraphs(tree), min_words=10) == REST


@pytest.mark.parametrize(
    "wrap",
    [
        "<section id='comments'><div class='story-text'>{}</div></section>",  # a comment thread
        "<ol><li><div class='story-text'>{}</div></li></ol>",  # one comment or teaser a list item
        "<article><div class='story-text'>{}</div></article>",  # another post
        "<footer><div class='story-text'>{}</div></footer>",
        "<aside><div class='story-text'>{}</div></aside>",
        "<div class='story-text'><form>{}</form></div>",  # a form's text inside a same-class container
    ],
)
def test_text_of_the_same_class_set_apart_from_the_body_is_no_continuation(wrap: str) -> None:
    rest = "".join(f"<p>{p}</p>" for p in REST)
    tree = html_fromstring(_split_body(wrap.format(rest)))
    assert continuation_paragraphs(tree, BODY[:2], page_paragraphs(tree), min_words=10) == []


# --------------------------------------------------------------------------- one spelling of each character


def test_text_and_metadata_come_in_unicode_normal_form_c() -> None:
    """A page may spell 'é' as e + combining accent, or a Bengali letter with its nukta
    precomposed: the row's text and metadata come out in NFC either way (as trafilatura's
    own text does), so that a search for the word finds it whichever bytes the page used."""
    import unicodedata

    decomposed = "Cafe\u0301 owners in the old town said the new rules came too late for the summer season. "
    bengali = "\u09dc\u09be\u0995\u09be\u09a4\u09bf \u09b9\u09af\u09bc\u09c7\u099b\u09c7\u0964 "  # RRA precomposed
    html = page(
        f"<p>{decomposed * 3}</p><p>{FIRST}</p><p>{bengali * 8}{SECOND}</p>",
        head="<meta name='description' content='Cafe\u0301 owners'>",
        title="Cafe\u0301 rules | City News",
    )
    article = extract(html)
    for value in (article.text, article.title, article.description):
        assert value and value == unicodedata.normalize("NFC", value)
    assert "Caf\u00e9 owners in the old town" in article.text
    assert "\u09a1\u09bc\u09be" in article.text  # NFC spells RRA as DDA + NUKTA (a composition exclusion)
    assert "\u09dc" not in article.text


# --------------------------------------------------------------------------- forum threads

PEPE = "My cat Pepe sheds a lot of dirt from his coat every night and I wonder what it could be. " * 3
REPLY_1 = "That sounds like soil from the garden: mine come home like that after digging all evening long. " * 2
REPLY_2 = "Brush him before bed and put a towel on his sleeping place, that helped with our two cats a lot. " * 2


def forum_thread(declared: bool) -> str:
    """A forum thread built the way forum software builds one: each post an <article> of its own."""
    ld = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "DiscussionForumPosting",'
        ' "headline": "Pepe sheds dirt every night", "author": {"@type": "Person", "name": "anna"}}</script>'
    )
    posts = "".join(
        f"<article class='message message--post js-post' id='js-post-{i}'><div class='message-user'>{user}</div>"
        f"<div class='message-content'><div class='bbWrapper'>{text}</div></div></article>"
        for i, (user, text) in enumerate((("anna", PEPE), ("ben", REPLY_1), ("carla", REPLY_2)), 1)
    )
    return (
        f"<html><head><title>Pepe sheds dirt every night | Cat Forum</title>{ld if declared else ''}</head><body>"
        "<nav><a href='/'>Forum</a> <a href='/cats'>Cats</a></nav><div class='thread'>"
        f"<h1>Pepe sheds dirt every night</h1><div class='block-body'>{posts}</div></div>"
        "<footer>Impressum</footer></body></html>"
    )


def test_a_declared_forum_threads_replies_are_its_text() -> None:
    """In a thread (schema.org DiscussionForumPosting) the replies are the content, where an
    article's comment thread is not: the row holds every post."""
    article = extract(forum_thread(declared=True), "https://forum.example/threads/pepe.123/")
    for post in (PEPE, REPLY_1, REPLY_2):
        assert post.strip() in article.text


def test_posts_after_the_first_stay_out_when_nothing_declares_a_thread() -> None:
    """Without the declaration the same markup reads as a post and its comments: the
    ensemble keeps the first post only (comments are never in the text)."""
    article = extract(forum_thread(declared=False), "https://forum.example/threads/pepe.123/")
    assert PEPE.strip() in article.text
    assert REPLY_1.strip() not in article.text and REPLY_2.strip() not in article.text
