# ruff: noqa: RUF001  (test lines in several scripts: look-alike letters are meant)
"""Extraction quality: clean text, boilerplate stripped, metadata right, site-level learning.

The sample-site pages (built from the seed texts, in the ``contained`` and ``bare``
variants) are fetched from the sample site's own server on 127.0.0.1 and decoded the
way the crawler does, then checked against ``sample_site/site/expected.json``.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.evaluate import (
    SamplePage,
    contains_text,
    expected_metadata,
    leaked,
    metadata_matches,
    plain,
    sample_pages,
)
from scraper.extract.boilerplate import LONG_WORDS, SiteBoilerplate, fingerprint, host_of
from scraper.extract.extractor import extract_article
from scraper.extract.lines import filter_paragraphs, line_kind
from scraper.extract.metadata import clean_title
from scraper.extract.model import Article, ExtractionOptions
from scraper.settings import ARCHIVE_BOILERPLATE_MIN_PAGES, ARCHIVE_MIN_TEXT_CHARS

ROOT = Path(__file__).resolve().parent.parent
SITE_DIR = ROOT / "sample_site" / "site"
SEEDS_DIR = ROOT.parent / "shared" / "seeds"
BENCHMARK_DIR = ROOT.parent / "shared" / "benchmarks" / "aeb-dev"
VARIANTS = ("contained", "bare")

#: The extractor as the crawl runs it, with the project's settings.
OPTIONS = ExtractionOptions(min_text_chars=ARCHIVE_MIN_TEXT_CHARS)


# --------------------------------------------------------------------------- sample site


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built sample site: the checked-out one, or one built from the seeds."""
    if (SITE_DIR / "expected.json").exists():
        return SITE_DIR
    if not SEEDS_DIR.is_dir():
        pytest.skip("no sample site and no seeds to build it from")
    from sample_site.build import build_site

    out = tmp_path_factory.mktemp("sample-site")
    build_site(SEEDS_DIR, out)
    return out


@pytest.fixture(scope="module")
def extracted(site_dir: Path) -> list[tuple[SamplePage, Article | None]]:
    """Every sample-site HTML page (both variants) and what extract_article made of it."""
    pages = sample_pages(site_dir)
    return [(page, extract_article(page.html, page.url, OPTIONS)) for page in pages]


def _articles(extracted: list[tuple[SamplePage, Article | None]], variant: str) -> Iterator[tuple[SamplePage, Article]]:
    """The article pages of one variant, with their (non-None) extraction."""
    found = 0
    for page, article in extracted:
        if page.variant == variant and page.expected is not None:
            assert article is not None, f"{page.path}: article page judged not an article"
            found += 1
            yield page, article
    assert found >= 6, f"expected the 6 sample articles in {variant}, found {found}"


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_article_paragraph_is_kept(extracted: list[tuple[SamplePage, Article | None]], variant: str) -> None:
    lost = [
        (page.path, paragraph[:60])
        for page, article in _articles(extracted, variant)
        for paragraph in page.expected["paragraphs"]  # type: ignore[index]
        if not contains_text(plain(article.text), paragraph)
    ]
    assert not lost


KINDS = (
    "donation",
    "callout",
    "caption_prompt",
    "caption",
    "credit",
    "read_time",
    "date_line",
    "read_also",
    "follow",
    "loader",
    "comment_chrome",
    "comment",
)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_boilerplate_of_each_kind_is_stripped(
    extracted: list[tuple[SamplePage, Article | None]], variant: str, kind: str
) -> None:
    present, leaks = 0, []
    for page, article in _articles(extracted, variant):
        entry: dict[str, Any] = page.expected  # type: ignore[assignment]
        for item in entry["boilerplate"]:
            if item["kind"] != kind:
                continue
            present += 1
            if leaked(article.text, item["text"], entry["paragraphs"]):
                leaks.append((page.path, item["text"][:60]))
    assert present > 0, f"the sample site shows no {kind}: the test would prove nothing"
    assert not leaks


@pytest.mark.parametrize("variant", VARIANTS)
def test_metadata_is_right(extracted: list[tuple[SamplePage, Article | None]], variant: str) -> None:
    wrong = []
    for page, article in _articles(extracted, variant):
        base_url = page.url[: len(page.url) - len(page.path)]
        for name, want in expected_metadata(page.expected, base_url).items():  # type: ignore[arg-type]
            got = getattr(article, name)
            if not metadata_matches(name, want, got):
                wrong.append((page.path, name, got, want))
    assert not wrong


