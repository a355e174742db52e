"""Build the sample news site: ``python -m sample_site.build [--seeds DIR] [--out DIR]``.

Writes, for each variant (``contained``, ``bare``), a static tree ``OUT/<variant>/`` (home
page, section pages, article pages, robots.txt, sitemaps, RSS, Atom, images, a PDF, the
disallowed staff page and ``_server.json``, the server's configuration), and
``OUT/expected.json``: what a perfect extractor keeps and strips on every article page.
The output is deterministic: building twice gives identical bytes.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sample_site import DEFAULT_SITE_DIR, VARIANTS
from sample_site.assets import PDF_TEXT, pdf_bytes, png_for
from sample_site.catalog import SECTIONS, SITE_NAME, build_articles, load_reference
from sample_site.feeds import (
    atom_xml,
    news_sitemap_xml,
    pages_sitemap_xml,
    robots_txt,
    rss_xml,
    sitemap_index_xml,
)
from sample_site.listings import PDF_PATH, STYLESHEET, home_html, private_html, section_html, section_widgets
from sample_site.models import BOILERPLATE_KINDS, Article, Figure, Widget
from sample_site.seeds import COMMENT_CHROME_HEAD, COMMENT_CHROME_TAIL, Seed
from sample_site.server import ENDPOINTS, content_type_for
from sample_site.templates import article_html

__all__ = ["boilerplate", "build_site", "main"]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEEDS = REPO_ROOT.parent / "shared" / "seeds"
SERVER_CONFIG = "_server.json"
CHUNKED_PREFIXES = ("/newsfront/2020/",)
DISALLOWED = ("/private/",)


def boilerplate(article: Article) -> list[dict[str, str]]:
    """Every boilerplate string on the article page, in page order, with its kind (deduplicated)."""
    found: list[tuple[str, str]] = [("donation", amount) for amount in article.donation]
    for item in article.body:
        if isinstance(item, Figure):
            found.append((item.caption_kind, item.caption))
        elif isinstance(item, Widget):
            found.append((item.kind, item.text))
    if article.comments:
        found += [("comment_chrome", text) for text in COMMENT_CHROME_HEAD]
        for comment in article.comments:
            found += [("comment", text) for text in (comment.author or "", comment.date_label) if text]
            found += [("comment", line) for line in comment.lines]
        found.append(("comment_chrome", COMMENT_CHROME_TAIL))
    unique = list(dict.fromkeys(found))
    return [{"kind": kind, "text": text} for kind, text in unique]


def _check_disjoint(article: Article) -> None:
    """No boilerplate string may occur inside a kept paragraph or the title."""
    kept = [article.title, *article.paragraphs]
    for entry in boilerplate(article):
        clash = next((text for text in kept if entry["text"] in text), None)
        if clash is not None:
            raise ValueError(f"{article.key}: boilerplate {entry['text']!r} occurs in kept text {clash[:60]!r}")


def _content_type(article: Article) -> str:
    if article.charset_declared == "meta":
        return "text/html"
    return f"text/html; charset={article.charset}"


def _chunked(path: str) -> bool:
    return path.startswith(CHUNKED_PREFIXES)


def _article_record(article: Article, variant: str) -> dict[str, Any]:
    return {
        "key": article.key,
        "seed": article.seed,
        "variant": variant,
        "section": article.section.slug,
        "site_name": article.section.name,
        "url_path": article.path,
        "html_title": article.section.html_title(article.title),
        "title": article.title,
        "authors": list(article.authors),
        "published": article.published.isoformat(),
        "published_date": article.published.date().isoformat(),
        "language": article.language,
        "charset": article.charset,
        "charset_declared": article.charset_declared,
        "content_type": _content_type(article),
        "transfer": "chunked" if _chunked(article.path) else "content-length",
        "paragraphs": article.paragraphs,
        "clean_text": "\n\n".join([article.title, *article.paragraphs]),
        "boilerplate": boilerplate(article),
        "comment_count": len(article.comments),
    }


def _text_files(articles: Sequence[Article], variant: str) -> dict[str, tuple[str, str]]:
    """Relative path -> (text, encoding) of every text file of one variant."""
    files: dict[str, tuple[str, str]] = {
        "index.html": (home_html(articles, SECTIONS), "utf-8"),
        "private/index.html": (private_html(SECTIONS), "utf-8"),
        "robots.txt": (robots_txt(), "utf-8"),
        "sitemap.xml": (sitemap_index_xml(articles), "utf-8"),
        "sitemap-articles.xml": (news_sitemap_xml(articles), "utf-8"),
        "sitemap-pages.xml": (pages_sitemap_xml(articles, SECTIONS), "utf-8"),
        "feed.xml": (rss_xml(articles), "utf-8"),
        "atom.xml": (atom_xml(articles), "utf-8"),
        "static/site.css": (STYLESHEET, "utf-8"),
    }
    for section in SECTIONS:
        files[f"{section.slug}/index.html"] = (section_html(section, articles, SECTIONS, variant), "utf-8")
    for article in articles:
        files[f"{article.path.strip('/')}/index.html"] = (article_html(article, variant, SECTIONS), article.charset)
    return files


def _binary_files(articles: Sequence[Article]) -> dict[str, bytes]:
    files = {"images/avatar.png": png_for("avatar", 16, 16), PDF_PATH.lstrip("/"): pdf_bytes()}
    for article in articles:
        for figure in article.figures:
            files[figure.src.lstrip("/")] = png_for(figure.src)
    return files


def _server_config(articles: Sequence[Article]) -> dict[str, Any]:
    """What the server needs to know: redirect target, chunked paths, charsets, search index."""
    return {
        "latest": articles[0].path,
        "chunked_prefixes": list(CHUNKED_PREFIXES),
        "content_types": {
            f"{a.path.strip('/')}/index.html": _content_type(a) for a in articles if a.charset != "utf-8"
        },
        "search": [
            {"path": a.path, "title": a.title, "teaser": a.teaser(), "text": " ".join(a.paragraphs)} for a in articles
        ],
    }


def _pages(articles: Sequence[Article], variant_files: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Every static URL path of a variant: what it is, its type, whether robots.txt allows it."""
    overrides = _server_config(articles)["content_types"]
    article_paths = {a.path for a in articles}
    section_paths = {s.path for s in SECTIONS}
    pages: dict[str, dict[str, Any]] = {}
    for rel in sorted(variant_files):
        if rel == SERVER_CONFIG:
            continue
        path = "/" + rel.removesuffix("index.html")
        if path in article_paths:
            kind = "article"
        elif path in section_paths:
            kind = "section"
        else:
            kind = {"/": "home", "/private/": "private", "/robots.txt": "robots"}.get(path, _asset_kind(path))
        pages[path] = {
            "type": kind,
            "content_type": content_type_for(rel, overrides),
            "robots_allowed": not path.startswith(DISALLOWED),
            "transfer": "chunked" if _chunked(path) else "content-length",
        }
    return dict(sorted(pages.items()))


