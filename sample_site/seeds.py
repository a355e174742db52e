"""Read the seed texts and classify every line by hand-written line indices, checked by rules.

Line numbers are 1-based, as ``cat -n`` shows them. Each spec assigns every non-blank line
of its seed exactly one kind (title, paragraph, donation, caption, comment, ...); a rule per
kind then checks the line looks like that kind (a donation line is ``2,500 $``, a caption
prompt ends with ``full-size image``, ...). A changed seed therefore fails the build loudly
instead of silently producing a wrong expected.json.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sample_site.models import Comment

__all__ = [
    "CALLOUT",
    "COMMENT_CHROME_HEAD",
    "COMMENT_CHROME_TAIL",
    "FOLLOW",
    "LOADER",
    "SPECS",
    "Line",
    "Seed",
    "SeedSpec",
    "load_seed",
]

CALLOUT = "Support SouthFront"
LOADER = "Loading ..."
FOLLOW = "Follow\xa0us on\xa0FacebookTwitter\xa0and\xa0Instagram\xa0to stay connected"
COMMENT_CHROME_HEAD = ("Notify of", "Newest Most Voted", "Inline Feedbacks", "View all comments")
COMMENT_CHROME_TAIL = "Would love your thoughts, please comment.x"


@dataclass(frozen=True)
class Line:
    """One classified non-blank line of a seed."""

    number: int
    kind: str
    text: str


@dataclass(frozen=True)
class SeedSpec:
    """Hand-written classification of one seed: inclusive line ranges and their kind."""

    filename: str
    ranges: tuple[tuple[int, int, str], ...]
    comment_authors: tuple[int, ...] = ()


@dataclass(frozen=True)
class Seed:
    """A classified seed: its lines in order and, for comment threads, the parsed comments."""

    filename: str
    lines: tuple[Line, ...]
    comments: tuple[Comment, ...]

    @property
    def title(self) -> str:
        return self.of_kind("title")[0]

    def of_kind(self, kind: str) -> list[str]:
        return [line.text for line in self.lines if line.kind == kind]


SF_GAINS = SeedSpec(
    "000_9a49aeb4d11d398e.txt",
    (
        (1, 4, "donation"),
        (6, 6, "title"),
        (8, 8, "callout"),
        (10, 10, "title_dup"),
        (12, 12, "caption_prompt"),
        (14, 30, "paragraph"),
        (32, 32, "title_dup"),
        (34, 34, "caption_prompt"),
        (36, 48, "paragraph"),
        (51, 51, "callout"),
        (54, 57, "comment_chrome"),
        (58, 191, "comment"),
        (193, 193, "comment_chrome"),
    ),
    comment_authors=(
        58, 62, 67, 72, 85, 89, 93, 97, 101, 105, 109, 112, 116,
        120, 126, 130, 138, 142, 152, 157, 161, 165, 169, 176, 185, 189,
    ),
)  # fmt: skip

SF_TIES = SeedSpec(
    "002_20638290abdd6ade.txt",
    (
        (1, 4, "donation"),
        (6, 6, "title"),
        (8, 8, "callout"),
        (10, 10, "title_dup"),
        (12, 12, "caption_prompt"),
        (14, 34, "paragraph"),
        (36, 36, "callout"),
        (39, 42, "comment_chrome"),
        (44, 190, "comment"),
        (192, 192, "comment_chrome"),
    ),
    comment_authors=(54, 75, 79, 132, 136, 142, 146, 150, 156, 160, 172, 181, 184),
)

NF_HAFTAR = SeedSpec(
    "003_9e772252006eaafa.txt",
    (
        (1, 1, "title"),
        (3, 3, "paragraph"),  # the lead: article text, kept
        (5, 5, "title_dup"),
        (6, 6, "credit"),
        (8, 20, "paragraph"),
        (23, 23, "loader"),
    ),
)

TNA_ASSAD = SeedSpec(
    "004_db8e1c7711a0339e.txt",
    (
        (1, 1, "title"),
        (3, 3, "paragraph"),  # the standfirst: article text, kept
        (4, 4, "read_time"),
        (5, 5, "date_line"),
        (6, 6, "caption"),
        (7, 14, "paragraph"),
        (15, 15, "read_also"),
        (16, 40, "paragraph"),
        (41, 41, "read_also"),
        (42, 56, "paragraph"),
        (57, 57, "follow"),
    ),
)

CLEAN_GAINS = SeedSpec("001_cf3b0ee45857b2b8.txt", ((1, 1, "title"), (3, 37, "paragraph")))

SPECS: dict[str, SeedSpec] = {
    "sf-gains": SF_GAINS,
    "sf-ties": SF_TIES,
    "nf-haftar": NF_HAFTAR,
    "tna-assad": TNA_ASSAD,
    "clean-gains": CLEAN_GAINS,
}


def _fold(text: str) -> str:
    """Case- and punctuation-insensitive form used to compare a repeated title with the title."""
    text = text.replace("\u2019", "'").replace("\u2013", "-")  # right single quote, en dash
    return " ".join(text.casefold().split())


_PARAGRAPH_END = '.:"”)'
RULES: dict[str, Callable[[str], bool]] = {
    "title": lambda t: 20 <= len(t) <= 200,
    "paragraph": lambda t: len(t) >= 30 and t.rstrip()[-1] in _PARAGRAPH_END,
    "donation": lambda t: re.fullmatch(r"\d{1,3}(,\d{3})* \$", t) is not None,
    "callout": lambda t: t == CALLOUT,
    "caption_prompt": lambda t: t.endswith("full-size image"),
    "caption": lambda t: t.endswith("[Getty]"),
    "credit": lambda t: "License: Rights-managed" in t and "Image: " in t,
    "read_time": lambda t: re.fullmatch(r"\d+ min read", t) is not None,
    "date_line": lambda t: re.fullmatch(r"\d{2} [A-Z][a-z]+, \d{4}", t) is not None,
    "read_also": lambda t: t.startswith("Read also:"),
    "follow": lambda t: t == FOLLOW,
    "loader": lambda t: t == LOADER,
    "comment_chrome": lambda t: t in COMMENT_CHROME_HEAD or t == COMMENT_CHROME_TAIL,
    "comment_author": lambda t: len(t) <= 40 and t[-1] not in ".!?…",
    "comment": lambda t: bool(t.strip()),
}


def _kinds_by_line(spec: SeedSpec, raw: list[str]) -> dict[int, str]:
    """Map each non-blank line number to its kind; every non-blank line exactly once."""
    kinds: dict[int, str] = {}
    for first, last, kind in spec.ranges:
        for number in range(first, last + 1):
            if not raw[number - 1].strip():
                continue
            if number in kinds:
                raise ValueError(f"{spec.filename}:{number} classified twice")
            is_author = kind == "comment" and number in spec.comment_authors
            kinds[number] = "comment_author" if is_author else kind
    missing = [n for n, text in enumerate(raw, 1) if text.strip() and n not in kinds]
    if missing:
        raise ValueError(f"{spec.filename}: lines {missing} not classified")
    return kinds


def _check_rules(spec: SeedSpec, lines: list[Line]) -> None:
    title = next(line.text for line in lines if line.kind == "title")
    for line in lines:
        if line.kind == "title_dup":
            ok = _fold(line.text) == _fold(title)
        else:
            ok = RULES[line.kind](line.text)
        if not ok:
            raise ValueError(f"{spec.filename}:{line.number} is not a {line.kind}: {line.text[:60]!r}")


class _ThreadReader:
    """Split a comment region into comments.

    A new comment starts at an author line, or at text after two or more blank lines (a
    comment whose author the seed does not show). One blank line separates paragraphs of
    the same comment; consecutive lines form one paragraph.
    """

    def __init__(self) -> None:
        self.comments: list[Comment] = []
        self.author: str | None = None
        self.paragraphs: list[tuple[str, ...]] = []
        self.current: list[str] = []
        self.open = False
        self.blanks = 0

    def _end_paragraph(self) -> None:
        if self.current:
            self.paragraphs.append(tuple(self.current))
            self.current = []

    def _close(self) -> None:
        self._end_paragraph()
        if self.open:
            self.comments.append(Comment(self.author, tuple(self.paragraphs)))
        self.author, self.paragraphs, self.open = None, [], False

    def _start(self, author: str | None) -> None:
        self._close()
        self.author, self.open = author, True

    def feed(self, text: str, is_author: bool) -> None:
        if not text.strip():
            self.blanks += 1
            self._end_paragraph()
            return
        if is_author:
            self._start(text)
        else:
            if not self.open or self.blanks >= 2:
                self._start(None)
            self.current.append(text)
        self.blanks = 0

    def finish(self) -> tuple[Comment, ...]:
        self._close()
        return tuple(self.comments)


def _parse_comments(spec: SeedSpec, raw: list[str]) -> tuple[Comment, ...]:
    region = [(first, last) for first, last, kind in spec.ranges if kind == "comment"]
    if not region:
        return ()
    (first, last), *_ = region
    reader = _ThreadReader()
    for number in range(first, last + 1):
        reader.feed(raw[number - 1], number in spec.comment_authors)
    return reader.finish()


def load_seed(seeds_dir: Path, spec: SeedSpec) -> Seed:
    """Read one seed file and classify it by ``spec``; raise ValueError if it does not fit."""
    raw = (seeds_dir / spec.filename).read_text(encoding="utf-8").split("\n")
    kinds = _kinds_by_line(spec, raw)
    lines = [Line(number, kinds[number], raw[number - 1]) for number in sorted(kinds)]
    _check_rules(spec, lines)
    return Seed(spec.filename, tuple(lines), _parse_comments(spec, raw))