def test_title_and_text_are_separate(extracted: list[tuple[SamplePage, Article | None]]) -> None:
    for _page, article in _articles(extracted, "bare"):
        assert article.title and article.title not in article.text.split("\n\n")
        assert "\n\n" in article.text and "\n\n\n" not in article.text


@pytest.mark.parametrize("variant", VARIANTS)
def test_non_article_pages_give_none(extracted: list[tuple[SamplePage, Article | None]], variant: str) -> None:
    pages = [(p.path, a) for p, a in extracted if p.variant == variant and p.expected is None]
    paths = {path for path, _ in pages}
    assert {"/", "/southfront/", "/newsfront/", "/newarab/", "/no-such-page/"} <= paths
    assert any(path.startswith("/search?") for path in paths)
    assert [path for path, article in pages if article is not None] == []


# --------------------------------------------------------------------------- the line rules


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("0 $ 2,500 $ 5,000 $ 1,440 $", "donation_widget"),
        ("Support SouthFront", "call_to_action"),
        ("Subscribe to our newsletter", "call_to_action"),
        ("A Turkish BMC, destroyed on March 2nd by the LNA. Click to see full-size image", "caption_prompt"),
        ("Нажмите, чтобы увеличить", "caption_prompt"),
        ("Notify of", "comments"),
        ("Newest Most Voted", "comments"),
        ("Would love your thoughts, please comment.x", "comments"),
        ("Комментарии", "comments"),
        ("Read also: Syria Weekly: Turkey retaliation blocks regime's advance in Idlib", "read_also"),
        ("Читайте также: Армия Хафтара сбила беспилотник", "read_also"),
        ("اقرأ أيضاً: أردوغان يتعهد بتحرير ليبيا", "read_also"),
        ("Lesen Sie auch: Die Lage in Libyen", "read_also"),
        ("Lire aussi : La situation en Libye", "read_also"),
        ("Lee también: La situación en Libia", "read_also"),
        ("Le puede interesar: El juez abrirá tres nuevos casos", "read_also"),
        ("VEA TAMBIÉN: La situación en Libia", "read_also"),
        ("Czytaj też: Sytuacja w Libii", "read_also"),
        ("Lesen Sie hier: Die Lage in Libyen", "read_also"),
        ("Lesen Sie auch die folgenden Beiträge:", "read_also"),
        ("Das Thema könnte dich auch interessieren:", "read_also"),
        ("Schon gelesen?", "read_also"),
        ("Lees ook: De situatie in Libië", "read_also"),
        ("Never miss the latest news by signing up to our newsletter today!", "call_to_action"),
        ("Do you want to be informed of our actions? Sign up here", "call_to_action"),
        ("Subscribe now to our print edition for the full story.", "call_to_action"),
        ("To view the full story, please subscribe to the Gazette.", "call_to_action"),
        ("Zapraszamy też do subskrypcji tygodnika", "call_to_action"),
        ("ANZEIGE - Heute mal ausgehen? Wie wäre es mit:", "ad_disclosure"),
        ("*Werbung. Dieser Beitrag enthält Werbung für eine Marke.", "ad_disclosure"),
        ("This post contains links from one or more of our advertisers. We may receive compensation.", "ad_disclosure"),
        ("Keine Kommentare (Kommentare erscheinen erst nach unserer Freigabe)", "comments"),
        ("Teilen Sie dies mit:", "share_follow"),
        ("Crédits photos : Bestimage", "photo_credit"),
        ("Titelbild: Max Mustermann/picture-alliance", "photo_credit"),
        ("(Credit: Jane Doe / Grist)", "photo_credit"),
        ("Follow\xa0us on\xa0FacebookTwitter\xa0and\xa0Instagram\xa0to stay connected", "share_follow"),
        ("Подписывайтесь на наш канал в Telegram", "share_follow"),
        ("Suivez-nous sur Twitter", "share_follow"),
        ("Síguenos en Facebook", "share_follow"),
        ("Folgen Sie uns auf Instagram", "share_follow"),
        ("تابعونا على فيسبوك", "share_follow"),
        ("3 min read", "read_time"),
        ("Время чтения: 4 мин", "read_time"),
        ("3 دقائق قراءة", "read_time"),
        ("Lesezeit: 5 Minuten", "read_time"),
        ("5 min de lecture", "read_time"),
        ("Tiempo de lectura: 2 minutos", "read_time"),
        ("Loading ...", "loader"),
        ("Загрузка...", "loader"),
        ("Cargando…", "loader"),
        ("Chargement...", "loader"),
        (
            "Undated file photo, Image: 311609949, License: Rights-managed, Restrictions: , Model Release: no, "
            "Credit line: Profimedia, Abaca Press",
            "photo_credit",
        ),
        ("Haftar's forces have been fighting to capture Tripoli [Getty]", "photo_credit"),
        ("Photo: AFP", "photo_credit"),
        ("02 March, 2020", "date_line"),
        ("02 مارس 2020", "date_line"),
        ("2 марта 2020", "date_line"),
        ("Copyright ©2019 Dow Jones & Company, Inc. All Rights Reserved", "copyright"),
        # lists of the site's other stories
        ("Meistgelesene Artikel", "read_also"),
        ("Most read on The Courier", "read_also"),
        ("Lo más leído", "read_also"),
        ("Nächster Artikel", "read_also"),
        ("Previous article", "read_also"),
        ("Mehr auf example-news.de", "read_also"),
        ("More from The Harbour Times", "read_also"),
        # the site's own channel, offered to the reader
        ("Únete a nuestro canal de WhatsApp y recibe las noticias", "share_follow"),
        ("Join our Telegram channel for breaking news", "share_follow"),
        ("Abonniere unseren YouTube-Kanal!", "share_follow"),
        ("Alle Meldungen als RSS-Feed abonnieren", "share_follow"),
        # requests to the reader about the site
        ("Get the latest headlines: download our free app for iOS and Android.", "call_to_action"),
        ("Jetzt die Stadtblatt-App für iOS und Android herunterladen", "call_to_action"),
        ("Send us your letters to the editor using this form.", "call_to_action"),
        ("We'd love to hear your thoughts on this story: write to us.", "call_to_action"),
        ("Already a subscriber? Log in to keep reading.", "call_to_action"),
        ("Sie sind derzeit nicht angemeldet.", "call_to_action"),
        ("Unterstütze Stadtblatt schon mit 3 Euro im Monat!", "call_to_action"),
        ("Jetzt klicken und kostenlos für das E-Paper registrieren!", "call_to_action"),
        # reprint terms and the site's notices
        ("This story may not be reproduced without the written consent of the publisher.", "copyright"),
        ("Nachdruck und Weiterverbreitung nur mit schriftlicher Genehmigung des Verlags.", "copyright"),
        ("Prohibida su reproducción total o parcial.", "copyright"),
        ("(Angaben ohne Gewähr)", "site_notice"),
        ("Table of contents", "site_notice"),
        ("Foto vergrößern", "site_notice"),
        ("Weitere Informationen:", "site_notice"),
        ("Ansprechpartner für die Presse:", "site_notice"),
        ("Media contact:", "site_notice"),
        ("Más información:", "site_notice"),
        ("Mehr Informationen unter www.example-verein.de.", "site_notice"),
        # sources and sign-offs
        ("Quelle: Statistisches Landesamt", "photo_credit"),
        ("Fuente: Ministerio de Salud", "photo_credit"),
        ("(ak/dpa)", "photo_credit"),
        ("Der neue Bahnhof am Abend. © dpa / Max Muster", "photo_credit"),
        ("14.03.2021", "date_line"),
        ("2019-11-20 14:05", "date_line"),
        ("Comments total: 3", "comments"),
        ("Veröffentlicht am:", "site_notice"),
        ("Impressum | Datenschutz | AGB | Über uns", "site_notice"),
        ("Privacy policy · Terms of use · Contact", "site_notice"),
    ],
)
def test_line_rules_catch_boilerplate_in_several_languages(line: str, kind: str) -> None:
    assert line_kind(line) == kind


