"""``news-archiver verify PATH``, ``news-archiver reextract SRC DEST`` and ``news-archiver crawls [ARCHIVE]``.

The Scrapy commands exist only inside the project folder (where ``scrapy.cfg`` is); these
console scripts run the same functions with the project's defaults (:mod:`scraper.settings`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]

def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; returns the exit status (1: faults found, or a re-extraction stopped; 2: bad
    arguments)."""
    parser = argparse.ArgumentParser(prog="news-archiver", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="check a crawl folder, a WARC/ARC file, a folder of them or a WACZ")
    verify.add_argument("path", type=Path)
    again = commands.add_parser("reextract", help="extract text again from the WARCs of SRC (crawl folder, "
                                                  "WARC/ARC file, folder, WACZ) into DEST")
    again.add_argument("source", type=Path)
    again.add_argument("dest", type=Path)
    again.add_argument("--workers", type=int, default=0, help="extraction processes (default: one per core)")
    again.add_argument("--extract-timeout", type=float, metavar="SECONDS", default=None,
                       help="skip (and count) a page whose extraction runs longer; 0: no deadline "
                            "(default: ARCHIVE_EXTRACT_TIMEOUT)")
    again.add_argument("--max-extract-bytes", type=int, metavar="BYTES", default=None,
                       help="skip (and count) a page whose decoded body is larger; 0: no cap "
                            "(default: ARCHIVE_MAX_EXTRACT_BYTES)")
    listing = commands.add_parser("crawls", help="list an archive's crawls with their state; 1 if the latest failed")
    listing.add_argument("archive", nargs="?", help="folder or s3://bucket/prefix (default: $ARCHIVE_URI, ./archive)")
    listing.add_argument("--json", action="store_true", help="JSON for machines")
    args = parser.parse_args(argv)
    if args.command == "crawls":
        from scraper import settings as defaults
        from scraper.tools import crawls

        values = {name: getattr(defaults, name) for name in dir(defaults) if name.isupper()}
        # No -s here: the archive comes from the argument, the environment, or the default;
        # the frontier of shared crawls from the environment (as a worker unit's env file sets it).
        values["ARCHIVE_URI"] = os.environ.get("ARCHIVE_URI") or values["ARCHIVE_URI"]
        values["ARCHIVE_FRONTIER"] = os.environ.get("ARCHIVE_FRONTIER") or values["ARCHIVE_FRONTIER"]
        return crawls.main([*([args.archive] if args.archive else []), *(["--json"] if args.json else [])],
                           settings=values)
    logging.basicConfig(level=logging.INFO if args.command == "reextract" else logging.WARNING,
                        format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    if args.command == "verify":
        from scraper.archive.verify import verify_path

        try:
            report = verify_path(args.path)
        except FileNotFoundError as error:
            parser.error(str(error))
        print(report.summary())
        for relpath in report.damaged_files():
            print(f"DAMAGED {relpath}", file=sys.stderr)
        return 0 if report.ok else 1
    from scraper.archive.warc import check_gzip_level
    from scraper.extract.model import ExtractionOptions
    from scraper.tools.reextract import find_warcs, reextract
    from scraper.workers.client import WorkerDied

    try:
        if not find_warcs(args.source):
            parser.error(f"no WARC files in {args.source}")
    except (FileNotFoundError, ValueError, zipfile.BadZipFile) as error:
        parser.error(str(error))
    if (args.dest / "manifest.json").exists():
        parser.error(f"{args.dest} already holds a re-extraction (manifest.json): give another DEST")
    from scraper import settings as defaults
    try:
        result = reextract(
            args.source, args.dest, workers=args.workers,
            options=ExtractionOptions(min_text_chars=defaults.ARCHIVE_MIN_TEXT_CHARS),
            gzip_level=check_gzip_level(defaults.ARCHIVE_GZIP_LEVEL),
            extract_timeout=defaults.ARCHIVE_EXTRACT_TIMEOUT if args.extract_timeout is None else args.extract_timeout,
            max_extract_bytes=(defaults.ARCHIVE_MAX_EXTRACT_BYTES if args.max_extract_bytes is None
                               else args.max_extract_bytes),
        )
    except WorkerDied as error:  # the extractor itself cannot run: no use going on
        print(f"Re-extraction stopped: {error}. Files written so far are left .open; no manifest.", file=sys.stderr)
        return 1
    print(", ".join(f"{name} {count}" for name, count in sorted(result.counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