def _asset_kind(path: str) -> str:
    if path.startswith("/sitemap"):
        return "sitemap"
    if path in ("/feed.xml", "/atom.xml"):
        return "feed"
    return {"png": "image", "pdf": "pdf", "css": "stylesheet"}.get(path.rsplit(".", 1)[-1], "other")


def _reset(directory: Path) -> None:
    """Remove a previous build of one variant (only if it is one: it holds _server.json)."""
    if not directory.exists():
        return
    if not (directory / SERVER_CONFIG).is_file():
        raise SystemExit(f"refusing to delete {directory}: not a sample_site build")
    shutil.rmtree(directory)


def _write(root: Path, rel: str, data: bytes) -> None:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _write_variant(root: Path, articles: Sequence[Article], variant: str) -> list[str]:
    _reset(root)
    written = {rel: text.encode(encoding) for rel, (text, encoding) in _text_files(articles, variant).items()}
    written.update(_binary_files(articles))
    config = json.dumps(_server_config(articles), ensure_ascii=False, indent=1, sort_keys=True)
    written[SERVER_CONFIG] = (config + "\n").encode("utf-8")
    for rel in sorted(written):
        _write(root, rel, written[rel])
    return sorted(written)


def _reference(seed: Seed, articles: Sequence[Article], seeds_dir: Path) -> dict[str, Any]:
    published = next(a for a in articles if a.key == "sf-gains")
    return {
        "seed": seed.filename,
        "clean_version_of": published.seed,
        "published_as": published.path,
        "title": seed.title,
        "paragraphs": seed.of_kind("paragraph"),
        "text": (seeds_dir / seed.filename).read_text(encoding="utf-8"),
        "note": "Not published as a page: its paragraphs overlap 000's. The shape of clean text.",
    }


def _section_widgets(articles: Sequence[Article]) -> dict[str, list[dict[str, str]]]:
    widgets: dict[str, list[dict[str, str]]] = {}
    for section in SECTIONS:
        amounts = next((a.donation for a in articles if a.section == section and a.donation), ())
        above, below = section_widgets(section, amounts)
        widgets[section.path] = [{"kind": w.kind, "text": w.text} for w in [*above, *below]]
    return widgets


def _expected(articles: Sequence[Article], files: dict[str, list[str]], reference: dict[str, Any]) -> dict[str, Any]:
    variants = {
        variant: {
            "articles": {a.path: _article_record(a, variant) for a in articles},
            "pages": _pages(articles, files[variant]),
        }
        for variant in VARIANTS
    }
    return {
        "schema": 1,
        "site_name": SITE_NAME,
        "base_placeholder": "{base}",
        "boilerplate_kinds": BOILERPLATE_KINDS,
        "variants": variants,
        "section_widgets": _section_widgets(articles),
        "server": {
            "latest": articles[0].path,
            "chunked_prefixes": list(CHUNKED_PREFIXES),
            "robots_disallow": list(DISALLOWED),
            "endpoints": ENDPOINTS,
            "pdf": {"path": PDF_PATH, "text": PDF_TEXT},
        },
        "reference": reference,
    }


def build_site(seeds_dir: Path, out_dir: Path) -> dict[str, Any]:
    """Build both variants and expected.json under ``out_dir``; return the expected data."""
    articles = build_articles(seeds_dir)
    for article in articles:
        _check_disjoint(article)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {variant: _write_variant(out_dir / variant, articles, variant) for variant in VARIANTS}
    expected = _expected(articles, files, _reference(load_reference(seeds_dir), articles, seeds_dir))
    text = json.dumps(expected, ensure_ascii=False, indent=1)
    (out_dir / "expected.json").write_text(text + "\n", encoding="utf-8")
    return expected


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="seed texts (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_SITE_DIR, help="output dir (default: %(default)s)")
    args = parser.parse_args(argv)
    expected = build_site(args.seeds, args.out)
    for variant, data in expected["variants"].items():
        print(f"{args.out / variant}: {len(data['pages'])} files, {len(data['articles'])} articles")
    print(f"{args.out / 'expected.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