@pytest.mark.parametrize(
    "line",
    [
        "The delegation was also received by Syrian President Bashar al-Assad.",
        "Support for the ceasefire grew among the parties in March, officials said.",
        "Turkey has 12 observation posts established in rebel-held Idlib following a 2018 deal.",
        "$139.00",
        "Ливийская национальная армия сообщила о новых успехах в боях за Триполи.",
        "وقال وزير الخارجية السوري وليد المعلم إن البعثات ستعود إلى العمل في دمشق.",
        "29 November 2018 | 20 January 2019",
        "Follow-up talks are planned for next week in Geneva.",
        "Comments made by the minister drew criticism from the opposition.",
        "Комментарии экспертов были осторожными.",
        "По теме доклада выступил министр обороны.",
        "Teilen sich die Parteien die Macht, wird es schwierig.",
        "Relacionado con el caso, el juez citó a tres testigos.",
        "شارك الرئيس في القمة العربية في الرياض.",
        "15 comments were submitted to the council.",
        "Copyright laws are changing in the EU.",
        "Support grows.",
        "Help wanted in the harbour town.",
        "She decided to subscribe.",
        "Voters can sign up to vote online until Friday.",
        "More than 300 residents signed up for the course.",
        "Lesen Sie die Zahlen genau, sagte der Minister.",
        "Foto: Die Stadt hat ein neues Rathaus gebaut, das im Juni eröffnet wird und viel Geld gekostet hat.",
        "Zobacz, jak głosowali posłowie w tej sprawie.",
        "Werbung ist für viele Zeitungen die wichtigste Einnahmequelle.",
        "Anzeige erstattet hat die Nachbarin am Montag.",
        "Advertisement revenue fell by 20 percent.",
        # article lines that share words with the rules above
        "Most read books of the year were written by women, the survey found.",
        "The next article of the treaty deals with fishing rights.",
        "More on that later, the minister said.",
        "Mehr zu den Hintergründen der Wahl lesen Sie unten.",
        "The broadcaster launched its YouTube channel in 2010 and now has two million subscribers.",
        "Users can download the app for iOS and Android since Monday, the company said.",
        "Readers sent more than 300 letters to the editor after the article appeared.",
        "Quelle: Die Zahlen stammen aus dem Bericht des Ministeriums, der am Montag vorgestellt wurde.",
        "Kontakt: Die Polizei bittet unter der Nummer 110 um Hinweise.",
        "The © sign was added to the logo in 1998, the company said.",
        "030-123-4567",
        "The terms | the privacy of users | a legal fight over data",
        "12.5.2020 | 3.4.2021",
        "Inhalt und Form des Vertrags sind noch offen.",
        "The court said the photos may not be reproduced in the trial's coverage, which the paper disputed.",
    ],
)
def test_line_rules_keep_article_lines(line: str) -> None:
    assert line_kind(line) is None


