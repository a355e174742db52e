"""``make bench-incremental``: what the crawl history saves when a news site is crawled again.

The changing news site (:mod:`benchmarks.newssite`: articles with hero images, sections,
RSS, a news sitemap, ETag and If-Modified-Since honoured) is crawled three times into one
archive: crawl 1 from nothing; then 50 new articles, 30 with edited text and 30 whose
markup changed but not their text, and crawl 2; then crawl 3 with nothing changed. For
each crawl it prints requests, bytes downloaded, WARC bytes, text rows and wall time, and
checks what crawl 2 wrote (new articles, new versions, no row for unchanged articles).
Prints figures, asserts nothing.

    python -m benchmarks.incremental [--articles 1000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.newssite import NewsSite, NewsSiteServer

ROOT = Path(__file__).resolve().parent.parent
CRAWL_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "ARCHIVE_PROGRESS_INTERVAL": "0",
    "LOG_LEVEL": "INFO",
}
NEW, EDITED, MARKUP = 50, 30, 30


@dataclass
class Figures:
    name: str
    requests: int
    not_modified: int
    body_bytes: int  # response bodies the server sent
    response_bytes: int  # Scrapy's downloader/response_bytes: what crossed the wire, heads included
    warc_bytes: int
    rows: list[dict[str, Any]]
    wall_seconds: float
    stats: dict[str, Any]


def crawl(archive: Path, base: str, crawl_id: str, server: NewsSiteServer) -> Figures:
    script = Path(sys.executable).with_name("scrapy")
    command = [str(script) if script.exists() else sys.executable, *([] if script.exists() else ["-m", "scrapy"]),
               "crawl", "articles", "-a", f"urls={base}/", "-a", "follow=2", "-a", "sitemaps=robots",
               "-a", f"feeds={base}/feed.xml"]
    for name, value in {**CRAWL_SETTINGS, "ARCHIVE_URI": str(archive), "ARCHIVE_CRAWL_ID": crawl_id}.items():
        command += ["-s", f"{name}={value}"]
    server.reset_counts()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.monotonic() - started
    (archive / f"{crawl_id}.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        raise SystemExit(f"crawl {crawl_id} failed:\n{done.stderr[-4000:]}")
    crawl_dir = archive / crawl_id
    manifest = json.loads((crawl_dir / "manifest.json").read_text())
    rows = []
    for path in sorted((crawl_dir / "text").glob("*.jsonl.gz")):
        rows += [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines() if line.strip()]
    return Figures(
        crawl_id, sum(server.requests.values()), server.statuses.get(304, 0), server.body_bytes,
        int(manifest["stats"].get("downloader/response_bytes", 0)),
        sum(p.stat().st_size for p in (crawl_dir / "warc").glob("*.warc.gz")), rows, wall, manifest["stats"],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="keep the archive in this folder (default: a temporary one)")
    options = parser.parse_args(argv)
    archive = options.keep or Path(tempfile.mkdtemp(prefix="bench-incremental-"))
    site = NewsSite.with_articles(options.articles)
    server = NewsSiteServer(site)
    base = server.start()
    try:
        first = crawl(archive, base, "crawl-1", server)
        new = [a.number for a in site.add_articles(NEW)]
        edited = list(range(1, EDITED * 3, 3))[:EDITED]
        markup = list(range(2, MARKUP * 3, 3))[:MARKUP]
        site.edit_text(edited)
        site.edit_markup(markup)
        second = crawl(archive, base, "crawl-2", server)
        third = crawl(archive, base, "crawl-3", server)
    finally:
        server.stop()

    print(f"News site: {options.articles} articles, then {NEW} new, {EDITED} with edited text, "
          f"{MARKUP} with new markup only; archive {archive}")
    header = f"{'crawl':<8} {'requests':>9} {'304s':>6} {'MB bodies':>10} {'MB wire':>8} {'MB WARC':>8} " \
             f"{'rows':>6} {'wall s':>7}"
    print(header)
    for f in (first, second, third):
        print(f"{f.name:<8} {f.requests:>9} {f.not_modified:>6} {f.body_bytes / 1e6:>10.2f} "
              f"{f.response_bytes / 1e6:>8.2f} {f.warc_bytes / 1e6:>8.2f} {len(f.rows):>6} {f.wall_seconds:>7.1f}")
    for f in (second, third):
        print(f"{f.name} / crawl-1: bytes downloaded {f.response_bytes / first.response_bytes:.1%} (target <= 10%), "
              f"WARC bytes {f.warc_bytes / first.warc_bytes:.1%} (<= 10%), "
              f"wall time {f.wall_seconds / first.wall_seconds:.1%} (<= 20%)")

    url = f"{base}/news/{{}}.html".format
    rows = {row["url"]: row for row in second.rows}
    new_ok = sum(1 for n in new if rows.get(url(n), {}).get("version") == 1)
    first_ids = {row["url"]: row["warc_record_id"] for row in first.rows}
    versions_ok = sum(1 for n in edited if rows.get(url(n), {}).get("version") == 2
                      and rows[url(n)]["previous_warc_record_id"] == first_ids.get(url(n)))
    unchanged_rows = sum(1 for u in rows if u not in {url(n) for n in new + edited})
    print(f"crawl-2 correctness: new articles archived {new_ok}/{NEW}, edited articles with a new version "
          f"{versions_ok}/{EDITED}, rows for unchanged articles {unchanged_rows} (0 expected), "
          f"markup-only changes seen and skipped {second.stats.get('archive/text/unchanged', 0)}/{MARKUP}")
    print(f"crawl-3 (nothing changed): {len(third.rows)} rows, "
          f"{third.stats.get('archive/history/not_modified', 0)} not modified, "
          f"{third.stats.get('archive/history/not_fetched', 0)} not fetched")
    if not options.keep:
        shutil.rmtree(archive)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
