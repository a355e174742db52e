"""Measure the extractor: ``python -m benchmarks.evaluate`` (the ``make eval`` command).

Prints, side by side for our :func:`scraper.extract.extractor.extract_article` and for plain
trafilatura run in the same process (same metadata settings, comments excluded), on
every set: F1, precision and recall, milliseconds of extraction per page and their ratio.

* the article-extraction benchmark (``shared/benchmarks/aeb-dev``), scored by the
  benchmark's own scorer (4-word shingles, averaged per page);
* trafilatura's evaluation set (``shared/benchmarks/trafilatura-eval``), scored as
  trafilatura scores itself: snippets that must and must not appear; also on each half of
  it (split by a hash of the file name), so that a gain found on one half only shows;
* the sample site (``sample_site/site``, both variants), scored the same way: each
  article paragraph is a snippet that must appear, each boilerplate string one that
  must not, and a non-article page that gives text is one false positive (none: one
  true negative). Per kind, the leaks, kept paragraphs and right metadata fields too.

Pages are spread over a process pool; each worker times both extractors on the
same page, alternately and twice (the faster run counts), so the ratio compares
like with like even on a busy machine. ``--ablation`` adds the scores of the
pipeline with its steps switched off one by one.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import json
import os
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from statistics import mean
from types import ModuleType
from typing import Any

import trafilatura

from sample_site.server import SampleSite
from scraper.extract.extractor import extract_article, warm_up
from scraper.extract.model import Article, ExtractionOptions
from scraper.settings import ARCHIVE_MIN_TEXT_CHARS

__all__ = [
    "ABLATIONS",
    "SamplePage",
    "SampleReport",
    "SetResult",
    "SnippetCounts",
    "baseline_article",
    "contains_text",
    "decode_html",
    "evaluate_ablations",
    "evaluate_benchmark",
    "evaluate_sample_site",
    "evaluate_snippet_set",
    "expected_metadata",
    "half_of",
    "leaked",
    "load_scorer",
    "main",
    "metadata_matches",
    "plain",
    "plain_trafilatura",
    "sample_pages",
    "score_sample_page",
    "score_snippets",
]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BENCHMARK = Path(os.environ.get("AEB_DIR", ROOT.parent / "shared" / "benchmarks" / "aeb-dev"))
DEFAULT_SAMPLE_SITE = ROOT / "sample_site" / "site"
DEFAULT_TRAFILATURA_EVAL = Path(
    os.environ.get("TRAFILATURA_EVAL_DIR", ROOT.parent / "shared" / "benchmarks" / "trafilatura-eval")
)
_WORD = re.compile(r"\w+")


# --------------------------------------------------------------------------- scorer


def load_scorer(benchmark_dir: Path) -> ModuleType:
    """The benchmark's own scorer module (``aeb_score.py`` beside the benchmark folder)."""
    path = benchmark_dir.parent / "aeb_score.py"
    spec = importlib.util.spec_from_file_location("aeb_score", path)
    if spec is None or spec.loader is None or not path.exists():
        raise FileNotFoundError(f"benchmark scorer not found: {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- extraction runs


def plain_trafilatura(html: str | bytes, url: str) -> dict[str, Any] | None:
    """trafilatura alone with the metadata settings extract_article uses: the baseline."""
    result = trafilatura.extract(
        html, url=url, output_format="json", with_metadata=True, include_comments=False
    )
    return json.loads(result) if result else None


@dataclass(frozen=True)
class PageRun:
    """Both extractors' output and timing on one page."""

    key: str
    ours: Article | None
    theirs: dict[str, Any] | None
    ours_ms: float
    theirs_ms: float


def _timed(func: Callable[[], Any]) -> tuple[Any, float]:
    """``func()`` and the milliseconds it took."""
    start = time.perf_counter()
    result = func()
    return result, 1000 * (time.perf_counter() - start)


Task = tuple[str, str | bytes, str, ExtractionOptions]


TIMING_REPEATS = 2  # each extractor runs this many times a page, alternately; the fastest run counts


def run_page(task: Task) -> PageRun:
    """Run both extractors on one page (in a worker process), alternately, keeping the fastest times.

    Other processes on the machine slow single runs down; the minimum of a few
    alternating runs is the steadiest estimate of what each extractor costs.
    """
    key, html, url, options = task
    theirs_ms = ours_ms = float("inf")
    theirs: dict[str, Any] | None = None
    ours: Article | None = None
    for _ in range(TIMING_REPEATS):
        theirs, elapsed = _timed(lambda: plain_trafilatura(html, url))
        theirs_ms = min(theirs_ms, elapsed)
        ours, elapsed = _timed(lambda: extract_article(html, url, options))
        ours_ms = min(ours_ms, elapsed)
    return PageRun(key, ours, theirs, ours_ms, theirs_ms)


def run_ours(task: Task) -> PageRun:
    """Run only our extractor on one page (ablation runs need no baseline)."""
    key, html, url, options = task
    ours, ours_ms = _timed(lambda: extract_article(html, url, options))
    return PageRun(key, ours, None, ours_ms, 0.0)


def _warm_worker() -> None:
    """Pool initializer: load models and caches before any page is timed."""
    warm_up()
    html = "<html><body><article><p>" + "Warm up text for the extractor. " * 30 + "</p></article></body></html>"
    extract_article(html, "https://example.org/warm/up", OURS)
    plain_trafilatura(html, "https://example.org/warm/up")


def run_pages(tasks: Sequence[Task], workers: int, func: Callable[[Task], PageRun] = run_page) -> list[PageRun]:
    """Run ``func`` (:func:`run_page` by default) over ``tasks`` in a process pool, in order."""
    if workers <= 1:
        _warm_worker()
        return [func(t) for t in tasks]
    with ProcessPoolExecutor(workers, initializer=_warm_worker) as pool:
        return list(pool.map(func, tasks, chunksize=4))


# --------------------------------------------------------------------------- scores


@dataclass
class SnippetCounts:
    """Snippets found and missed, the way trafilatura scores its evaluation set.

    A snippet that must appear counts as a true positive when found, a false negative
    when missing; one that must not appear counts as a false positive when found, a
    true negative when absent.
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, found_with: Sequence[bool], found_without: Sequence[bool]) -> None:
        """Count one page: for each snippet that must (not) appear, whether it was found."""
        self.tp += sum(found_with)
        self.fn += len(found_with) - sum(found_with)
        self.fp += sum(found_without)
        self.tn += len(found_without) - sum(found_without)

    def scores(self) -> dict[str, float]:
        """Precision, recall, F1 and accuracy over all snippets counted."""
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        total = self.tp + self.fp + self.fn + self.tn
        accuracy = (self.tp + self.tn) / total if total else 0.0
        return {"f1": f1, "precision": precision, "recall": recall, "accuracy": accuracy}


@dataclass(frozen=True)
class SetResult:
    """Scores and timing of both extractors on one evaluation set."""

    name: str
    ours: dict[str, float]
    theirs: dict[str, float]
    ours_ms: float
    theirs_ms: float
    pages: int
    ours_none: int
    theirs_none: int

    @property
    def ratio(self) -> float:
        """Our milliseconds a page over trafilatura's."""
        return self.ours_ms / self.theirs_ms if self.theirs_ms else float("nan")


def _set_result(name: str, runs: Sequence[PageRun], ours: dict[str, float], theirs: dict[str, float]) -> SetResult:
    """A :class:`SetResult` of ``runs`` scored as ``ours`` and ``theirs``."""
    return SetResult(
        name=name,
        ours=ours,
        theirs=theirs,
        ours_ms=mean(r.ours_ms for r in runs) if runs else 0.0,
        theirs_ms=mean(r.theirs_ms for r in runs) if runs else 0.0,
        pages=len(runs),
        ours_none=sum(r.ours is None for r in runs),
        theirs_none=sum(not (r.theirs or {}).get("text") for r in runs),
    )


# --------------------------------------------------------------------------- article-extraction benchmark


def benchmark_tasks(benchmark_dir: Path, options: ExtractionOptions) -> list[Task]:
    """One task per benchmark page: (id, html, url, options)."""
    truth = json.loads((benchmark_dir / "ground-truth.json").read_text(encoding="utf-8"))
    tasks: list[Task] = []
    for key in sorted(truth):
        html = gzip.decompress((benchmark_dir / "html" / f"{key}.html.gz").read_bytes()).decode("utf-8")
        tasks.append((key, html, truth[key].get("url") or "", options))
    return tasks


def evaluate_benchmark(
    benchmark_dir: Path, options: ExtractionOptions, workers: int
) -> tuple[SetResult, list[PageRun]]:
    """Score both extractors on the benchmark with its own scorer."""
    scorer = load_scorer(benchmark_dir)
    truth = json.loads((benchmark_dir / "ground-truth.json").read_text(encoding="utf-8"))
    runs = run_pages(benchmark_tasks(benchmark_dir, options), workers)
    ours = {r.key: {"articleBody": r.ours.text if r.ours else ""} for r in runs}
    theirs = {r.key: {"articleBody": (r.theirs or {}).get("text") or ""} for r in runs}
    name = f"article-extraction benchmark ({benchmark_dir.name})"
    return _set_result(name, runs, scorer.score(truth, ours), scorer.score(truth, theirs)), runs


# --------------------------------------------------------------------------- trafilatura's evaluation set


def _spaced(text: str) -> str:
    """``text`` with every run of whitespace one space (both sides of a snippet match)."""
    return " ".join(text.split())


def snippet_tasks(eval_dir: Path, options: ExtractionOptions) -> list[Task]:
    """One task per page of trafilatura's evaluation set: (file name, html bytes, url, options).

    Placeholder URLs (``hard::...``) name no page: both extractors get none.
    """
    data = json.loads((eval_dir / "evaldata.json").read_text(encoding="utf-8"))
    tasks: list[Task] = []
    for key in sorted(data):
        html = gzip.decompress((eval_dir / "html" / f"{key}.gz").read_bytes())
        url = data[key].get("url") or ""
        tasks.append((key, html, "" if url.startswith("hard::") else url, options))
    return tasks


def score_snippets(text: str, entry: dict[str, Any], counts: SnippetCounts) -> None:
    """Count one page's ``with`` and ``without`` snippets against ``text``, whitespace normalised."""
    spaced = _spaced(text)
    counts.add(
        [_spaced(s) in spaced for s in entry.get("with", [])],
        [_spaced(s) in spaced for s in entry.get("without", [])],
    )


def half_of(key: str) -> int:
    """0 or 1: the half of a set a page belongs to, by a hash of its file name (stable, unrelated to content)."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=1).digest()[0] % 2


def evaluate_snippet_set(
    eval_dir: Path, options: ExtractionOptions, workers: int
) -> tuple[SetResult, list[PageRun], list[tuple[dict[str, float], dict[str, float]]]]:
    """Score both extractors on trafilatura's evaluation set, the way trafilatura scores it.

    Also (ours, trafilatura's) scores on each half (:func:`half_of`): a change tuned to
    some pages of the set shows as a gain on one half only.
    """
    data = json.loads((eval_dir / "evaldata.json").read_text(encoding="utf-8"))
    runs = run_pages(snippet_tasks(eval_dir, options), workers)
    ours, theirs = SnippetCounts(), SnippetCounts()
    halves = [(SnippetCounts(), SnippetCounts()) for _ in range(2)]
    for run in runs:
        ours_half, theirs_half = halves[half_of(run.key)]
        for text, counts in (
            (run.ours.text if run.ours else "", (ours, ours_half)),
            ((run.theirs or {}).get("text") or "", (theirs, theirs_half)),
        ):
            for count in counts:
                score_snippets(text, data[run.key], count)
    name = f"trafilatura's evaluation set ({eval_dir.name})"
    by_half = [(a.scores(), b.scores()) for a, b in halves]
    return _set_result(name, runs, ours.scores(), theirs.scores()), runs, by_half


#: The extractor with the project's ARCHIVE_MIN_TEXT_CHARS, its other options at their defaults.
OURS = ExtractionOptions(min_text_chars=ARCHIVE_MIN_TEXT_CHARS)

ABLATIONS: dict[str, ExtractionOptions] = {
    "trafilatura precision mode alone": replace(OURS, ensemble=False, post_filter=False, favor_precision=True),
    "+ witnesses and vote": replace(OURS, post_filter=False, favor_precision=True),
    "+ line post-filter": replace(OURS, favor_precision=True),
    "+ recall rescues (= ours)": OURS,
    "ours without the vote": replace(OURS, ensemble=False),
}


def evaluate_ablations(benchmark_dir: Path, workers: int) -> dict[str, tuple[dict[str, float], float]]:
    """Benchmark scores and ms/page of the pipeline with steps switched off, one line each."""
    scorer = load_scorer(benchmark_dir)
    truth = json.loads((benchmark_dir / "ground-truth.json").read_text(encoding="utf-8"))
    out: dict[str, tuple[dict[str, float], float]] = {}
    for name, options in ABLATIONS.items():
        runs = run_pages(benchmark_tasks(benchmark_dir, options), workers, run_ours)
        texts = {r.key: {"articleBody": r.ours.text if r.ours else ""} for r in runs}
        out[name] = (scorer.score(truth, texts), mean(r.ours_ms for r in runs))
    return out


# --------------------------------------------------------------------------- sample site

NON_ARTICLE_TYPES = ("home", "section", "private")
EXTRA_NON_ARTICLES = ("/search?q=Haftar", "/search?q=Libya&page=2", "/no-such-page/")
META_FIELDS = ("title", "authors", "published", "language", "site_name", "canonical_url")


@dataclass(frozen=True)
class SamplePage:
    """One HTML page of the sample site as a crawler gets it, with what expected.json says."""

    variant: str
    path: str
    url: str
    html: str
    expected: dict[str, Any] | None  # the article entry; None for a non-article page


def _fetch(url: str) -> tuple[str, bytes]:
    """GET ``url`` without compression: (Content-Type header, body), error statuses included."""
    from urllib.error import HTTPError
    from urllib.request import Request, urlopen

    request = Request(url, headers={"Accept-Encoding": "identity", "User-Agent": "scraper-evaluate"})
    try:
        with urlopen(request, timeout=10) as response:
            return response.headers.get("Content-Type", ""), response.read()
    except HTTPError as error:
        return error.headers.get("Content-Type", ""), error.read()


def decode_html(content_type: str, body: bytes) -> str:
    """Decode a page the way Scrapy's ``response.text`` does (header charset, BOM, meta tag)."""
    from w3lib.encoding import html_to_unicode

    return html_to_unicode(content_type, body)[1]


def sample_pages(site_dir: Path, variants: Sequence[str] | None = None) -> list[SamplePage]:
    """Every article and non-article HTML page of the sample site, fetched from its own server."""
    expected = json.loads((site_dir / "expected.json").read_text(encoding="utf-8"))
    pages: list[SamplePage] = []
    for variant, spec in expected["variants"].items():
        if variants and variant not in variants:
            continue
        wanted: list[tuple[str, dict[str, Any] | None]] = list(spec["articles"].items())
        wanted += [(path, None) for path, page in spec["pages"].items() if page.get("type") in NON_ARTICLE_TYPES]
        wanted += [(path, None) for path in EXTRA_NON_ARTICLES]
        with SampleSite(site_dir / variant) as site:
            for path, entry in wanted:
                content_type, body = _fetch(site.url(path))
                pages.append(SamplePage(variant, path, site.url(path), decode_html(content_type, body), entry))
    return pages


@dataclass
class SampleReport:
    """Leaks and kept paragraphs per variant and kind, metadata right per field."""

    leaks: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    boilerplate: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    kept: Counter[str] = field(default_factory=Counter)
    paragraphs: Counter[str] = field(default_factory=Counter)
    meta_right: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    meta_total: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    decisions_right: Counter[str] = field(default_factory=Counter)
    decisions_total: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    snippets: SnippetCounts = field(default_factory=SnippetCounts)  # all variants: what F1 is computed from


def plain(text: str) -> str:
    """Words only, lower case, digits kept: the form texts are compared in here."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).lower()))


def contains_text(text_plain: str, snippet: str) -> bool:
    """True when ``snippet`` occurs in the :func:`plain` text, word-aligned."""
    norm = plain(snippet)
    return bool(norm) and f" {norm} " in f" {text_plain} "


def leaked(article_text: str, snippet: str, paragraphs: Sequence[str]) -> bool:
    """True when boilerplate ``snippet`` is in the text outside the article paragraphs.

    A short snippet may also occur inside an article paragraph (a comment reading
    'Zionism = EVIL' is not in the article, but '2 loser' could be): the paragraphs are
    blanked out of the text first so that only the text around them counts.
    """
    rest = plain(article_text)
    for paragraph in sorted(paragraphs, key=len, reverse=True):
        norm = plain(paragraph)
        if norm:
            rest = f" {rest} ".replace(f" {norm} ", " | ").strip()
    return contains_text(rest, snippet)


def expected_metadata(entry: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The metadata an article entry of expected.json promises, named like Article's fields."""
    return {
        "title": entry.get("title"),
        "authors": list(entry.get("authors", [])),
        "published": entry.get("published"),
        "language": entry.get("language"),
        "site_name": entry.get("site_name"),
        "canonical_url": base_url + entry["url_path"] if entry.get("url_path") else None,
    }


def metadata_matches(name: str, want: Any, got: Any) -> bool:
    """Whether one extracted metadata field is right (datetimes compare as instants)."""
    if want is None or got is None:
        return want is got
    if name == "authors":
        return [" ".join(a.split()) for a in got] == [" ".join(a.split()) for a in want]
    if name == "published":
        return _same_instant(str(got), str(want))
    if name == "canonical_url":
        return str(got).rstrip("/") == str(want).rstrip("/")
    return " ".join(str(got).split()) == " ".join(str(want).split())


def _same_instant(got: str, want: str) -> bool:
    """True when ``got`` names the instant ``want`` does (a bare date must be the same day)."""
    from datetime import datetime

    try:
        a = datetime.fromisoformat(got.replace("Z", "+00:00"))
        b = datetime.fromisoformat(want.replace("Z", "+00:00"))
    except ValueError:
        return got == want
    if a.tzinfo is None or b.tzinfo is None:
        return False
    return a == b


def score_sample_page(page: SamplePage, article: Article | None, report: SampleReport) -> None:
    """Add one page's article decision, kept paragraphs, leaks and metadata to ``report``."""
    variant, entry = page.variant, page.expected
    report.decisions_total[variant] += 1
    report.decisions_right[variant] += (article is not None) == (entry is not None)
    if entry is None:
        report.snippets.add([], [article is not None])
        if article is not None:
            report.failures.append(f"[{variant}] {page.path}: not an article, but got text")
        return
    if article is None:
        report.failures.append(f"[{variant}] {page.path}: article page gave None")
    text = article.text if article else ""
    text_norm = plain(text)
    paragraphs = entry.get("paragraphs", [])
    found_with, found_without = [], []
    for paragraph in paragraphs:
        report.paragraphs[variant] += 1
        found_with.append(contains_text(text_norm, paragraph))
        if found_with[-1]:
            report.kept[variant] += 1
        else:
            report.failures.append(f"[{variant}] {page.path}: lost paragraph {paragraph[:60]!r}")
    for item in entry.get("boilerplate", []):
        report.boilerplate[variant][item["kind"]] += 1
        found_without.append(leaked(text, item["text"], paragraphs))
        if found_without[-1]:
            report.leaks[variant][item["kind"]] += 1
            report.failures.append(f"[{variant}] {page.path}: leaked {item['kind']} {item['text'][:60]!r}")
    report.snippets.add(found_with, found_without)
    base_url = page.url[: len(page.url) - len(page.path)]
    for name, want in expected_metadata(entry, base_url).items():
        report.meta_total[variant][name] += 1
        got = getattr(article, name) if article else None
        if metadata_matches(name, want, got):
            report.meta_right[variant][name] += 1
        else:
            report.failures.append(f"[{variant}] {page.path}: {name} {got!r} != {want!r}")


def baseline_article(doc: dict[str, Any] | None) -> Article | None:
    """plain trafilatura's JSON output read as an Article (its fields mapped one to one)."""
    if not doc:
        return None
    return Article(
        title=doc.get("title"),
        text="\n\n".join(line.strip() for line in (doc.get("text") or "").splitlines() if line.strip()),
        authors=[a.strip() for a in (doc.get("author") or "").split(";") if a.strip()],
        published=doc.get("date"),
        language=doc.get("language"),
        site_name=doc.get("sitename") or doc.get("source-hostname"),  # the JSON output names it so
        description=doc.get("excerpt") or doc.get("description"),
        canonical_url=doc.get("source"),
    )


def evaluate_sample_site(
    site_dir: Path, options: ExtractionOptions, workers: int
) -> tuple[SetResult, SampleReport, SampleReport]:
    """Run ours and plain trafilatura on every sample-site HTML page; score both against expected.json."""
    pages = sample_pages(site_dir)
    runs = run_pages([(p.path, p.html, p.url, options) for p in pages], workers)
    ours, theirs = SampleReport(), SampleReport()
    for page, run in zip(pages, runs, strict=True):
        score_sample_page(page, run.ours, ours)
        score_sample_page(page, baseline_article(run.theirs), theirs)
    result = _set_result("sample site (both variants)", runs, ours.snippets.scores(), theirs.snippets.scores())
    return result, ours, theirs


# --------------------------------------------------------------------------- printing


def _fmt_scores(scores: dict[str, float]) -> str:
    """'F1 0.970  P 0.960  R 0.980  acc 0.400'."""
    return "F1 {f1:.4f}  P {precision:.4f}  R {recall:.4f}  acc {accuracy:.3f}".format(**scores)


def print_set(result: SetResult, out: Any = sys.stdout) -> None:
    """One set's table: both extractors' scores and ms/page, the F1 gain and the cost ratio."""
    print(f"{result.name}: {result.pages} pages", file=out)
    print(f"  ours        {_fmt_scores(result.ours)}  {result.ours_ms:6.1f} ms/page  "
          f"(no text: {result.ours_none})", file=out)
    print(f"  trafilatura {_fmt_scores(result.theirs)}  {result.theirs_ms:6.1f} ms/page  "
          f"(no text: {result.theirs_none})", file=out)
    print(f"  F1 gain {result.ours['f1'] - result.theirs['f1']:+.4f}   cost ratio {result.ratio:.2f}x", file=out)


def print_sample(heading: str, report: SampleReport, verbose: bool, out: Any = sys.stdout) -> None:
    """The sample-site tables of one extractor."""
    print(heading, file=out)
    for variant in sorted(report.decisions_total):
        print(f"  [{variant}] article decisions right {report.decisions_right[variant]}/"
              f"{report.decisions_total[variant]}; paragraphs kept {report.kept[variant]}/"
              f"{report.paragraphs[variant]}", file=out)
        kinds = report.boilerplate[variant]
        leaks = "  ".join(f"{k} {report.leaks[variant][k]}/{kinds[k]}" for k in sorted(kinds))
        print(f"    leaks (leaked/present): {leaks or 'none listed'}", file=out)
        meta = "  ".join(
            f"{n} {report.meta_right[variant][n]}/{report.meta_total[variant][n]}"
            for n in META_FIELDS if report.meta_total[variant][n]
        )
        print(f"    metadata right: {meta}", file=out)
    if verbose:
        for line in report.failures:
            print(f"    ! {line}", file=out)
    elif report.failures:
        print(f"  {len(report.failures)} problems (--verbose lists them)", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", type=Path, default=DEFAULT_BENCHMARK)
    parser.add_argument("--sample-site", type=Path, default=DEFAULT_SAMPLE_SITE)
    parser.add_argument("--trafilatura-eval", type=Path, default=DEFAULT_TRAFILATURA_EVAL)
    parser.add_argument("--only", choices=("benchmark", "trafilatura-eval", "sample-site"), action="append",
                        help="run only this set (repeatable)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--verbose", "-v", action="store_true", help="list every lost, leaked or wrong item")
    parser.add_argument("--ablation", action="store_true", help="also score the pipeline with steps switched off")
    args = parser.parse_args(argv)
    options = OURS
    wanted = set(args.only or ("benchmark", "trafilatura-eval", "sample-site"))
    started = time.perf_counter()
    results: list[SetResult] = []
    if "benchmark" in wanted and (args.benchmark / "ground-truth.json").exists():
        result, _ = evaluate_benchmark(args.benchmark, options, args.workers)
        print_set(result)
        results.append(result)
        if args.ablation:
            print("ablation (benchmark)")
            for name, (scores, ms) in evaluate_ablations(args.benchmark, args.workers).items():
                print(f"  {name:34s} {_fmt_scores(scores)}  {ms:6.1f} ms/page")
    elif "benchmark" in wanted:
        print(f"benchmark not found at {args.benchmark}: skipped")
    if "trafilatura-eval" in wanted and (args.trafilatura_eval / "evaldata.json").exists():
        result, runs, by_half = evaluate_snippet_set(args.trafilatura_eval, options, args.workers)
        print_set(result)
        for half, (ours_half, theirs_half) in enumerate(by_half):
            print(f"  half {half}: F1 ours {ours_half['f1']:.4f}, trafilatura {theirs_half['f1']:.4f} "
                  f"({ours_half['f1'] - theirs_half['f1']:+.4f})")
        results.append(result)
        if args.verbose:
            for run in runs:
                if run.ours is None and (run.theirs or {}).get("text"):
                    print(f"    ! no text from ours, trafilatura has some: {run.key}")
    elif "trafilatura-eval" in wanted:
        print(f"trafilatura's evaluation set not found at {args.trafilatura_eval}: skipped")
    if "sample-site" in wanted and (args.sample_site / "expected.json").exists():
        result, ours, theirs = evaluate_sample_site(args.sample_site, options, args.workers)
        print_set(result)
        results.append(result)
        print_sample("sample site, ours", ours, args.verbose)
        print_sample("sample site, plain trafilatura", theirs, verbose=False)
        if args.ablation:
            _, unfiltered, _ = evaluate_sample_site(args.sample_site, replace(OURS, post_filter=False), args.workers)
            print_sample("sample site, ours without the line post-filter", unfiltered, verbose=False)
    elif "sample-site" in wanted:
        print(f"sample site not found at {args.sample_site}: skipped")
    if results:
        print("summary: F1 ours - trafilatura, ms/page ours / trafilatura")
        for result in results:
            print(f"  {result.name:55s} {result.ours['f1'] - result.theirs['f1']:+.4f}  "
                  f"{result.ours_ms:6.1f} / {result.theirs_ms:6.1f} ms ({result.ratio:.2f}x)")
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