def test_comment_thread_is_cut_from_its_header_on() -> None:
    article = ["The talks ended on Sunday with an agreement on the missions. " * 5, "A second paragraph follows."]
    thread = ["Notify of", "Arch Bungle", "The enemy of my enemy is my friend …", "Zionism = EVIL", "Lone Ranger"]
    assert filter_paragraphs([*article, *thread]) == article


def test_a_header_at_the_very_top_does_not_cut_the_article() -> None:
    paragraphs = ["3 comments", "The talks ended on Sunday with an agreement. " * 10, "Another paragraph."]
    assert filter_paragraphs(paragraphs) == paragraphs[1:]


def test_a_tables_empty_and_boilerplate_rows_go_and_its_data_rows_stay() -> None:
    table = "\n".join([
        "|  |  |  |",
        "| Meistgelesene Artikel |",
        "| Monday | 09:30 to 19:45 | 12.50 € |",
        "| Tuesday | closed | 1.440 |",
    ])
    kept = filter_paragraphs(["The opening hours of the pool change on Monday.", table])
    assert kept == [
        "The opening hours of the pool change on Monday.",
        "| Monday | 09:30 to 19:45 | 12.50 € |\n| Tuesday | closed | 1.440 |",
    ]
    assert filter_paragraphs(["Body.", "|  |  |\n| Share |"]) == ["Body."]
    # the titles are read once, for the table's rows and the lines alike, even from an iterator
    title = "Pool hours change on Monday"
    assert filter_paragraphs([f"| {title} |\n{table.splitlines()[2]}", title, "Body."], iter([title])) == [
        table.splitlines()[2], "Body."]


def test_donation_widget_lines_in_a_run_are_dropped_but_a_lone_price_stays() -> None:
    kept = filter_paragraphs(["0 $", "2,500 $", "5,000 $", "1,440 $", "The text.", "$139.00", "Buy now."])
    assert kept == ["The text.", "$139.00", "Buy now."]


def test_title_repeats_are_dropped() -> None:
    title = "Haftar’s Forces Make Gains As Delegation Visits Damascus"
    kept = filter_paragraphs(["Haftar's Forces Make Gains As Delegation Visits Damascus", "Body."], title)
    assert kept == ["Body."] and line_kind(title, title) == "title_repeat"


