"""``make demo``: serve the bundled sample news site on 127.0.0.1 and archive it.

Runs the main job as an operator would, ``scrapy crawl articles`` from the project
folder, discovering pages from the home page, robots.txt sitemaps and the RSS feed,
into ``./archive``; then prints a short summary read back from the crawl's manifest.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from sample_site.command import crawl_command as scrapy_crawl_command
from sample_site.server import SampleSite

ROOT = Path(__file__).resolve().parent.parent


def crawl_command(base: str, archive: Path, crawl_id: str) -> list[str]:
    arguments = {"urls": base + "/", "follow": "2", "sitemaps": "robots", "feeds": base + "/feed.xml"}
    settings = {
        "ARCHIVE_URI": str(archive),
        "ARCHIVE_CRAWL_ID": crawl_id,
        "AUTOTHROTTLE_ENABLED": "0",  # the site is on loopback: no politeness delay needed
        # Loopback is private: allowed by name (the start URL's host would be anyway).
        "ARCHIVE_PRIVATE_ADDRESS_HOSTS": urlsplit(base).hostname or "",
        "ARCHIVE_PROGRESS_INTERVAL": "2",
    }
    return scrapy_crawl_command(arguments, settings)


def summary(crawl_dir: Path) -> str:
    manifest = json.loads((crawl_dir / "manifest.json").read_text(encoding="utf-8"))
    stats = manifest["stats"]
    kinds = Counter(entry["path"].split("/", 1)[0] + "/" if "/" in entry["path"] else entry["path"]
                    for entry in manifest["files"])
    size = sum(entry["size"] for entry in manifest["files"])
    lines = [
        f"Crawl {manifest['crawl_id']} -> {crawl_dir}",
        f"  pages archived:  {stats.get('archive/warc/responses', 0)} responses "
        f"({stats.get('archive/warc/records', 0)} WARC records)",
        f"  articles:        {stats.get('archive/text/articles', 0)} "
        f"(HTML pages that are not articles: {stats.get('archive/text/not_article', 0)})",
        f"  files written:   {len(manifest['files'])} ({size / 1e6:.2f} MB): "
        + ", ".join(f"{count} in {kind}" if kind.endswith("/") else kind for kind, count in sorted(kinds.items()))
        + ", manifest.json",
    ]
    for path in sorted((crawl_dir / "text").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                lines.append(f"    [{row['language'] or '??'}] {row['title']}  ({len(row['text'])} chars)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--archive", type=Path, default=ROOT / "archive", help="ARCHIVE_URI folder")
    parser.add_argument("--variant", default="contained", choices=["contained", "bare"])
    args = parser.parse_args(argv)
    crawl_id = "demo-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    site = SampleSite(ROOT / "sample_site" / "site" / args.variant)
    base = site.start()
    print(f"Sample news site ({args.variant}) serving at {base}/", flush=True)
    try:
        returncode = subprocess.call(crawl_command(base, args.archive, crawl_id), cwd=ROOT)
    finally:
        site.stop()
    crawl_dir = args.archive / crawl_id
    if returncode != 0 or not (crawl_dir / "manifest.json").exists():
        print(f"The crawl failed (exit code {returncode}); see the log above.", file=sys.stderr)
        return returncode or 1
    print()
    print(summary(crawl_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
