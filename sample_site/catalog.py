"""The site's sections and articles: classified seeds and foreign texts turned into Articles.

Published times, authors and slugs are fixed here (the seeds carry none), so every build
produces the same site. The newest article (the target of ``/latest/``) is SouthFront's
'Haftar's Forces Make Gains ...' at 18:40 UTC.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sample_site.foreign import ARABIC, RUSSIAN, ForeignText
from sample_site.models import Article, BodyItem, Comment, Figure, Para, Section, Widget
from sample_site.seeds import FOLLOW, LOADER, SPECS, Seed, load_seed

__all__ = [
    "NEWARAB",
    "NEWSFRONT",
    "SECTIONS",
    "SITE_NAME",
    "SOUTHFRONT",
    "build_articles",
    "load_reference",
    "slugify",
]

SITE_NAME = "Sample News"
SOUTHFRONT = Section("southfront", "SouthFront", " - ", "Analysis & Intelligence")
NEWSFRONT = Section("newsfront", "News Front", " | ", "News from the front lines")
NEWARAB = Section("newarab", "The New Arab", " | ", "News and analysis from the Middle East")
SECTIONS = (SOUTHFRONT, NEWSFRONT, NEWARAB)

CAPTION_KINDS = ("caption_prompt", "caption", "credit")
WIDGET_KINDS = ("callout", "read_time", "date_line", "read_also", "follow", "loader")


@dataclass(frozen=True)
class _Meta:
    section: Section
    authors: tuple[str, ...]
    published: str
    language: str = "en"
    charset: str = "utf-8"
    charset_declared: str = "header+meta"
    slug: str = ""


META: dict[str, _Meta] = {
    "sf-gains": _Meta(SOUTHFRONT, ("South Front",), "2020-03-02T18:40:00+00:00"),
    "sf-ties": _Meta(SOUTHFRONT, ("South Front",), "2020-03-02T09:15:00+00:00"),
    "nf-haftar": _Meta(NEWSFRONT, ("News Front Editorial",), "2020-03-02T12:30:00+03:00"),
    "tna-assad": _Meta(NEWARAB, ("The New Arab Staff",), "2020-03-02T11:05:00+00:00"),
    "tna-arabic": _Meta(
        NEWARAB, ("العربي الجديد",), "2020-03-02T13:20:00+00:00",
        "ar", "windows-1256", "header", "ar-damascus-haftar-reopen-diplomatic-missions",
    ),
    "nf-russian": _Meta(
        NEWSFRONT, ("Редакция News Front",), "2020-03-02T15:45:00+03:00",
        "ru", "windows-1251", "meta", "ru-lna-downs-turkish-drone-near-tripoli",
    ),
}  # fmt: skip


def slugify(text: str) -> str:
    """ASCII URL slug: "Haftar's Forces Make Gains" -> 'haftars-forces-make-gains' (also for U+2019)."""
    text = text.replace("\u2019", "").replace("'", "")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _image_src(key: str, number: int) -> str:
    return f"/images/2020/03/{key}-{number}.png"


def _read_also_href(text: str) -> str:
    """'Read also' links point at old URLs of the site, which redirect (302) to the home page."""
    _, _, linked = text.partition(":")
    return f"/old/2020/02/{slugify(linked)}/"


def _seed_body(key: str, seed: Seed) -> tuple[BodyItem, ...]:
    """Body items in seed order; a repeated title becomes the alt text of the next figure."""
    items: list[BodyItem] = []
    alt = ""
    for line in seed.lines:
        if line.kind == "paragraph":
            items.append(Para(line.text))
        elif line.kind == "title_dup":
            alt = line.text
        elif line.kind in CAPTION_KINDS:
            src = _image_src(key, len([i for i in items if isinstance(i, Figure)]) + 1)
            items.append(Figure(src, alt or seed.title, line.text, line.kind))
            alt = ""
        elif line.kind in WIDGET_KINDS:
            href = _read_also_href(line.text) if line.kind == "read_also" else ""
            items.append(Widget(line.kind, line.text, href))
    return tuple(items)


def _clock(moment: datetime) -> str:
    """'March 2, 2020 7:05 pm', the way WordPress shows a comment date."""
    hour = moment.hour % 12 or 12
    meridian = "am" if moment.hour < 12 else "pm"
    return f"{moment:%B} {moment.day}, {moment.year} {hour}:{moment:%M} {meridian}"


def _date_comments(comments: tuple[Comment, ...], published: datetime) -> tuple[Comment, ...]:
    """Give each comment a deterministic date a few minutes after the previous one."""
    dated = []
    moment = published
    for index, comment in enumerate(comments):
        moment += timedelta(minutes=4 + (index * 7) % 11)
        dated.append(Comment(comment.author, comment.paragraphs, _clock(moment), moment.isoformat()))
    return tuple(dated)


def _article(key: str, seed_name: str | None, title: str, body: tuple[BodyItem, ...]) -> Article:
    meta = META[key]
    return Article(
        key=key,
        seed=seed_name,
        section=meta.section,
        slug=meta.slug or slugify(title),
        title=title,
        authors=meta.authors,
        published=datetime.fromisoformat(meta.published),
        language=meta.language,
        charset=meta.charset,
        charset_declared=meta.charset_declared,
        body=body,
    )


def _from_seed(key: str, seed: Seed) -> Article:
    article = _article(key, seed.filename, seed.title, _seed_body(key, seed))
    comments = _date_comments(seed.comments, article.published)
    donation = tuple(seed.of_kind("donation"))
    return Article(**{**article.__dict__, "donation": donation, "comments": comments})


def _arabic_body(key: str, text: ForeignText) -> tuple[BodyItem, ...]:
    """TNA layout: standfirst, read time, date line, photo, body with 'Read also', follow line."""
    first, *rest = text.paragraphs
    items: list[BodyItem] = [
        Para(first),
        Widget("read_time", text.read_time),
        Widget("date_line", text.date_line),
        Figure(_image_src(key, 1), text.title, text.caption, text.caption_kind),
    ]
    for index, paragraph in enumerate(rest, 2):
        items.append(Para(paragraph))
        if index == text.read_also_after:
            items.append(Widget("read_also", text.read_also, "/old/2020/02/erdogan-vows-to-liberate-libya/"))
    items.append(Widget("follow", FOLLOW))
    return tuple(items)


def _russian_body(key: str, text: ForeignText) -> tuple[BodyItem, ...]:
    """News Front layout: lead, photo with agency credit, paragraphs, 'Loading ...' widget."""
    first, *rest = text.paragraphs
    figure = Figure(_image_src(key, 1), text.title, text.caption, text.caption_kind)
    return (Para(first), figure, *(Para(p) for p in rest), Widget("loader", LOADER))


def build_articles(seeds_dir: Path) -> list[Article]:
    """All article pages of the site, newest first (ties broken by path)."""
    articles = [_from_seed(key, load_seed(seeds_dir, SPECS[key])) for key in ("sf-gains", "sf-ties")]
    articles += [_from_seed(key, load_seed(seeds_dir, SPECS[key])) for key in ("nf-haftar", "tna-assad")]
    articles.append(_article("tna-arabic", None, ARABIC.title, _arabic_body("tna-arabic", ARABIC)))
    articles.append(_article("nf-russian", None, RUSSIAN.title, _russian_body("nf-russian", RUSSIAN)))
    return sorted(articles, key=lambda a: (-a.published_utc.timestamp(), a.path))


def load_reference(seeds_dir: Path) -> Seed:
    """The clean version of 000 (seed 001): not published, kept in expected.json for tests."""
    return load_seed(seeds_dir, SPECS["clean-gains"])