@pytest.mark.parametrize(
    ("title", "site", "url", "want"),
    [
        ("Damascus & Libyan National Army Deepen Ties - SouthFront", "SouthFront", "https://southfront.org/x", None),
        ("Assad joins forces with Haftar | The New Arab", "The New Arab", "https://www.alaraby.co.uk/x", None),
        ("Армия Хафтара сбила беспилотник | News Front", None, "https://news-front.info/x", None),
        ("Opinion | Republicans Are Following Trump to Nowhere", "NYTimes", "https://www.nytimes.com/x", "same"),
        ("BBC News - Julian Assange: Sweden drops rape investigation", "BBC", "https://www.bbc.com/x", None),
    ],
)
def test_clean_title_drops_the_site_name_only(title: str, site: str | None, url: str, want: str | None) -> None:
    cleaned = clean_title(title, site, url)
    if want == "same":
        assert cleaned == title
    else:
        assert cleaned is not None and cleaned in title and len(cleaned) < len(title)
        assert "SouthFront" not in cleaned and "New Arab" not in cleaned and "News Front" not in cleaned
        assert "BBC" not in cleaned


# --------------------------------------------------------------------------- site-level learning

WORDS = (
    "ministry delegation council harbour railway budget province river election court village market "
    "border treaty energy pipeline festival museum stadium hospital university factory drought harvest "
    "senator mayor envoy report inquiry tariff currency shipment convoy airport bridge tunnel reform"
).split()
TEMPLATE_LINE = "The Riverside Courier is published by Riverside Media Group."
QUOTE = (
    "We will not accept any agreement that leaves the northern villages without water, the regional "
    "governor said in a statement read out to reporters in front of the council building on Monday."
)


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _synthetic_page(number: int, quote: bool) -> tuple[str, str, list[str]]:
    """(url, html, article paragraphs) of one article of a synthetic site with a template line."""
    rng = random.Random(number)
    paragraphs = [" ".join(_sentence(rng, 14) for _ in range(3)) for _ in range(6)]
    if quote:
        paragraphs.insert(3, QUOTE)
    body = "".join(f"<p>{p}</p>" for p in [*paragraphs, TEMPLATE_LINE])
    title = f"Report number {number} on the river towns"
    html = (
        f'<html lang="en"><head><title>{title} - Riverside Courier</title>'
        '<meta property="og:type" content="article"></head>'
        f'<body><article><h1>{title}</h1><div class="entry-content">{body}</div></article></body></html>'
    )
    return f"https://courier.example/news/{number}/", html, paragraphs


def test_site_learning_drops_a_repeated_line_and_keeps_a_quote_seen_twice() -> None:
    learned = SiteBoilerplate(min_pages=3)
    texts: dict[int, str] = {}
    for number in range(1, 7):
        url, html, paragraphs = _synthetic_page(number, quote=number in (1, 2))
        article = extract_article(html, url, OPTIONS, site_boilerplate=learned.template_for(url))
        assert article is not None
        assert all(contains_text(plain(article.text), p) for p in paragraphs)
        texts[number] = article.text
        learned.observe(url, article.fingerprints)
    # the first three pages keep the line (the rules do not know it), later pages lose it
    assert all(TEMPLATE_LINE in texts[n] for n in (1, 2, 3))
    assert all(TEMPLATE_LINE not in texts[n] for n in (4, 5, 6))
    assert fingerprint(TEMPLATE_LINE) in learned.template_for("https://courier.example/other/")
    # the quote, on two pages, is article text
    assert QUOTE in texts[1] and QUOTE in texts[2]
    assert fingerprint(QUOTE) not in learned.template_for("https://courier.example/")
    # another host has learned nothing
    assert learned.template_for("https://other.example/news/1/") == frozenset()


def test_line_rules_strip_widgets_before_the_site_has_been_learned() -> None:
    url, html, paragraphs = _synthetic_page(1, quote=False)
    widgets = "<p>Read also: The river towns vote</p><p>3 min read</p>"
    html = html.replace("<p>" + TEMPLATE_LINE, widgets + "<p>" + TEMPLATE_LINE)
    article = extract_article(
        html, url, OPTIONS, site_boilerplate=SiteBoilerplate(min_pages=ARCHIVE_BOILERPLATE_MIN_PAGES).template_for(url)
    )
    assert article is not None
    assert "Read also" not in article.text and "min read" not in article.text
    assert all(p in article.text for p in paragraphs)


def test_a_long_paragraph_needs_many_pages_and_a_share_of_them() -> None:
    learned = SiteBoilerplate(min_pages=3)
    long_fp, short_fp = fingerprint(QUOTE), fingerprint(TEMPLATE_LINE)
    assert long_fp.startswith("L") and short_fp.startswith("S") and QUOTE.count(" ") >= LONG_WORDS
    for number in range(10):
        prints = [short_fp, fingerprint(f"Unique paragraph {number} " + "text " * 30)]
        learned.observe(f"https://a.example/{number}", prints + ([long_fp] if number < 3 else []))
    assert short_fp in learned.template_for("https://a.example/")
    assert long_fp not in learned.template_for("https://a.example/")  # 3 of 10 pages: a quote
    for number in range(10, 14):
        learned.observe(f"https://a.example/{number}", [long_fp])
    assert long_fp in learned.template_for("https://a.example/")  # 7 of 14 pages: an 'about us' block


def test_a_page_seen_twice_counts_once() -> None:
    learned = SiteBoilerplate(min_pages=2)
    for _ in range(3):
        learned.observe("https://b.example/x#top", [fingerprint(TEMPLATE_LINE)])
    assert len(learned.to_json()["hosts"]["b.example"]["pages"]) == 1
    assert learned.template_for("https://b.example/") == frozenset()


def test_site_learning_survives_save_and_load(tmp_path: Path) -> None:
    learned = SiteBoilerplate(min_pages=3, min_share=0.05)
    for number in range(5):
        learned.observe(f"https://www.c.example/{number}", [fingerprint(TEMPLATE_LINE), fingerprint(f"p{number}")])
    path = tmp_path / "state" / "site-boilerplate.json"
    learned.save(path)
    loaded = SiteBoilerplate.load(path)
    assert loaded.to_json() == learned.to_json()
    assert loaded.template_for("https://c.example/") == learned.template_for("https://c.example/") != frozenset()
    assert loaded.min_share == 0.05 and host_of("https://www.c.example/1") == "c.example"
    loaded.observe("https://c.example/new", [fingerprint("p-new")])
    assert len(loaded.to_json()["hosts"]["c.example"]["pages"]) == 6

def test_the_template_is_every_counted_paragraph_that_passes_through_growth_and_pruning() -> None:
    # template_for looks only at paragraphs seen often enough; it must still give what
    # checking every counted paragraph gives, as shares fall and the counts are pruned.
    learned = SiteBoilerplate(min_pages=3, min_share=0.1, long_min_pages=4, max_fingerprints=60)
    url = "https://d.example/"
    common = [fingerprint(f"Template line {n}") for n in range(6)] + [fingerprint(QUOTE)]
    checked = 0
    for number in range(80):
        prints = [fp for n, fp in enumerate(common) if number % (n + 1) == 0 or number < 5 * n]
        prints += [fingerprint(f"Paragraph {number} {k}") for k in range(3)]
        learned.observe(f"{url}{number}", prints)
        state = learned.to_json()["hosts"]["d.example"]
        counted, pages = state["counts"], len(state["pages"])
        expected = frozenset(
            fp for fp, n in counted.items()
            if (n >= 4 and n >= 0.2 * pages if fp.startswith("L") else n >= 3 and n >= 0.1 * pages)
        )
        assert learned.template_for(url) == expected
        checked += len(expected)
    reloaded = SiteBoilerplate.from_json(learned.to_json())
    assert reloaded.template_for(url) == learned.template_for(url)
    assert checked and len(learned.to_json()["hosts"]["d.example"]["counts"]) <= 60 + 10  # pruned on the way



def test_bad_settings_and_versions_are_refused() -> None:
    with pytest.raises(ValueError):
        SiteBoilerplate(min_pages=1)
    with pytest.raises(ValueError):
        SiteBoilerplate(min_pages=ARCHIVE_BOILERPLATE_MIN_PAGES, long_min_pages=1)
    with pytest.raises(ValueError):
        SiteBoilerplate.from_json({"version": 99})


# --------------------------------------------------------------------------- benchmark pages


def test_benchmark_pages_are_all_articles() -> None:
    if not (BENCHMARK_DIR / "ground-truth.json").exists():
        pytest.skip("article-extraction benchmark not present")
    truth = json.loads((BENCHMARK_DIR / "ground-truth.json").read_text(encoding="utf-8"))
    none = []
    for key in sorted(truth)[::4]:  # a quarter of the pages keeps the test fast
        html = gzip.decompress((BENCHMARK_DIR / "html" / f"{key}.html.gz").read_bytes()).decode("utf-8")
        if extract_article(html, truth[key]["url"], OPTIONS) is None:
            none.append(key)
    assert none == []


def test_the_text_row_holds_the_article_without_its_fingerprints() -> None:
    url, html, _ = _synthetic_page(7, quote=False)
    article = extract_article(html, url, OPTIONS)
    assert article is not None and article.fingerprints
    row = article.as_dict()
    assert "fingerprints" not in row and row["text"] == article.text and row["language"] == "en"


# --------------------------------------------------------------------------- cost: same results, less work


@pytest.fixture(scope="module")
def replica_pages(site_dir: Path) -> list[tuple[str, str]]:
    """(html, url) of every sample-site page and of every 8th benchmark page (when present)."""
    pages = [(page.html, page.url) for page in sample_pages(site_dir)]
    if (BENCHMARK_DIR / "ground-truth.json").exists():
        truth = json.loads((BENCHMARK_DIR / "ground-truth.json").read_text(encoding="utf-8"))
        for key in sorted(truth)[::8]:
            html = gzip.decompress((BENCHMARK_DIR / "html" / f"{key}.html.gz").read_bytes()).decode("utf-8")
            pages.append((html, truth[key]["url"]))
    return pages


ODD_INPUTS: list[str | bytes] = [
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n<html><body><p>An XHTML doctype.</p>'
    "<p>Second paragraph.</p></body></html>",
    "<!DOCTYPE html PUBLIC '-//W3C//DTD XHTML 1.0//EN'/>\n<html><body><p>Text\x0b with a control character.</p>"
    "<p>Second paragraph.</p></body></html>",
    '<html lang="en"/>\n<head><title>T</title></head><body><p>A self-closing html tag.</p></body></html>',
    '<?xml version="1.0" encoding="utf-8"?><html><body><p>An encoding declaration.</p></body></html>',
    "<html><body><p>Bytes, not text: café.</p><div>More</div></body></html>".encode(),
    "<p>A fragment only</p>",
    "plain text, no markup",
    "",
]


def test_the_page_is_parsed_like_trafilatura_parses_it(replica_pages: list[tuple[str, str]]) -> None:
    from lxml.etree import tostring
    from trafilatura.utils import load_html

    from scraper.extract.page import parse_page

    for html in [html for html, _ in replica_pages] + ODD_INPUTS:
        ours, theirs = parse_page(html), load_html(html)
        if theirs is None or not len(theirs):
            assert ours is None, html[:80]
        else:
            assert ours is not None and tostring(ours) == tostring(theirs), html[:80]


_PROSE = "<p>" + "The talks ended with an agreement on the missions of both countries. " * 6 + "</p>"
_THREAD = '<dl class="comments"><dt>Reader</dt><dd>' + "What a comment this is, long and rambling. " * 5 + "</dd></dl>"
_FORUM = '<script type="application/ld+json">{"@type": "DiscussionForumPosting", "headline": "T"}</script>'
ODD_PAGES = [
    (f"<html><head><title>T</title></head><body><article><h1>T</h1>{_PROSE * 2}{_THREAD}</article></body></html>",
     "https://courier.example/news/1/"),
    (f"<html><head><title>T</title>{_FORUM}</head><body><article><h1>T</h1>{_PROSE * 2}{_THREAD}</article>"
     "</body></html>", "https://forum.example/thread/1/"),
]


def test_precision_mode_gives_bare_extractions_text(replica_pages: list[tuple[str, str]]) -> None:
    import trafilatura

    from scraper.extract.ensemble import _precise_text
    from scraper.extract.page import parse_page

    for html, url in replica_pages + ODD_PAGES:
        tree = parse_page(html)
        assert tree is not None
        doc = trafilatura.bare_extraction(
            tree, url=url, fast=True, favor_precision=True, include_comments=False, with_metadata=False
        )
        want = doc.text or "" if isinstance(doc, trafilatura.settings.Document) else ""
        assert _precise_text(tree, url) == want, url


def test_metadata_is_trafilaturas_for_the_fields_kept(replica_pages: list[tuple[str, str]]) -> None:
    from copy import deepcopy

    from trafilatura.metadata import extract_metadata

    from scraper.extract.metadata import author_from_body, page_metadata
    from scraper.extract.page import parse_page

    for html, url in replica_pages:
        tree = parse_page(html)
        assert tree is not None
        for extensive in (False, True):
            theirs = extract_metadata(tree, url, extensive=extensive)
            ours = page_metadata(tree, url, extensive)
            for name in ("title", "url", "sitename", "description", "date"):
                assert getattr(ours, name) == getattr(theirs, name), (url, name)
            assert (ours.author or author_from_body(deepcopy(tree))) == theirs.author, url


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("The delegation was received by the president, who said that the talks with the envoy had been "
         "useful and that the missions of both countries would reopen in the coming weeks. ", True),
        ("Die Delegation wurde vom Präsidenten empfangen, der sagte, dass die Gespräche mit dem Gesandten "
         "nützlich gewesen seien und die Vertretungen beider Länder in den kommenden Wochen wieder öffnen. ", False),
        ("De delegatie werd ontvangen door de president, die zei dat de gesprekken met de gezant nuttig waren "
         "geweest en dat de missies van beide landen in de komende weken of maanden weer opengaan. ", False),
        ("La délégation a été reçue par le président, qui a déclaré que les entretiens avec l'envoyé avaient "
         "été utiles et que les missions des deux pays rouvriraient dans les semaines à venir. ", False),
        ("La delegación fue recibida por el presidente, quien dijo que las conversaciones con el enviado "
         "habían sido útiles y que las misiones de ambos países reabrirán en las próximas semanas. ", False),
        ("Делегацию принял президент, который заявил, что переговоры с посланником были полезными и что "
         "миссии обеих стран вновь откроются в ближайшие недели. ", False),
    ],
)
def test_clearly_english_tells_english_prose_from_other_languages(text: str, english: bool) -> None:
    from scraper.extract.metadata import clearly_english

    assert clearly_english(text * 3) is english


def test_a_page_declared_english_in_another_language_is_still_detected() -> None:
    from scraper.extract.metadata import page_language
    from scraper.extract.signals import PageSignals

    german = (
        "Die Delegation wurde vom Präsidenten empfangen, der sagte, dass die Gespräche mit dem Gesandten "
        "nützlich gewesen seien und die Vertretungen beider Länder in den kommenden Wochen wieder öffnen. "
    ) * 3
    english = "The talks with the envoy had been useful, and the missions of the two countries will reopen. " * 4
    assert page_language(PageSignals(html_lang="en"), german) == "de"
    assert page_language(PageSignals(html_lang="en-GB"), english) == "en"
    assert page_language(PageSignals(), english) == "en"


def test_a_listing_url_decides_before_any_extraction() -> None:
    _url, html, _ = _synthetic_page(3, quote=False)
    declared = html.replace('<meta property="og:type" content="article">', "")
    assert extract_article(declared, "https://courier.example/tag/river/", OPTIONS) is None
    assert extract_article(html, "https://courier.example/tag/river/", OPTIONS) is not None  # article data wins


# --------------------------------------------------------------------------- language model

LANGUAGE_SAMPLES = [
    "The council approved the new budget on Tuesday after a long debate about schools and roads.",
    "Le conseil municipal a adopté mardi le nouveau budget après un long débat sur les écoles.",
    "Der Stadtrat hat am Dienstag nach langer Debatte über Schulen und Straßen den Haushalt beschlossen.",
    "Городской совет во вторник утвердил новый бюджет после долгих споров о школах и дорогах.",
    "El ayuntamiento aprobó el martes el nuevo presupuesto tras un largo debate sobre escuelas.",
]


def test_the_unpacked_language_model_classifies_as_py3langid_does(tmp_path: Path, monkeypatch, caplog) -> None:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    from scraper.extract.language import language_identifier, model_cache_dir

    stock = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    expected = [stock.classify(text) for text in LANGUAGE_SAMPLES]
    assert [lang for lang, _ in expected] == ["en", "fr", "de", "ru", "es"]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache_dir = model_cache_dir(Path(MODEL_DIR) / MODEL_FILE)
    assert cache_dir.parent == tmp_path / "news-archiver"
    unpacking = language_identifier.__wrapped__()  # unpacks into the cache, then maps it
    assert sorted(p.name for p in cache_dir.iterdir()) == sorted(
        f"{name}.npy" for name in ("classes", "nextmove", "nextmove_row", "out_feat", "pc", "ptc")
    )
    mapped = language_identifier.__wrapped__()  # the cache as found
    for identifier in (unpacking, mapped):
        assert [identifier.classify(text) for text in LANGUAGE_SAMPLES] == expected
    (cache_dir / "nextmove.npy").write_bytes(b"\x93NUMPY damaged")
    with caplog.at_level("WARNING", logger="scraper.extract.language"):
        fallback = language_identifier.__wrapped__()
    assert "without the unpacked cache" in caplog.text
    assert [fallback.classify(text) for text in LANGUAGE_SAMPLES] == expected
